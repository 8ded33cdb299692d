//! Browser sessions: a KV record keyed by a random id; the cookie holds the id, sealed.
use super::{SigninError, SESSION_COOKIE, SESSION_TTL};
use crate::context::Ctx;
use crate::outbound::HttpClient;
use crate::principal::Principal;
use crate::secret::Secret;
use crate::store::{keys, Store, StoreError};
use crate::workos::urls::logout_url;
use crate::{cookies, random};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// Associated data for the WorkOS refresh token sealed inside the KV record.
pub(crate) const REFRESH_TOKEN_AAD: &str = "kv:session:refresh-token";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub principal: Principal,
    /// WorkOS refresh token, sealed with the cookie key: a KV dump alone does not yield it.
    pub refresh_token_sealed: String,
    /// Per-session CSRF token for state-changing forms.
    pub csrf: Secret<String>,
    pub created_at: u64,
    pub expires_at: u64,
    /// When WorkOS was asked for this sign-in (unix ms): the principal's standing is WorkOS's
    /// answer from then. 0 in sessions written before this was kept ([`Session::standing_ms`]).
    #[serde(default)]
    pub standing_at_ms: u64,
    /// When an authorization request started this sign-in: that request's digest
    /// ([`handover_digest`] of its `/authorize` path). The WorkOS token is then kept for that
    /// request's grant alone, whose object creates it once, so handing the token over writes
    /// nothing to this record (written a moment ago: KV takes one write to a key per second);
    /// any other request signs in again for its own token. Absent: the first grant to take
    /// the token notes it as spent here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handover_for: Option<String>,
}

impl Session {
    /// When WorkOS vouched for the principal's standing (unix ms); a session written before that
    /// was kept reads as made then (`created_at`).
    pub fn standing_ms(&self) -> u64 {
        match self.standing_at_ms {
            0 => self.created_at * 1000,
            at => at,
        }
    }
}

/// The digest that names an authorization request in [`Session::handover_for`]: of its
/// `/authorize` path, as the sign-in's return path carries it.
pub fn handover_digest(authorize_path: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new().chain_update(b"mcp-handover\n").chain_update(authorize_path).finalize();
    crate::b64::URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// Who may take a session's WorkOS token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handover {
    /// Not kept for any request: the first grant takes it and notes it as spent.
    Open,
    /// Kept for this very request.
    ThisRequest,
    /// Kept for another request.
    OtherRequest,
}

/// Whether the request at `authorize_path` may take `session`'s WorkOS token.
pub fn handover(session: &Session, authorize_path: &str) -> Handover {
    match &session.handover_for {
        None => Handover::Open,
        Some(kept) if bool::from(kept.as_bytes().ct_eq(handover_digest(authorize_path).as_bytes())) => {
            Handover::ThisRequest
        }
        Some(_) => Handover::OtherRequest,
    }
}

/// A session just stored: its `Set-Cookie`, its id and its record (what reading the cookie back
/// would give, without the KV read).
pub(super) struct NewSession {
    pub set_cookie: String,
    pub id: String,
    pub session: Session,
}

/// Store a new session (`handover_for`: see [`Session::handover_for`]).
pub(super) async fn create_session<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    principal: &Principal,
    refresh_token: &Secret<String>,
    handover_for: Option<String>,
    standing_at_ms: u64,
) -> Result<NewSession, SigninError> {
    let id = random::token(32);
    let expires_at = ctx.now + SESSION_TTL;
    let session = Session {
        principal: principal.clone(),
        refresh_token_sealed: ctx.config.seal_keys.seal(
            REFRESH_TOKEN_AAD,
            refresh_token.as_str().as_bytes(),
            expires_at,
        ),
        csrf: Secret::new(random::token(32)),
        created_at: ctx.now,
        expires_at,
        standing_at_ms,
        handover_for,
    };
    let json = serde_json::to_string(&session).map_err(|e| SigninError::Storage(StoreError(e.to_string())))?;
    ctx.store.put(&keys::session(&id), &json, SESSION_TTL).await.map_err(SigninError::Storage)?;
    let sealed = ctx.config.seal_keys.seal(SESSION_COOKIE, id.as_bytes(), expires_at);
    Ok(NewSession { set_cookie: cookies::set_cookie(SESSION_COOKIE, &sealed, SESSION_TTL), id, session })
}

