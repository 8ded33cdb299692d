//! `/token` and `/revoke` requests that name no grant: which grant a request is about, and the
//! answer to one that names none, given in the Worker without a grant's object.
use super::access;
use super::client_auth::Credentials;
use super::form::Form;
use super::token::{code_of, grant_type_of, invalid_code, invalid_refresh_token, refresh_token_of};
use super::types::{AuthorizationCode, GrantType, RefreshToken};
use super::OAuthError;
use crate::context::Ctx;
use crate::ids::GrantId;
use crate::outbound::HttpClient;
use crate::store::Store;

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

/// A `/token` or `/revoke` request (`path`) that names no grant ([`grant_of_request`] found
/// none), answered without a grant's object exactly as [`super::token::token_request`] and
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
