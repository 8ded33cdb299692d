//! The end every sign-in shares (at `/callback`, or after the organization picker): WorkOS's
//! answer becomes a principal, a session and an audit event.
use super::resolve::{resolve_principal, Source};
use super::session::{create_session, handover_digest, Session};
use super::{ClientInfo, SigninError};
use crate::context::Ctx;
use crate::outbound::HttpClient;
use crate::store::Store;
use crate::workos::{AuditEvent, AuthResponse};
use serde::{Deserialize, Serialize};

#[derive(Debug)]
pub struct Completed {
    pub location: String,
    pub set_cookie: String,
    /// The new session's id and record: a page served with this answer needs no KV read for it.
    pub session_id: String,
    pub session: Session,
    /// To be sent in the background (only when an organization is known).
    pub audit: Option<AuditEvent>,
}

/// The audit action recorded for every sign-in (the README's dashboard step creates it).
pub const SIGNED_IN_ACTION: &str = "user.signed_in";

/// Where a sign-in goes once WorkOS has answered: kept through the organization picker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Resume {
    pub return_to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_auth_id: Option<String>,
}

/// From WorkOS's answer to a session (asked at `asked_ms`): organization and permissions,
/// AuthKit's bridge (before the session exists: a refused completion leaves nothing), the
/// session, the audit event.
pub(super) async fn finish<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    auth: AuthResponse,
    asked_ms: u64,
    resume: Resume,
    client: &ClientInfo,
) -> Result<Completed, SigninError> {
    let user = auth.user.clone();
    let (principal, refresh_token) = resolve_principal(ctx, auth, Source::SignIn).await?;
    let location = match &resume.external_auth_id {
        Some(id) => super::bridge::complete(ctx, id, &user).await?,
        None => resume.return_to,
    };
    // A sign-in an authorization request started keeps its WorkOS token for that request.
    let handover_for = location.starts_with("/authorize?").then(|| handover_digest(&location));
    let created = create_session(ctx, &principal, &refresh_token, handover_for, asked_ms).await?;
    let audit = principal.organization_id.as_ref().filter(|_| ctx.config.audit_sign_ins).map(|org| AuditEvent {
        organization_id: org.clone(),
        action: SIGNED_IN_ACTION.into(),
        occurred_at: crate::time::iso8601(ctx.now),
        actor_id: principal.user_id.to_string(),
        actor_name: Some(principal.name.clone()),
        target_type: "user".into(),
        target_id: principal.user_id.to_string(),
        target_name: Some(principal.name.clone()),
        location: client.ip.clone().unwrap_or_else(|| "0.0.0.0".into()),
        user_agent: client.user_agent.clone(),
        metadata: Vec::new(),
    });
    Ok(Completed { location, set_cookie: created.set_cookie, session_id: created.id, session: created.session, audit })
}