/// The session named by the (sealed) session cookie, if it opens and is still live.
/// A tampered, expired or foreign cookie is treated as absent.
pub async fn load_session<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    session_cookie: Option<&str>,
) -> Result<Option<(String, Session)>, SigninError> {
    let Some(id) = session_cookie
        .and_then(|c| ctx.config.seal_keys.open(SESSION_COOKIE, c, ctx.now))
        .and_then(|b| String::from_utf8(b).ok())
    else {
        return Ok(None);
    };
    let Some(raw) = ctx.store.get(&keys::session(&id)).await.map_err(SigninError::Storage)? else {
        return Ok(None);
    };
    match crate::json::from_str::<Session>(&raw) {
        Ok(s) if s.expires_at > ctx.now => Ok(Some((id, s))),
        _ => Ok(None),
    }
}

/// The session behind a form of the account page (`POST /logout`, revoking an app): the post
/// must come from this origin and carry the session's CSRF token. `None` when signed out.
pub async fn form_session<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    session_cookie: Option<&str>,
    csrf: Option<&str>,
    origin_header: Option<&str>,
) -> Result<Option<(String, Session)>, SigninError> {
    if origin_header.is_some_and(|o| o != ctx.origin) {
        return Err(SigninError::ForeignOrigin);
    }
    let Some((id, session)) = load_session(ctx, session_cookie).await? else {
        return Ok(None);
    };
    let presented = csrf.unwrap_or("");
    if !bool::from(presented.as_bytes().ct_eq(session.csrf.as_str().as_bytes())) {
        return Err(SigninError::Csrf);
    }
    Ok(Some((id, session)))
}

/// A browser signed in again (session `kept`): the session its cookie named before goes, so that
/// a copy of the old cookie signs nobody in and a logout leaves no session behind. A failure to
/// delete it is not the sign-in's: that session ends with its own lifetime.
pub async fn forget_replaced_session<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    session_cookie: Option<&str>,
    kept: &str,
) {
    let id = session_cookie.and_then(|c| ctx.config.seal_keys.open(SESSION_COOKIE, c, ctx.now));
    if let Some(id) = id.and_then(|b| String::from_utf8(b).ok()).filter(|id| id != kept) {
        let _ = ctx.store.delete(&keys::session(&id)).await;
    }
}

/// `POST /logout`: same-origin, CSRF token checked, then the session is deleted.
/// Returns where to send the browser (WorkOS's logout URL when there is a WorkOS session).
pub async fn logout<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    session_cookie: Option<&str>,
    csrf: Option<&str>,
    origin_header: Option<&str>,
) -> Result<String, SigninError> {
    let signed_out = format!("{}/login", ctx.origin);
    let Some((id, session)) = form_session(ctx, session_cookie, csrf, origin_header).await? else {
        return Ok(signed_out);
    };
    ctx.store.delete(&keys::session(&id)).await.map_err(SigninError::Storage)?;
    Ok(match &session.principal.workos_session_id {
        Some(sid) => logout_url(&ctx.config.api_base_url, sid, Some(&signed_out)),
        None => signed_out,
    })
}

/// The session's WorkOS refresh token, unless it was already handed over (to an OAuth grant).
/// WorkOS rotates refresh tokens, so one token can seed one chain only: once used, the caller
/// marks it spent with [`spend_workos_refresh_token`].
pub fn workos_refresh_token<S: Store, H: HttpClient>(ctx: &Ctx<'_, S, H>, session: &Session) -> Option<String> {
    if session.refresh_token_sealed.is_empty() {
        return None;
    }
    ctx.config
        .seal_keys
        .open(REFRESH_TOKEN_AAD, &session.refresh_token_sealed, ctx.now)
        .and_then(|b| String::from_utf8(b).ok())
}

