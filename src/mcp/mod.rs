//! MCP protocol core: JSON-RPC framing, version negotiation and method dispatch. Transports
//! (`routes/mcp.rs`, the SSE session object) call [`parse`] and [`handle`]; tool I/O enters
//! through [`ToolEnv`], so everything here is tested natively.
mod dispatch;
mod jsonrpc;

#[cfg(test)]
mod tests;

pub use dispatch::handle;
pub use jsonrpc::{error_response, parse, McpError, Message};
pub use jsonrpc::{INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR};

use crate::signin::Principal;

/// Newest first; `initialize` answers with the client's version when it is listed here.
pub const SUPPORTED_PROTOCOL_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];
pub const LATEST_PROTOCOL_VERSION: &str = "2025-11-25";
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

pub const SERVER_NAME: &str = "mcp-authkit-worker";

pub fn is_supported_version(v: &str) -> bool {
    SUPPORTED_PROTOCOL_VERSIONS.contains(&v)
}

/// The names of the tools this principal may see (for list_changed decisions).
pub fn visible_tool_names(principal: &Principal) -> Vec<&'static str> {
    crate::tools::visible(principal).map(|t| t.name).collect()
}

/// The notification the SSE transport sends when a session's visible tools changed.
pub fn tools_list_changed_notification() -> serde_json::Value {
    serde_json::json!({ "jsonrpc": "2.0", "method": "notifications/tools/list_changed" })
}

/// What tools need from the platform. Error strings are shown to the user as they are, so
/// implementations return readable messages without internal details or secrets.
#[allow(async_fn_in_trait)]
pub trait ToolEnv {
    /// Workers AI (`@cf/black-forest-labs/flux-1-schnell`) when this deployment has the AI
    /// binding; `None` without it (local dev, tests) — then the tool renders a local PNG preview.
    async fn generate_image(&self, prompt: &str, steps: u32) -> Option<Result<GeneratedImage, String>>;
    /// The user's WorkOS record, fetched with the server's API key (never the client's token).
    async fn workos_user(&self, user_id: &str) -> Result<crate::workos::User, String>;
}

#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedImage {
    pub base64: String,
    pub mime_type: String,
}
