//! Sign-in at the edge: `/login` → WorkOS AuthKit → `/callback` → session.
//! Generic over the KV [`Store`] and the [`HttpClient`], so the whole flow is tested natively.
pub mod bridge;
mod error;
mod finish;
mod flow;
#[cfg(test)]
mod flow_tests;
pub mod organization;
#[cfg(test)]
mod refusal_tests;
mod resolve;
#[cfg(test)]
mod scoped_tests;
pub(crate) mod session;
#[cfg(test)]
mod test_world;

pub use error::SigninError;
pub use finish::{Completed, SIGNED_IN_ACTION};
#[cfg(test)]
pub(crate) use flow::kept_record;
pub use flow::{complete, complete_bridge_for_session, start, Callback, Outcome, StartRequest, Started};
pub use organization::{choose as choose_organization, Picker, PICK_COOKIE};
pub use resolve::{refresh_with_memberships, resolve_principal, verify_access_token, Prefetched, Source};
pub use session::{
    forget_replaced_session, form_session, handover, handover_digest, load_session, logout, session_token_spent,
    spend_workos_refresh_token, workos_refresh_token, Handover, Session,
};

/// Cookie binding a sign-in state to the browser that started it.
pub const SIGNIN_COOKIE: &str = "__Host-mcp-signin";
/// Cookie holding the sealed session id.
pub const SESSION_COOKIE: &str = "__Host-mcp-session";
/// Lifetime of a sign-in state (KV record and binding cookie).
pub const STATE_TTL: u64 = 600;
/// Lifetime of a browser session.
pub const SESSION_TTL: u64 = 24 * 3600;

/// Who is asking and from where (for WorkOS and the audit log).
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}
