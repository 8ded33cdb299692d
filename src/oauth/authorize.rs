//! `/authorize`: the client and its redirect URI are checked first — a failure there is shown
//! as a page and never redirects (CVE-2025-4143) — then everything else, whose failures go
//! back to the client as `error` redirects carrying `state` and `iss` (RFC 9207).
use super::client::{ClientAuth, ClientRecord};
use super::grant::{self, Grant, GrantPhase, GrantSecrets, PendingCode};
use super::pkce::CodeChallenge;
use super::redirect_uri::find_match;
use super::redirect_uri::RedirectUri;
use super::resource::{parse_resource, Audience};
use super::types::{grant_id_in, grant_partition, new_grant_id, AuthorizationCode};
use super::{registry, ErrorCode, OAuthError};
use crate::context::Ctx;
use crate::ids::GrantId;
use crate::outbound::HttpClient;
use crate::seal::SealKeys;
use crate::signin::Session;
use crate::store::Store;
use futures_util::future::join;

/// The authorization parameters, from the query (GET) or the consent form (POST).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub state: Option<String>,
    pub scope: Option<String>,
    pub resource: Option<String>,
    /// The first parameter that appeared more than once (RFC 6749 §3.1 forbids repeats).
    pub repeated: Option<String>,
}

impl AuthorizeParams {
    pub const NAMES: [&'static str; 8] = [
        "response_type",
        "client_id",
        "redirect_uri",
        "code_challenge",
        "code_challenge_method",
        "state",
        "scope",
        "resource",
    ];

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> AuthorizeParams {
        let mut p = AuthorizeParams::default();
        for (k, v) in pairs {
            let slot = match k {
                "response_type" => &mut p.response_type,
                "client_id" => &mut p.client_id,
                "redirect_uri" => &mut p.redirect_uri,
                "code_challenge" => &mut p.code_challenge,
                "code_challenge_method" => &mut p.code_challenge_method,
                "state" => &mut p.state,
                "scope" => &mut p.scope,
                "resource" => &mut p.resource,
                _ => continue,
            };
            if slot.is_some() {
                p.repeated.get_or_insert_with(|| k.to_string());
            }
            *slot = Some(v.to_string());
        }
        p
    }

    /// The parameters as (name, value) pairs, to carry them through the consent form or a sign-in.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        let values = [
            &self.response_type,
            &self.client_id,
            &self.redirect_uri,
            &self.code_challenge,
            &self.code_challenge_method,
            &self.state,
            &self.scope,
            &self.resource,
        ];
        Self::NAMES.iter().zip(values).filter_map(|(n, v)| v.as_deref().map(|v| (*n, v))).collect()
    }

    /// `/authorize?…` with these parameters (where a sign-in returns to).
    pub fn path(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.pairs() {
            q.append_pair(k, v);
        }
        format!("/authorize?{}", q.finish())
    }

    /// The parameters of a sign-in's return path, when it is an authorization request (what
    /// [`Self::path`] made, or any `/authorize?…` a browser was sent back to).
    pub fn of_return_path(path: &str) -> Option<AuthorizeParams> {
        let query = path.strip_prefix("/authorize?")?.split('#').next().unwrap_or_default();
        let pairs: Vec<_> = url::form_urlencoded::parse(query.as_bytes()).collect();
        Some(Self::from_pairs(pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))))
    }
}

/// Refusals that must not redirect: shown to the person as a page.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub status: u16,
    pub title: String,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl Refusal {
    pub fn new(status: u16, title: &str, message: impl Into<String>) -> Refusal {
        Refusal { status, title: title.to_string(), message: message.into(), retry_after: None }
    }
}

/// A fully validated authorization request.
#[derive(Debug, Clone)]
pub struct ValidRequest {
    pub client: ClientRecord,
    /// When the client's registration was last renewed, as read with it.
    pub renewal: registry::Renewal,
    /// As presented (a loopback one may differ from the registered one in its port).
    pub redirect_uri: RedirectUri,
    pub state: Option<String>,
    pub challenge: CodeChallenge,
    pub audience: Audience,
    pub params: AuthorizeParams,
}

/// An error to send back to the client at a registered redirect URI — only once the person
/// has approved that client there (see `consent.rs`), else it is shown as a page.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorBack {
    pub location: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub description: String,
}

