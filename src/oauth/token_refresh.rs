//! `grant_type=refresh_token` (a part of `token`): the rotation, its reuse rules, and what WorkOS's
//! answer to the upstream refresh makes of the grant.
use super::*;

/// `grant_type=refresh_token`: rotate, and refresh the upstream WorkOS session so the new
/// token carries the user's current role and permissions. Reuse (RFC 9700 §4.14.2): the token
/// just replaced is accepted once more, within [`grant::GRACE_MS`] of its rotation, while its
/// successor is unused (a lost response); any other use of a replaced token revokes the grant
/// and everything issued from it. A request that reached the grant's object (`arrived_ms`)
/// within [`grant::CONCURRENT_MS`] of the rotation it lost to was sent together with it:
/// refused as "already used", nothing revoked.
pub async fn refresh<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    client: &ClientRecord,
    form: &Form,
    arrived_ms: u64,
) -> Result<TokenResponse, OAuthError> {
    let (grant_id, presented) = refresh_token_of(client, form)?;
    let mut g = grant::load(ctx.store, &grant_id, ctx.now).await?.ok_or_else(invalid_refresh_token)?;
    if g.client_id != client.client_id {
        return Err(invalid_refresh_token());
    }
    let hash = TokenHash::of(presented);
    let role = g.refresh_role(&hash);
    let reuse =
        || OAuthError::invalid_grant("the refresh token was used after it had been replaced; the grant is revoked");
    // Sent together with the request that spent it: the previous token within moments of its
    // rotation, or the token the last rotation retired by a request that arrived before that
    // rotation and waited for its turn (its client's metadata document read first).
    let concurrent = g.rotated_at_ms().is_some_and(|at| match role {
        RefreshRole::Previous => arrived_ms <= at + grant::CONCURRENT_MS,
        _ => arrived_ms <= at && g.retired_last(&hash),
    });
    match role {
        RefreshRole::Current => {}
        RefreshRole::Unknown => return Err(invalid_refresh_token()),
        RefreshRole::Previous | RefreshRole::Superseded if concurrent => {
            return Err(OAuthError::invalid_grant(
                "the refresh token was already used (by a request that arrived at the same time); use the newest one",
            ));
        }
        RefreshRole::Previous
            if !g.previous_retried()
                && g.rotated_at_ms().is_some_and(|at| arrived_ms.saturating_sub(at) <= grant::GRACE_MS) => {}
        RefreshRole::Previous | RefreshRole::Superseded => {
            grant::revoke(ctx.store, &g.id).await?;
            return Err(reuse());
        }
    }
    let audience = narrowed_audience(ctx, &g, form)?;
    let secrets = g.open_secrets(&ctx.config.seal_keys, ctx.now).ok_or_else(invalid_refresh_token)?;
    let org = secrets.principal.organization_id.as_deref();
    let asked_ms = ctx.http.now_ms();
    let (auth, prefetched) =
        signin::refresh_with_memberships(ctx, secrets.workos_refresh_token.as_str(), g.user_id.as_str(), org).await;
    let auth = auth.map_err(|e| upstream(SigninError::Workos(e)))?;
    // From here on WorkOS has spent the grant's refresh token: whatever fails next, the grant
    // must keep the new one, or a retry would meet invalid_grant and the grant would be lost.
    let rotated = auth.refresh_token.clone();
    let (principal, workos_refresh_token) =
        match signin::resolve_principal(ctx, auth, signin::Source::Refresh(prefetched)).await {
            Ok(resolved) => resolved,
            Err(e) => {
                let kept = GrantSecrets { workos_refresh_token: rotated, ..secrets };
                g.sealed = Grant::seal_secrets(&ctx.config.seal_keys, &g.id, &kept, g.expires_at);
                grant::save(ctx.store, &mut g, ctx.now).await?;
                return Err(upstream(e));
            }
        };
    if principal.user_id != g.user_id {
        // Never expected: WorkOS spent the grant's refresh token for another person. The grant
        // cannot go on (its WorkOS token is spent): it ends, rather than fail at every refresh.
        grant::revoke(ctx.store, &g.id).await?;
        return Err(invalid_refresh_token());
    }
    let refresh = RefreshToken::new(&g.id);
    g.rotate(role, refresh.hash(), ctx.http.now_ms());
    // The new tokens carry what WorkOS says now, and so does the grant, dated when WorkOS was
    // asked: an event's reading from before that, written late, is older and changes nothing,
    // and tokens issued before the refresh take it as they would an event's.
    g.access = Some(CurrentAccess::of(&principal, asked_ms));
    // A KV mirror left as it was (see `save_refreshed`) must outlive the new access token, which
    // the bearer check finds there.
    let mirror_lasts = g.expires_at > ctx.now + grant::ACCESS_TTL;
    g.expires_at = ctx.now + grant::REFRESH_TTL;
    let secrets = GrantSecrets { principal, workos_refresh_token, standing_at_ms: asked_ms };
    g.sealed = Grant::seal_secrets(&ctx.config.seal_keys, &g.id, &secrets, g.expires_at);
    grant::save_refreshed(ctx.store, &mut g, ctx.now, mirror_lasts).await?;
    Ok(respond(ctx, &g, audience, &secrets.principal, secrets.standing_at_ms, Some(refresh)))
}

/// Upstream trouble during a refresh — transient, an answer not WorkOS's (a proxy's page, a cut-off
/// body), WorkOS refusing this server itself (its API key, client id), or WorkOS's access token
/// unverifiable here (a key not fetched yet, an issuer not configured) — is 503: the client retries
/// with its refresh token (`invalid_grant` would make it drop it). Only WorkOS refusing the
/// session's token ends the grant.
fn upstream(e: SigninError) -> OAuthError {
    match &e {
        SigninError::Workos(w) if w.is_transient() => {
            OAuthError::unavailable("WorkOS is unavailable; try again shortly", w.retry_after().or(Some(30)))
        }
        SigninError::Workos(WorkosError::Malformed { .. }) => {
            OAuthError::unavailable("WorkOS answered something unreadable; try again shortly", Some(30))
        }
        SigninError::Workos(w) if !w.refused_refresh() => {
            OAuthError::unavailable(format!("WorkOS refused this server's request ({w}); try again later"), Some(30))
        }
        SigninError::Storage(_) => OAuthError::unavailable(crate::oauth::error::STORAGE_UNAVAILABLE, Some(30)),
        SigninError::Token(_) => {
            OAuthError::unavailable("WorkOS's access token could not be verified; try again later", Some(30))
        }
        SigninError::NotInOrganization | SigninError::MembershipInactive => {
            OAuthError::invalid_grant("the user no longer has access to this organization")
        }
        _ => OAuthError::invalid_grant("the WorkOS session has ended; authorize again"),
    }
}