/// Record that the session's WorkOS refresh token is used up. The session stays signed in.
pub async fn spend_workos_refresh_token<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    session_id: &str,
    session: &Session,
) -> Result<(), SigninError> {
    rewrite(ctx, session_id, &Session { refresh_token_sealed: String::new(), ..session.clone() }).await
}

/// The session record written again (its other fields as they were), for the rest of its life.
async fn rewrite<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    session_id: &str,
    session: &Session,
) -> Result<(), SigninError> {
    let json = serde_json::to_string(session).map_err(|e| SigninError::Storage(StoreError(e.to_string())))?;
    let ttl = session.expires_at.saturating_sub(ctx.now).max(crate::store::KV_MIN_TTL);
    ctx.store.put(&keys::session(session_id), &json, ttl).await.map_err(SigninError::Storage)
}

/// Whether the session's WorkOS session still stands, asked of WorkOS by refreshing the
/// session's token (the rotated one is kept in the record): the user WorkOS names, or `None`
/// when it has ended (signed out elsewhere, revoked by an admin; the record is deleted, so this
/// browser is signed out here too) or cannot be asked (the token was handed over to an OAuth
/// grant, or is kept for one): the browser signs in again, silently while WorkOS's session
/// stands.
pub async fn confirm_with_workos<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    session_id: &str,
    session: &Session,
) -> Result<Option<crate::workos::User>, SigninError> {
    // A token kept for an authorization request's grant is never refreshed here (nor opened):
    // that grant may hold it already, and WorkOS rotates it.
    let token = if session.handover_for.is_none() { workos_refresh_token(ctx, session) } else { None };
    let org = session.principal.organization_id.as_deref();
    let confirmed = match token {
        Some(token) => match ctx.workos().authenticate_with_refresh_token(&token, org).await {
            Ok(auth) if auth.user.id == session.principal.user_id.as_str() => Some(auth),
            Err(e) if !e.refused_refresh() => return Err(SigninError::Workos(e)),
            // Refused, or (never expected) another user's session.
            _ => None,
        },
        None => None,
    };
    let Some(auth) = confirmed else {
        // The browser signs in again (its cookie is cleared): the record goes too, so that a
        // copy of the cookie signs nobody in.
        ctx.store.delete(&keys::session(session_id)).await.map_err(SigninError::Storage)?;
        return Ok(None);
    };
    let sealed =
        ctx.config.seal_keys.seal(REFRESH_TOKEN_AAD, auth.refresh_token.as_str().as_bytes(), session.expires_at);
    rewrite(ctx, session_id, &Session { refresh_token_sealed: sealed, ..session.clone() }).await?;
    Ok(Some(auth.user))
}

/// True when the stored session's WorkOS refresh token has been handed over meanwhile (by a
/// concurrent request of the same browser).
pub async fn session_token_spent<S: Store, H: HttpClient>(ctx: &Ctx<'_, S, H>, session_id: &str) -> bool {
    match ctx.store.get(&keys::session(session_id)).await {
        Ok(Some(raw)) => crate::json::from_str::<Session>(&raw).is_ok_and(|s| s.refresh_token_sealed.is_empty()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_from_before_standing_times_were_kept_reads_as_made_at_its_sign_in() {
        let session = |standing_at_ms| Session {
            principal: crate::tools::testing::alice(),
            refresh_token_sealed: String::new(),
            csrf: Secret::new("csrf".into()),
            created_at: 1_800_000_000,
            expires_at: 1_800_086_400,
            standing_at_ms,
            handover_for: None,
        };
        assert_eq!(session(1_800_000_000_250).standing_ms(), 1_800_000_000_250);
        assert_eq!(session(0).standing_ms(), 1_800_000_000_000);
    }
}
