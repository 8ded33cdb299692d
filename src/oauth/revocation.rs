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
    // A refresh token names its grant; an access token is opened (and names its client).
    let (grant_id, issued_at) = if let Some(id) = RefreshToken::parse(token) {
        (id, None)
    } else if let Some(claims) = access::open(&ctx.config.seal_keys, token, ctx.now).filter(|c| c.issuer == ctx.origin)
    {
        if claims.client_id != client.client_id {
            return Ok(None);
        }
        (claims.grant_id, Some(claims.issued_at))
    } else {
        return Ok(None);
    };
    let Some(g) = grant::load(ctx.store, &grant_id, ctx.now).await? else { return Ok(None) };
    let its_grant = match issued_at {
        None => {
            matches!(g.refresh_role(&TokenHash::of(token)), RefreshRole::Current | RefreshRole::Previous)
                && g.client_id == client.client_id
        }
        // Access tokens are self-contained; revoking one ends its grant, unless the grant under
        // its id now is a later one (the bearer check refuses such a token as revoked).
        Some(issued_at) => !access::of_an_earlier_grant(issued_at, g.created_at),
    };
    if !its_grant {
        return Ok(None);
    }
    grant::revoke(ctx.store, &grant_id).await?;
    Ok(Some(grant_id))
}
