//! Sign-in at the edge: `/login` → WorkOS AuthKit → `/callback` → session.
//! Generic over the KV [`Store`] and the [`HttpClient`], so the whole flow is tested natively.
pub mod bridge;
mod error;
mod flow;
pub mod organization;
mod principal;
pub(crate) mod session;
#[cfg(test)]
mod tests;

pub use error::SigninError;
pub use flow::{
    complete, complete_bridge_for_session, start, Callback, Completed, Outcome, StartRequest, Started, SIGNED_IN_ACTION,
};
pub use organization::{choose as choose_organization, Picker, PICK_COOKIE};
pub use principal::{resolve_principal, verify_access_token, Principal};
pub use session::{
    load_session, logout, session_token_spent, spend_workos_refresh_token, workos_refresh_token, Session,
};

use crate::config::Config;
use crate::http::HttpClient;
use crate::store::Store;
use crate::workos::{JwksCache, WorkosClient};
use std::cell::RefCell;

/// Cookie binding a sign-in state to the browser that started it.
pub const SIGNIN_COOKIE: &str = "__Host-mcp-signin";
/// Cookie holding the sealed session id.
pub const SESSION_COOKIE: &str = "__Host-mcp-session";
/// Lifetime of a sign-in state (KV record and binding cookie).
pub const STATE_TTL: u64 = 600;
/// Lifetime of a browser session.
pub const SESSION_TTL: u64 = 24 * 3600;

/// Everything a flow needs from the outside world for one request.
pub struct Ctx<'a, S: Store, H: HttpClient> {
    pub config: &'a Config,
    pub store: &'a S,
    pub http: &'a H,
    /// The per-isolate JWKS cache (never borrowed across an `.await`).
    pub jwks: &'a RefCell<JwksCache>,
    /// Unix seconds.
    pub now: u64,
    /// The Worker's own origin, e.g. `https://mcp.example.com`.
    pub origin: &'a str,
}

impl<S: Store, H: HttpClient> Ctx<'_, S, H> {
    pub fn workos(&self) -> WorkosClient<'_, H> {
        WorkosClient {
            http: self.http,
            base_url: &self.config.api_base_url,
            client_id: &self.config.client_id,
            api_key: &self.config.api_key,
            now: self.now,
        }
    }

    pub fn callback_url(&self) -> String {
        format!("{}/callback", self.origin)
    }
}

/// Who is asking and from where (for WorkOS and the audit log).
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}
