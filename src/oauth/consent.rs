//! The browser side of `/authorize`: who is signed in, whether this browser already approved
//! the client, the consent form (CSRF-protected), and handing a code back to the client.
use super::approvals::{approvals, approved, approved_at, remember, withdrawn_key};
pub use super::approvals::{CONSENT_COOKIE, CONSENT_TTL};
use super::authorize::{self, AuthorizeParams, Checked, Refusal, ValidRequest};
use super::grant::{GrantSecrets, HANDOVER_SECS};
use super::OAuthError;
use crate::context::Ctx;
use crate::ids::{GrantId, UserId};
use crate::outbound::HttpClient;
use crate::secret::Secret;
use crate::signin::{self, Session, SigninError, StartRequest};
use crate::store::Store;
use futures_util::future::join;
use subtle::ConstantTimeEq;

/// What the route should answer.
#[derive(Debug)]
pub enum Next {
    Page(Refusal),
    /// A redirect to the client (a code or an error), with cookies to set.
    Redirect {
        location: String,
        set_cookies: Vec<String>,
    },
    /// To WorkOS to sign in, then back to `/authorize`: when not signed in (straight from the
    /// authorization request, no sign-in page: the one deliberate click is consent), or signed
    /// in but with a WorkOS token that already seeded another grant (silent when WorkOS still has
    /// a session). Login CSRF: the one-time state in KV is bound to this browser's sealed cookie.
    WorkosSignIn {
        location: String,
        set_cookies: Vec<String>,
    },
    Consent(ConsentView),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConsentView {
    pub client_name: String,
    pub redirect_host: String,
    pub user_email: String,
    /// Every authorization parameter, to be posted back unchanged.
    pub hidden: Vec<(String, String)>,
    pub csrf: crate::secret::Secret<String>,
    /// All redirect URIs are on this machine (worth a warning: any local program could listen).
    pub localhost_only: bool,
    /// The host of the client's metadata document, when it identified itself with one.
    pub metadata_host: Option<String>,
    /// The CSP `form-action` source the consent form's redirect needs (`cursor:`, an origin…).
    pub form_action: String,
    /// The id the grant will have if the person approves (not shown: its object can be readied).
    pub grant_id: GrantId,
}

fn signin_refusal(e: &SigninError) -> Refusal {
    let v = e.view();
    Refusal { status: v.status, title: v.title.to_string(), message: v.message, retry_after: v.retry_after }
}

/// Who is signed in, for the answer to an invalid request: known already, or read from the
/// session cookie when needed.
enum SignedIn<'a> {
    Known(&'a UserId),
    Cookie(Option<&'a str>),
}

/// The valid request, or what to answer. An error goes back to the client only when the person
/// signed in here has approved that client at that redirect URI; for anyone else it is a page
/// (RFC 9700 §4.11.2: no open redirector through crafted `/authorize` links).
async fn checked<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    params: &AuthorizeParams,
    signed_in: SignedIn<'_>,
    consent_cookie: Option<&str>,
) -> Result<ValidRequest, Next> {
    match authorize::validate(ctx, params).await {
        Checked::Valid(req) => Ok(*req),
        Checked::Refused(r) => Err(Next::Page(r)),
        Checked::ErrorRedirect(back) => {
            let user = match signed_in {
                SignedIn::Known(user) => Some(user.clone()),
                SignedIn::Cookie(session_cookie) => {
                    signin::load_session(ctx, session_cookie).await.ok().flatten().map(|(_, s)| s.principal.user_id)
                }
            };
            let list = approvals(&ctx.config.seal_keys, consent_cookie, ctx.now);
            if user.is_some_and(|u| approved(&list, u.as_str(), &back.client_id, &back.redirect_uri, None)) {
                Err(Next::Redirect { location: back.location, set_cookies: vec![] })
            } else {
                Err(Next::Page(Refusal::new(
                    400,
                    "Authorization refused",
                    format!("The application's request is invalid: {}.", back.description),
                )))
            }
        }
    }
}

/// The request is valid and the browser signed in — or what to answer instead. The client and
/// the session are read at the same time.
async fn validated_and_signed_in<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    params: &AuthorizeParams,
    session_cookie: Option<&str>,
    consent_cookie: Option<&str>,
) -> Result<(ValidRequest, String, Session), Next> {
    let (req, session) = join(
        checked(ctx, params, SignedIn::Cookie(session_cookie), consent_cookie),
        signin::load_session(ctx, session_cookie),
    )
    .await;
    let req = req?;
    match session {
        Ok(Some((session_id, session))) => Ok((req, session_id, session)),
        Ok(None) => Err(to_workos(ctx, &req.params.path(), None, Vec::new()).await),
        Err(e) => Err(Next::Page(signin_refusal(&e))),
    }
}

