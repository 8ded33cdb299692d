//! Revocation (RFC 7009): `POST /revoke` ends the grant a refresh or access token names, when
//! the authenticated client is the one it was issued to. Runs in the grant's object.
use super::access;
use super::client::ClientRecord;
use super::client_auth::authenticate_client;
use super::form::Form;
use super::grant::{self, RefreshRole};
use super::types::{RefreshToken, TokenHash};
use super::OAuthError;
use crate::context::Ctx;
use crate::ids::GrantId;
use crate::outbound::HttpClient;
use crate::store::Store;

/// `POST /revoke`: client authentication, then [`revoke`]. Runs in the grant's object.
pub async fn revoke_request<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    form: &Form,
    authorization: Option<&str>,
) -> Result<Option<GrantId>, OAuthError> {
    let client = authenticate_client(ctx, form, authorization).await?;
    revoke(ctx, &client, form).await
}

/// `POST /revoke` (RFC 7009). Returns the revoked grant's id, if any. Tokens that are unknown
/// or belong to another client are ignored (the answer is 200 either way).
pub async fn revoke<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    client: &ClientRecord,
    form: &Form,
) -> Result<Option<GrantId>, OAuthError> {
    let token = form.require("token")?;
    let grant_id = if let Some(id) = RefreshToken::parse(token) {
        let Some(g) = grant::load(ctx.store, &id, ctx.now).await? else { return Ok(None) };
        let role = g.refresh_role(&TokenHash::of(token));
        if !matches!(role, RefreshRole::Current | RefreshRole::Previous) || g.client_id != client.client_id {
            return Ok(None);
        }
        g.id
    } else if let Some(claims) = access::open(&ctx.config.seal_keys, token, ctx.now).filter(|c| c.issuer == ctx.origin)
    {
        // Access tokens are self-contained; revoking one ends its grant, unless the grant under
        // its id now is a later one (the bearer check refuses such a token as revoked).
        if claims.client_id != client.client_id {
            return Ok(None);
        }
        match grant::load(ctx.store, &claims.grant_id, ctx.now).await? {
            Some(g) if !access::of_an_earlier_grant(claims.issued_at, g.created_at) => g.id,
            _ => return Ok(None),
        }
    } else {
        return Ok(None);
    };
    grant::revoke(ctx.store, &grant_id).await?;
    Ok(Some(grant_id))
}