/// Outcome of validation: a page, an error for the client, or a request to act on.
#[derive(Debug)]
pub enum Checked {
    Refused(Refusal),
    ErrorRedirect(ErrorBack),
    Valid(Box<ValidRequest>),
}

const MAX_STATE_LEN: usize = 1024;

pub async fn validate<S: Store, H: HttpClient>(ctx: &Ctx<'_, S, H>, params: &AuthorizeParams) -> Checked {
    // Phase 1: nothing here may redirect.
    let page = |status: u16, message: String| Checked::Refused(Refusal::new(status, "Authorization refused", message));
    let Some(client_id) = params.client_id.as_deref().filter(|c| !c.is_empty()) else {
        return page(400, "The request names no client (client_id is missing).".into());
    };
    let (client, renewal) = match registry::find_with_renewal(ctx, client_id).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return page(
                400,
                "This client is not registered with this server. Ask the application to register again.".into(),
            )
        }
        Err(e) if e.code == ErrorCode::TemporarilyUnavailable => return page(503, e.description),
        Err(e) => return page(400, e.description),
    };
    let redirect_uri = match params.redirect_uri.as_deref() {
        Some(presented) => match find_match(&client.redirect_uris, presented) {
            Some(_) => RedirectUri::matched(presented),
            None => {
                return page(
                    400,
                    "The redirect URI is not registered for this client, so the request was stopped.".into(),
                )
            }
        },
        None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
        None => return page(400, "The request has no redirect_uri and the client registered several.".into()),
    };
    // Phase 2: errors go back to the client.
    let state = params.state.clone().filter(|s| !s.is_empty());
    let back = |code: ErrorCode, description: &str| {
        Checked::ErrorRedirect(ErrorBack {
            location: error_location(redirect_uri.as_str(), code, description, state.as_deref(), ctx.origin),
            client_id: client.client_id.to_string(),
            redirect_uri: redirect_uri.to_string(),
            description: description.to_string(),
        })
    };
    if let Some(name) = &params.repeated {
        return back(ErrorCode::InvalidRequest, &format!("parameter {name} appears more than once"));
    }
    if state.as_ref().is_some_and(|s| s.len() > MAX_STATE_LEN) {
        return back(ErrorCode::InvalidRequest, "state is too long");
    }
    match params.response_type.as_deref() {
        Some("code") => {}
        None => return back(ErrorCode::InvalidRequest, "response_type is required (code)"),
        Some(_) => return back(ErrorCode::UnsupportedResponseType, "only response_type=code is supported"),
    }
    let challenge =
        match CodeChallenge::parse(params.code_challenge.as_deref(), params.code_challenge_method.as_deref()) {
            Ok(c) => c,
            Err(why) => return back(ErrorCode::InvalidRequest, why),
        };
    let audience = match params.resource.as_deref() {
        None => Audience::Origin,
        Some(r) => match parse_resource(r, ctx.origin) {
            Ok(a) => a,
            Err(why) => return back(ErrorCode::InvalidTarget, &why),
        },
    };
    Checked::Valid(Box::new(ValidRequest {
        client,
        renewal,
        redirect_uri,
        state,
        challenge,
        audience,
        params: params.clone(),
    }))
}

/// `redirect_uri` with `error`, `error_description`, `state` and `iss` added to its query.
pub fn error_location(
    redirect_uri: &str,
    code: ErrorCode,
    description: &str,
    state: Option<&str>,
    issuer: &str,
) -> String {
    let mut pairs = vec![("error", code.as_str()), ("error_description", description)];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    pairs.push(("iss", issuer));
    with_query(redirect_uri, &pairs)
}

fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    match crate::uri::parse(base) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(pairs);
            url.to_string()
        }
        // Registered URIs always parse; keep the answer well-formed regardless.
        Err(_) => base.to_string(),
    }
}

/// The id the grant from this session (`session`, signed in as its principal) for this request
/// will have: in its person's partition, then a digest of the session's id and the request. The
/// consent page knows it, so the grant's object can be readied while the person reads. It cannot
/// be guessed without the session id (a secret); a second grant for the very same request (the
/// form sent twice) takes a random id instead. `request_path` is the request's own `/authorize`
/// path ([`AuthorizeParams::path`]).
pub fn grant_id_for(keys: &SealKeys, session_id: &str, session: &Session, request_path: &str) -> GrantId {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"mcp-grant-id\n")
        .chain_update(session_id)
        .chain_update(b"\n")
        .chain_update(request_path)
        .finalize();
    grant_id_in(&grant_partition(keys, &session.principal.user_id), &digest)
}