/// `GET /authorize`.
pub async fn begin<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    params: &AuthorizeParams,
    session_cookie: Option<&str>,
    consent_cookie: Option<&str>,
) -> Next {
    match validated_and_signed_in(ctx, params, session_cookie, consent_cookie).await {
        Ok((req, session_id, session)) => consent_or_code(ctx, &req, &session_id, &session, consent_cookie).await,
        Err(next) => next,
    }
}

/// `/authorize`'s answer for a browser whose sign-in has just finished (at `/callback`, or after
/// the organization picker), served in that same answer: the consent page, or the code when this
/// browser approved the client before. It saves the browser a redirect back to `/authorize`, and
/// the session it would read there is the one just made.
pub async fn begin_signed_in<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    params: &AuthorizeParams,
    session_id: &str,
    session: &Session,
    consent_cookie: Option<&str>,
) -> Next {
    match checked(ctx, params, SignedIn::Known(&session.principal.user_id), consent_cookie).await {
        Ok(req) => consent_or_code(ctx, &req, session_id, session, consent_cookie).await,
        Err(next) => next,
    }
}

/// A valid request from a signed-in browser: the code at once if this browser approved the
/// client at that redirect URI, for that resource or a broader one, else the consent page.
async fn consent_or_code<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    req: &ValidRequest,
    session_id: &str,
    session: &Session,
    consent_cookie: Option<&str>,
) -> Next {
    let list = approvals(&ctx.config.seal_keys, consent_cookie, ctx.now);
    let (user, client) = (session.principal.user_id.as_str(), req.client.client_id.as_str());
    if let Some(at) = approved_at(&list, user, client, req.redirect_uri.as_str(), Some(req.audience)) {
        // Unless the person revoked the client's access since (on any browser): then they are
        // asked again. Storage failing, they are asked too.
        let withdrawn = ctx.store.get(&withdrawn_key(user, client)).await;
        if matches!(&withdrawn, Ok(w) if w.as_deref().is_none_or(|t| t.parse::<u64>().is_ok_and(|t| t < at))) {
            return hand_back_code(ctx, req, session_id, session, vec![]).await;
        }
    }
    Next::Consent(ConsentView {
        client_name: req.client.display_name().to_string(),
        redirect_host: req.redirect_uri.display_host(),
        user_email: session.principal.email.clone(),
        hidden: req.params.pairs().into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        csrf: session.csrf.clone(),
        localhost_only: req.client.redirect_uris.iter().all(|r| r.is_loopback()),
        metadata_host: (req.client.source == super::client::ClientSource::MetadataDocument)
            .then(|| {
                crate::uri::parse(req.client.client_id.as_str()).ok().and_then(|u| u.host_str().map(str::to_string))
            })
            .flatten(),
        form_action: req.redirect_uri.form_action_source(),
        grant_id: authorize::grant_id_for(&ctx.config.seal_keys, session_id, session, &req.params.path()),
    })
}

