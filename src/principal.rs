//! Who is calling: the signed-in person as every layer sees them — sign-in sessions, OAuth grants
//! and access tokens, AuthKit tokens, the MCP tools. Built by `signin::resolve` (the Worker's own
//! sign-in) or `authkit::caller` (AuthKit's tokens); the tools gate on its permissions.
use crate::ids::UserId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// The caller, with the organization standing the tools are gated on.
pub struct Principal {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub organization_id: Option<String>,
    pub organization_name: Option<String>,
    pub role: Option<String>,
    pub permissions: Vec<String>,
    /// WorkOS session id (`sid`), used to end the WorkOS session at logout.
    pub workos_session_id: Option<String>,
}

impl Principal {
    /// True when the caller holds WorkOS permission `slug` (in the organization they signed in to).
    pub fn has_permission(&self, slug: &str) -> bool {
        self.permissions.iter().any(|p| p == slug)
    }
}
