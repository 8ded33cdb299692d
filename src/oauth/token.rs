//! `/token` and `/revoke`: form parsing, the two grants, revocation (client authentication:
//! `client_auth.rs`).
use super::access::{self, AccessClaims};
use super::client::ClientRecord;
use super::client_auth::Credentials;
use super::current_access::CurrentAccess;
use super::form::Form;
use super::grant::{self, Grant, GrantPhase, GrantSecrets, RefreshRole};
use super::resource::parse_resource;
use super::types::{AuthorizationCode, GrantType, RefreshToken, TokenHash};
use super::{registry, ErrorCode, OAuthError};
use crate::context::Ctx;
use crate::ids::{ClientId, GrantId};
use crate::outbound::HttpClient;
use crate::principal::Principal;
use crate::secret::Secret;
use crate::signin::{self, SigninError};
use crate::store::Store;
use crate::workos::WorkosError;
use serde::Serialize;

/// Every token carries this scope; the rest are the user's WorkOS permissions.
pub const BASE_SCOPE: &str = "mcp";

/// The RFC 6749 §5.1 success body.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: Secret<String>,
    pub token_type: &'static str,
    pub expires_in: u64,
    /// None for a client that did not register the `refresh_token` grant (it could not use it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret<String>>,
    pub scope: String,
}

fn scope_of(principal: &Principal) -> String {
    std::iter::once(BASE_SCOPE)
        .chain(principal.permissions.iter().map(String::as_str).filter(|p| *p != BASE_SCOPE))
        .collect::<Vec<_>>()
        .join(" ")
}

fn invalid_code() -> OAuthError {
    OAuthError::invalid_grant("the authorization code is invalid, expired or already used")
}

/// The grant a presented code names, if it is there, with the code.
async fn grant_of_code<'f, S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    form: &'f Form,
) -> Result<(Grant, &'f str), OAuthError> {
    let (grant_id, code) = code_of(form)?;
    let grant = grant::load(ctx.store, &grant_id, ctx.now).await?.ok_or_else(invalid_code)?;
    Ok((grant, code))
}

/// The code a `grant_type=authorization_code` request presents, and the grant it names.
fn code_of(form: &Form) -> Result<(GrantId, &str), OAuthError> {
    let code = form.require("code")?;
    Ok((AuthorizationCode::parse(code).ok_or_else(invalid_code)?, code))
}

/// The refresh token a `grant_type=refresh_token` request presents, and the grant it names,
/// once `client` may refresh at all.
fn refresh_token_of<'f>(client: &ClientRecord, form: &'f Form) -> Result<(GrantId, &'f str), OAuthError> {
    if !client.can_refresh() {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client did not register the refresh_token grant",
        ));
    }
    let presented = form.require("refresh_token")?;
    Ok((RefreshToken::parse(presented).ok_or_else(invalid_refresh_token)?, presented))
}

fn invalid_refresh_token() -> OAuthError {
    OAuthError::invalid_grant("the refresh token is invalid, expired or revoked")
}