/// Create the grant (as `id`, or a random id if that is taken) with a one-time code, and return
/// where to send the browser.
pub async fn issue_code<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    req: &ValidRequest,
    secrets: GrantSecrets,
    id: GrantId,
) -> Result<String, OAuthError> {
    let code = match create_pending(ctx, req, &secrets, id).await? {
        Some(code) => code,
        None => {
            let partition = grant_partition(&ctx.config.seal_keys, &secrets.principal.user_id);
            let (g, code) = pending_grant(ctx, req, &secrets, new_grant_id(&partition));
            if !grant::create(ctx.store, &g, ctx.now).await? {
                return Err(OAuthError::server_error("a new grant id was already taken"));
            }
            code
        }
    };
    Ok(code_location(ctx, req, &code))
}

/// Create the grant as `id` alone (the WorkOS token was kept for the grant with this id) with a
/// one-time code, and return where to send the browser; `None`, creating nothing, when a grant
/// has that id already.
pub async fn issue_code_as<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    req: &ValidRequest,
    secrets: GrantSecrets,
    id: GrantId,
) -> Result<Option<String>, OAuthError> {
    Ok(create_pending(ctx, req, &secrets, id).await?.map(|code| code_location(ctx, req, &code)))
}

/// The pending grant `id` for `req`, and its code.
fn pending_grant<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    req: &ValidRequest,
    secrets: &GrantSecrets,
    id: GrantId,
) -> (Grant, AuthorizationCode) {
    let code = AuthorizationCode::new(&id);
    let g = Grant {
        id: id.clone(),
        client_id: req.client.client_id.clone(),
        user_id: secrets.principal.user_id.clone(),
        redirect_uri: req.redirect_uri.clone(),
        audience: req.audience,
        created_at: ctx.now,
        expires_at: ctx.now + grant::CODE_TTL,
        phase: GrantPhase::Pending {
            code: PendingCode {
                hash: code.hash(),
                challenge: req.challenge.clone(),
                expires_at: ctx.now + grant::CODE_TTL,
                client_auth: Some(ClientAuth::of(&req.client)),
            },
        },
        access: None,
        sealed: Grant::seal_secrets(&ctx.config.seal_keys, &id, secrets, ctx.now + grant::REFRESH_TTL),
        indexed_until: grant::first_index_expiry(ctx.now),
    };
    (g, code)
}

/// The pending grant `id` created, with the client's registration renewed meanwhile (a KV write
/// once a day): its code, or `None` when a grant has that id already.
async fn create_pending<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    req: &ValidRequest,
    secrets: &GrantSecrets,
    id: GrantId,
) -> Result<Option<AuthorizationCode>, OAuthError> {
    let (g, code) = pending_grant(ctx, req, secrets, id);
    let (created, renewed) =
        join(grant::create(ctx.store, &g, ctx.now), registry::renew(ctx, &req.client, req.renewal)).await;
    // The grant stands if the renewal's write fails (as at a refresh): the next authorization or
    // refresh renews the registration, which has days of its lifetime left.
    let _ = renewed;
    Ok(created?.then_some(code))
}

/// The client's redirect URI with the code, its state and the issuer.
fn code_location<S: Store, H: HttpClient>(ctx: &Ctx<'_, S, H>, req: &ValidRequest, code: &AuthorizationCode) -> String {
    let mut pairs = vec![("code", code.expose())];
    if let Some(s) = &req.state {
        pairs.push(("state", s));
    }
    pairs.push(("iss", ctx.origin));
    with_query(req.redirect_uri.as_str(), &pairs)
}

/// The `access_denied` redirect for a person who said no.
pub fn denied_location(req: &ValidRequest, issuer: &str) -> String {
    error_location(
        req.redirect_uri.as_str(),
        ErrorCode::AccessDenied,
        "the user denied the request",
        req.state.as_deref(),
        issuer,
    )
}