/// `POST /authorize` (the consent form).
pub async fn decide<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    params: &AuthorizeParams,
    decision: Option<&str>,
    csrf: Option<&str>,
    origin_header: Option<&str>,
    session_cookie: Option<&str>,
    consent_cookie: Option<&str>,
) -> Next {
    if origin_header.is_some_and(|o| o != ctx.origin) {
        return Next::Page(signin_refusal(&SigninError::ForeignOrigin));
    }
    let (req, session_id, session) = match validated_and_signed_in(ctx, params, session_cookie, consent_cookie).await {
        Ok(found) => found,
        Err(next) => return next,
    };
    if !bool::from(csrf.unwrap_or("").as_bytes().ct_eq(session.csrf.as_str().as_bytes())) {
        return Next::Page(signin_refusal(&SigninError::Csrf));
    }
    match decision {
        Some("approve") => {
            let list = approvals(&ctx.config.seal_keys, consent_cookie, ctx.now);
            let approval =
                (session.principal.user_id.as_str(), req.client.client_id.as_str(), req.redirect_uri.as_str());
            let cookie = remember(&ctx.config.seal_keys, list, approval, req.audience, ctx.now);
            hand_back_code(ctx, &req, &session_id, &session, vec![cookie]).await
        }
        Some("deny") => Next::Redirect { location: authorize::denied_location(&req, ctx.origin), set_cookies: vec![] },
        _ => Next::Page(Refusal::new(
            400,
            "Authorization refused",
            "The consent form was incomplete. Start again from the application.",
        )),
    }
}

/// Give the grant its own WorkOS session chain (refreshing the browser session's token, which
/// also re-reads the user's role and permissions), then issue the code.
async fn hand_back_code<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    req: &ValidRequest,
    session_id: &str,
    session: &Session,
    set_cookies: Vec<String>,
) -> Next {
    let Some(workos_token) = signin::workos_refresh_token(ctx, session) else {
        return fresh_signin(ctx, req, session, set_cookies).await;
    };
    let young = ctx.now.saturating_sub(session.created_at) <= HANDOVER_SECS;
    // The request's path names both the sign-in it started (the handover) and its grant's id.
    let path = req.params.path();
    match signin::handover(session, &path) {
        // The sign-in this request started: its token goes to this request's grant, as it is.
        // Only that grant can take it, and its object creates it once, so the session (written a
        // moment ago: KV takes one write to a key per second) is not written. A submission sent
        // twice finds the grant made and goes through WorkOS for its own chain.
        signin::Handover::ThisRequest if young => {
            let id = authorize::grant_id_for(&ctx.config.seal_keys, session_id, session, &path);
            let secrets = signed_in(session, Secret::new(workos_token));
            return match authorize::issue_code_as(ctx, req, secrets, id).await {
                Ok(Some(location)) => Next::Redirect { location, set_cookies },
                Ok(None) => fresh_signin(ctx, req, session, set_cookies).await,
                Err(e) => code_or_refusal(Err(e), set_cookies),
            };
        }
        // Kept for another request; or for this one, but the sign-in is older than
        // HANDOVER_SECS, and its token may have seeded this request's grant already (the form
        // sent again later): refreshing it would end that grant's chain. A new sign-in (silent
        // while WorkOS keeps its session) brings this request its own token.
        signin::Handover::ThisRequest | signin::Handover::OtherRequest => {
            return fresh_signin(ctx, req, session, set_cookies).await;
        }
        signin::Handover::Open => {}
    }
    let id = authorize::grant_id_for(&ctx.config.seal_keys, session_id, session, &path);
    let token = Secret::new(workos_token);
    if young {
        // Signed in moments ago: the standing WorkOS just vouched for, and its refresh token, go
        // to the grant as they are (no second refresh). The session notes the token as spent
        // while the code is issued.
        let (spent, issued) = join(
            signin::spend_workos_refresh_token(ctx, session_id, session),
            authorize::issue_code(ctx, req, signed_in(session, token), id),
        )
        .await;
        if let Err(e) = spent {
            return Next::Page(signin_refusal(&e));
        }
        return code_or_refusal(issued, set_cookies);
    }
    refresh_then_issue(ctx, req, session_id, session, token, id, set_cookies).await
}