/// `grant_type=authorization_code`. `arrived_ms`: when the request reached the grant's object
/// (an exchange within [`grant::CONCURRENT_MS`] of the redemption was sent together with it).
///
/// A pending grant keeps how its client authenticates, as read when the code was issued moments
/// ago: the registration is not read again. Without that copy (an older grant), or when the code
/// names no grant or another client's, the registration is read, as for any grant; client
/// authentication is decided before anything about the code is told.
async fn exchange_code<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    credentials: Credentials,
    form: &Form,
    arrived_ms: u64,
) -> Result<TokenResponse, OAuthError> {
    let found = grant_of_code(ctx, form).await;
    let kept = found
        .as_ref()
        .ok()
        .and_then(|(g, _)| g.client_auth().filter(|_| g.client_id.as_str() == credentials.client_id));
    let (client_id, refreshes) = match kept {
        Some(auth) => {
            credentials.check(auth)?;
            (ClientId::new(credentials.client_id), !auth.no_refresh)
        }
        None => {
            let client = credentials.authenticate(ctx).await?;
            let refreshes = client.can_refresh();
            (client.client_id, refreshes)
        }
    };
    let (mut g, code) = found?;
    let hash = TokenHash::of(code);
    // Verify code and client before acting on the grant (a stranger cannot revoke it).
    if g.client_id != client_id {
        return Err(invalid_code());
    }
    let pending = match &g.phase {
        GrantPhase::Pending { code } if code.hash.matches(&hash) && code.expires_at > ctx.now => code.clone(),
        GrantPhase::Pending { .. } => return Err(invalid_code()),
        GrantPhase::Active { used_code, used_challenge, redeemed_at_ms, .. } if used_code.matches(&hash) => {
            // Only the verifier's holder can have redeemed the code: the code alone (seen in a
            // browser's history, a log; a public client's id is no secret) revokes nothing.
            if used_challenge.as_ref().is_some_and(|c| !form.get("code_verifier").is_some_and(|v| c.verify(v))) {
                return Err(OAuthError::invalid_grant("the authorization code was already used"));
            }
            if redeemed_at_ms.is_some_and(|at| arrived_ms <= at + grant::CONCURRENT_MS) {
                // Sent together with the one that won (a double submission): refused, nothing revoked.
                return Err(OAuthError::invalid_grant(
                    "the authorization code was already used (by a request that arrived at the same time)",
                ));
            }
            // RFC 6749 §4.1.2: a replayed code revokes everything issued from it.
            grant::revoke(ctx.store, &g.id).await?;
            return Err(OAuthError::invalid_grant("the authorization code was already used; the grant is revoked"));
        }
        GrantPhase::Active { .. } => return Err(invalid_code()),
    };
    let verifier =
        form.get("code_verifier").ok_or_else(|| OAuthError::invalid_grant("code_verifier is required (PKCE)"))?;
    if !pending.challenge.verify(verifier) {
        return Err(OAuthError::invalid_grant("code_verifier does not match the code_challenge"));
    }
    if form.get("redirect_uri").is_some_and(|r| r != g.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant("redirect_uri differs from the one the code was issued to"));
    }
    let audience = narrowed_audience(ctx, &g, form)?;
    let secrets = g.open_secrets(&ctx.config.seal_keys, ctx.now).ok_or_else(invalid_code)?;
    let standing_at_ms = match secrets.standing_at_ms {
        0 => g.created_at.saturating_sub(grant::HANDOVER_SECS) * 1000,
        at => at,
    };
    let mut principal = secrets.principal.clone();
    // A WorkOS event that changed the person's role while the code waited: the tokens carry what
    // it reported, not the standing sealed at the consent (the bearer check applies a change
    // only to tokens whose standing was read before it).
    if let Some(access) = &g.access {
        access.apply_to(&mut principal);
    }
    let refresh = RefreshToken::new(&g.id);
    g.redeem(hash, ctx.http.now_ms(), refresh.hash());
    g.expires_at = ctx.now + grant::REFRESH_TTL;
    // The sealed secrets live as long as the grant (sealed at the consent, they would end up to a
    // code's lifetime before it, and the last refresh in that gap would fail).
    g.sealed = Grant::seal_secrets(&ctx.config.seal_keys, &g.id, &secrets, g.expires_at);
    grant::save_redeemed(ctx.store, &mut g, ctx.now).await?;
    Ok(respond(ctx, &g, audience, &principal, standing_at_ms, Some(refresh).filter(|_| refreshes)))
}

/// A `resource` at /token may only repeat or narrow the grant's.
fn narrowed_audience<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    g: &Grant,
    form: &Form,
) -> Result<super::resource::Audience, OAuthError> {
    let Some(resource) = form.get("resource") else { return Ok(g.audience) };
    let asked = parse_resource(resource, ctx.origin).map_err(|why| OAuthError::new(ErrorCode::InvalidTarget, why))?;
    if !g.audience.contains(asked) {
        return Err(OAuthError::new(ErrorCode::InvalidTarget, "resource is outside what was authorized"));
    }
    Ok(asked)
}

