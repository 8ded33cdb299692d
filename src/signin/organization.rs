//! A person in several organizations: WorkOS answers the code exchange with
//! `organization_selection_required`; the picker page lets them choose, and the choice resumes
//! the sign-in with the organization-selection grant.
//!
//! The pending token is a credential. It waits in KV for at most 10 minutes, sealed (AEAD under
//! the cookie key, bound to the record's id), and is spent once; the browser holds only the
//! record's id, sealed, in `__Host-mcp-pick`. The form carries the record's CSRF token.
use super::finish::{finish, Completed, Resume};
use super::{ClientInfo, SigninError, STATE_TTL};
use crate::context::Ctx;
use crate::outbound::HttpClient;
use crate::secret::Secret;
use crate::store::{keys, Store, StoreError};
use crate::workos::{AuthResponse, OrganizationChoice, PendingAuthentication};
use crate::{cookies, random};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// Binds a picker to the browser it was shown in.
pub const PICK_COOKIE: &str = "__Host-mcp-pick";

/// What the picker page shows, and the cookie that goes with it.
#[derive(Debug)]
pub struct Picker {
    pub set_cookie: String,
    pub organizations: Vec<OrganizationChoice>,
    pub csrf: crate::secret::Secret<String>,
}

/// The KV record behind a picker.
#[derive(Serialize, Deserialize)]
struct PickRecord {
    /// The pending authentication token, sealed.
    pending_token_sealed: String,
    organizations: Vec<OrganizationChoice>,
    resume: Resume,
    csrf: String,
    created_at: u64,
}

fn token_aad(id: &str) -> String {
    format!("kv:signin-pick:{id}")
}

/// Store the paused sign-in and describe the picker.
pub(super) async fn offer<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    pending: PendingAuthentication,
    resume: Resume,
) -> Result<Picker, SigninError> {
    let id = random::token(32);
    let expires_at = ctx.now + STATE_TTL;
    let record = PickRecord {
        pending_token_sealed: ctx.config.seal_keys.seal(&token_aad(&id), pending.token.as_str().as_bytes(), expires_at),
        organizations: pending.organizations,
        resume,
        csrf: random::token(32),
        created_at: ctx.now,
    };
    let json = serde_json::to_string(&record).map_err(|e| SigninError::Storage(StoreError(e.to_string())))?;
    ctx.store.put(&keys::signin_pick(&id), &json, STATE_TTL).await.map_err(SigninError::Storage)?;
    let sealed_id = ctx.config.seal_keys.seal(PICK_COOKIE, id.as_bytes(), expires_at);
    Ok(Picker {
        set_cookie: cookies::set_cookie(PICK_COOKIE, &sealed_id, STATE_TTL),
        organizations: record.organizations,
        csrf: Secret::new(record.csrf),
    })
}

/// Resume a paused authentication in `organization_id`, which must be one WorkOS offered.
pub(super) async fn select<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    pending: &PendingAuthentication,
    organization_id: &str,
    client: &ClientInfo,
) -> Result<AuthResponse, SigninError> {
    if !pending.organizations.iter().any(|o| o.id == organization_id) {
        return Err(SigninError::NotInOrganization);
    }
    ctx.workos()
        .authenticate_with_organization_selection(
            pending.token.as_str(),
            organization_id,
            client.ip.as_deref(),
            client.user_agent.as_deref(),
        )
        .await
        .map_err(SigninError::Workos)
}

/// The picker form (`POST /login/organization`): same origin, this browser's picker, its CSRF
/// token, one of the offered organizations; then the sign-in finishes as at `/callback`.
pub async fn choose<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    pick_cookie: Option<&str>,
    organization_id: Option<&str>,
    csrf: Option<&str>,
    origin_header: Option<&str>,
    client: &ClientInfo,
) -> Result<Completed, SigninError> {
    if origin_header.is_some_and(|o| o != ctx.origin) {
        return Err(SigninError::ForeignOrigin);
    }
    let id = pick_cookie
        .and_then(|c| ctx.config.seal_keys.open(PICK_COOKIE, c, ctx.now))
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or(SigninError::PickExpired)?;
    let key = keys::signin_pick(&id);
    let raw = ctx.store.get(&key).await.map_err(SigninError::Storage)?.ok_or(SigninError::PickExpired)?;
    let record: PickRecord = crate::json::from_str(&raw).map_err(|_| SigninError::PickExpired)?;
    if ctx.now.saturating_sub(record.created_at) > STATE_TTL {
        return Err(SigninError::PickExpired);
    }
    // Checked before the record is spent: a forged or mistaken post leaves the picker usable.
    if !bool::from(csrf.unwrap_or("").as_bytes().ct_eq(record.csrf.as_bytes())) {
        return Err(SigninError::Csrf);
    }
    let organization_id = organization_id
        .filter(|o| record.organizations.iter().any(|c| c.id == *o))
        .ok_or(SigninError::OrganizationNotOffered)?;
    let token = ctx
        .config
        .seal_keys
        .open(&token_aad(&id), &record.pending_token_sealed, ctx.now)
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or(SigninError::PickExpired)?;
    // One attempt per picker, whatever its outcome (WorkOS's token is one-time too).
    ctx.store.delete(&key).await.map_err(SigninError::Storage)?;
    let pending = PendingAuthentication { token: Secret::new(token), organizations: record.organizations };
    let asked_ms = ctx.http.now_ms();
    let auth = select(ctx, &pending, organization_id, client).await?;
    finish(ctx, auth, asked_ms, record.resume, client).await
}

#[cfg(test)]
#[path = "organization_tests.rs"]
mod tests;