/// A session older than HANDOVER_SECS: its WorkOS token is refreshed for the grant (a chain of
/// its own, and the role and permissions read again), then the code is issued.
async fn refresh_then_issue<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    req: &ValidRequest,
    session_id: &str,
    session: &Session,
    workos_token: Secret<String>,
    id: GrantId,
    set_cookies: Vec<String>,
) -> Next {
    let org = session.principal.organization_id.as_deref();
    let user = session.principal.user_id.as_str();
    let asked_ms = ctx.http.now_ms();
    let (refreshed, prefetched) = signin::refresh_with_memberships(ctx, workos_token.as_str(), user, org).await;
    let auth = match refreshed {
        Ok(a) => a,
        Err(e) if e.refused_refresh() => {
            // A submission sent twice (a double click) reaches here second: the first spent the
            // session's token. It goes through WorkOS for a fresh chain, like a later
            // authorization, and ends with its own code.
            if spent_meanwhile(ctx, session_id).await {
                return fresh_signin(ctx, req, session, set_cookies).await;
            }
            // The token is dead either way. The session is older than HANDOVER_SECS (a younger
            // one hands its token over without asking WorkOS), so going back to WorkOS cannot
            // loop: the new session it brings is young.
            let _ = signin::spend_workos_refresh_token(ctx, session_id, session).await;
            return fresh_signin(ctx, req, session, set_cookies).await;
        }
        Err(e) => return Next::Page(signin_refusal(&SigninError::Workos(e))),
    };
    // The session notes its token as spent while the new one is read (role, permissions).
    let (spent, resolved) = join(
        signin::spend_workos_refresh_token(ctx, session_id, session),
        signin::resolve_principal(ctx, auth, signin::Source::Refresh(prefetched)),
    )
    .await;
    if let Err(e) = spent {
        return Next::Page(signin_refusal(&e));
    }
    let (principal, upstream_refresh) = match resolved {
        Ok(p) => p,
        Err(e) => return Next::Page(signin_refusal(&e)),
    };
    if principal.user_id != session.principal.user_id {
        return Next::Page(Refusal::new(
            400,
            "Authorization refused",
            "The signed-in user changed during authorization. Start again.",
        ));
    }
    let secrets = GrantSecrets { principal, workos_refresh_token: upstream_refresh, standing_at_ms: asked_ms };
    code_or_refusal(authorize::issue_code(ctx, req, secrets, id).await, set_cookies)
}

/// What a young session hands to a grant: the standing WorkOS vouched for at its sign-in.
fn signed_in(session: &Session, workos_refresh_token: Secret<String>) -> GrantSecrets {
    GrantSecrets { principal: session.principal.clone(), workos_refresh_token, standing_at_ms: session.standing_ms() }
}

/// The redirect back to the client with its code, or the page saying why there is none.
fn code_or_refusal(issued: Result<String, OAuthError>, set_cookies: Vec<String>) -> Next {
    match issued {
        Ok(location) => Next::Redirect { location, set_cookies },
        Err(e) => Next::Page(Refusal {
            status: e.status,
            title: "Authorization failed".into(),
            message: e.description,
            retry_after: e.retry_after,
        }),
    }
}

/// Whether a concurrent request of this browser took the session's WorkOS token. WorkOS
/// refused ours because that request spent it, but its note in the session may still be on its
/// way (it is written right after WorkOS answers it): looked for a few times, for at most 1.5 s.
async fn spent_meanwhile<S: Store, H: HttpClient>(ctx: &Ctx<'_, S, H>, session_id: &str) -> bool {
    for wait_ms in [0, 100, 200, 400, 800] {
        if wait_ms > 0 {
            ctx.http.sleep(wait_ms).await;
        }
        if signin::session_token_spent(ctx, session_id).await {
            return true;
        }
    }
    false
}

async fn fresh_signin<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    req: &ValidRequest,
    session: &Session,
    set_cookies: Vec<String>,
) -> Next {
    to_workos(ctx, &req.params.path(), Some(&session.principal.email), set_cookies).await
}

/// A new sign-in at WorkOS that comes back to `return_to`.
async fn to_workos<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    return_to: &str,
    login_hint: Option<&str>,
    mut set_cookies: Vec<String>,
) -> Next {
    let start = StartRequest { return_to: Some(return_to), login_hint, ..Default::default() };
    match signin::start(ctx, start).await {
        Ok(started) => {
            set_cookies.push(started.set_cookie);
            Next::WorkosSignIn { location: started.location, set_cookies }
        }
        Err(e) => Next::Page(signin_refusal(&e)),
    }
}