/// The token response; `standing_at_ms`: when `principal`'s standing was read from WorkOS
/// ([`AccessClaims::standing_at_ms`]).
fn respond<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    g: &Grant,
    audience: super::resource::Audience,
    principal: &Principal,
    standing_at_ms: u64,
    refresh_token: Option<RefreshToken>,
) -> TokenResponse {
    let claims = AccessClaims {
        issuer: ctx.origin.to_string(),
        grant_id: g.id.clone(),
        client_id: g.client_id.clone(),
        audience,
        principal: principal.clone(),
        issued_at: ctx.now,
        expires_at: ctx.now + grant::ACCESS_TTL,
        standing_at_ms,
    };
    TokenResponse {
        access_token: access::issue(&ctx.config.seal_keys, &claims).into(),
        token_type: "Bearer",
        expires_in: grant::ACCESS_TTL,
        refresh_token: refresh_token.map(RefreshToken::into_secret),
        scope: scope_of(principal),
    }
}

/// Which grant a `/token` or `/revoke` request (`path`) is about, read from the field that
/// endpoint acts on: at `/token` the code or refresh token its `grant_type` names, at `/revoke`
/// the `token` (a refresh token names its grant; an access token is opened), whatever else the
/// form holds. `None` when it names none — such a request changes no grant and is answered
/// without one.
pub fn grant_of_request(keys: &crate::seal::SealKeys, path: &str, form: &Form, now: u64) -> Option<GrantId> {
    if path == "/revoke" {
        let token = form.get("token")?;
        return RefreshToken::parse(token).or_else(|| access::open(keys, token, now).map(|c| c.grant_id));
    }
    match form.get("grant_type").map(GrantType::parse)? {
        Some(GrantType::AuthorizationCode) => form.get("code").and_then(AuthorizationCode::parse),
        Some(GrantType::RefreshToken) => form.get("refresh_token").and_then(RefreshToken::parse),
        None => None,
    }
}

/// `POST /token`: client authentication, then the grant. Runs in the grant's object.
pub async fn token_request<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    form: &Form,
    authorization: Option<&str>,
    arrived_ms: u64,
) -> Result<TokenResponse, OAuthError> {
    let credentials = Credentials::presented(form, authorization)?;
    match grant_type_of(form) {
        Ok(GrantType::AuthorizationCode) => exchange_code(ctx, credentials, form, arrived_ms).await,
        Ok(GrantType::RefreshToken) => {
            let (client, renewal) = credentials.authenticate_with_renewal(ctx).await?;
            let tokens = refresh(ctx, &client, form, arrived_ms).await?;
            // A client that refreshes is in use: its registration is kept as an authorization
            // keeps it (a KV write a day at most). The tokens stand if that write fails; the
            // next refresh renews it.
            let _ = registry::renew(ctx, &client, renewal).await;
            Ok(tokens)
        }
        // The client is authenticated before the grant type is refused.
        Err(e) => {
            credentials.authenticate(ctx).await?;
            Err(e)
        }
    }
}

fn grant_type_of(form: &Form) -> Result<GrantType, OAuthError> {
    match form.get("grant_type").map(GrantType::parse) {
        Some(Some(t)) => Ok(t),
        Some(None) => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "only authorization_code and refresh_token are supported",
        )),
        None => Err(OAuthError::invalid_request("grant_type is required")),
    }
}

/// A `/token` or `/revoke` request (`path`) that names no grant ([`grant_of_request`] found
/// none), answered without a grant's object exactly as [`token_request`] and
/// [`super::revocation::revoke_request`] answer it: the client authenticated, then the token
/// request refused (a revocation whose token names nothing is fine: `Ok`, RFC 7009). Kept apart
/// from those two, so that the Worker does not hold a second copy of the grant operations (about
/// 10 KB of the Wasm).
pub async fn without_grant<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    path: &str,
    form: &Form,
    authorization: Option<&str>,
) -> Result<(), OAuthError> {
    let credentials = Credentials::presented(form, authorization)?;
    if path == "/revoke" {
        credentials.authenticate(ctx).await?;
        return form.require("token").map(|_| ());
    }
    let grant_type = grant_type_of(form);
    let client = credentials.authenticate(ctx).await?;
    Err(match grant_type? {
        GrantType::AuthorizationCode => code_of(form).err().unwrap_or_else(invalid_code),
        GrantType::RefreshToken => refresh_token_of(&client, form).err().unwrap_or_else(invalid_refresh_token),
    })
}

// The refresh grant: `token_refresh.rs`.
#[path = "token_refresh.rs"]
mod refreshing;
pub use refreshing::refresh;
