//! MCP protocol core: JSON-RPC framing, version negotiation and method dispatch. Transports
//! (`routes/mcp.rs`, the SSE session object) call [`parse_body`] and [`handle`] (a batch's
//! elements one by one, or [`handle_batch`]); tool I/O enters through
//! [`ToolEnv`](crate::tools::ToolEnv), so everything here is tested natively.
mod batch;
pub mod cancel;
mod dispatch;
// The conformance suite's fixtures: in the tests and in builds with the `conformance-fixtures`
// feature (local development); a deployed build has empty stand-ins (see `no_fixtures.rs`).
#[cfg(any(test, feature = "conformance-fixtures"))]
mod fixtures;
#[cfg(not(any(test, feature = "conformance-fixtures")))]
#[path = "no_fixtures.rs"]
mod fixtures;
#[cfg(any(test, feature = "conformance-fixtures"))]
mod fixtures_modern;
#[cfg(not(any(test, feature = "conformance-fixtures")))]
use fixtures as fixtures_modern;
mod input_required;
mod jsonrpc;
pub mod model;
pub mod modern;
mod prompts;
mod resources;

#[cfg(test)]
mod batch_tests;
#[cfg(test)]
mod dispatch_tests;
#[cfg(test)]
mod modern_tests;

pub use batch::{batch_element, handle_batch, has_request, parse_body, send_in_order, BatchReply, Body};
pub use dispatch::{handle, Options, Reply};
pub use jsonrpc::{parse, McpError, Message};
pub use model::{error_response, ErrorCode, ProtocolVersion, RequestId};
pub use modern::{era, Era};

use crate::principal::Principal;

pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

/// The most messages one batch may hold (2025-03-26). Each is answered in turn within the one
/// request, and its subrequests count against the Workers Free plan's 50 per request. A
/// recorded call costs at most five: its own WorkOS call (`getUserProfile`) or Workers AI
/// (`generateImage`), the audit event, each WorkOS call retried once, and the client's metadata
/// document for the event's client name. Eight make at most 40, with room for the bearer check's.
pub const MAX_BATCH: usize = 8;

pub const SERVER_NAME: &str = "mcp-authkit-worker";

/// `initialize` answers with the client's version when it is one of [`ProtocolVersion::ALL`].
pub fn is_supported_version(v: &str) -> bool {
    ProtocolVersion::parse(v).is_some()
}

/// "2025-11-25, 2025-06-18, …" (newest first), for error messages.
pub fn supported_versions() -> String {
    ProtocolVersion::ALL.map(ProtocolVersion::as_str).join(", ")
}

/// The names of the tools this principal may see (for list_changed decisions).
pub fn visible_tool_names(principal: &Principal) -> Vec<&'static str> {
    crate::tools::visible(principal).map(|t| t.name).collect()
}

/// The notification the SSE transport sends when a session's visible tools changed.
pub fn tools_list_changed_notification() -> serde_json::Value {
    let n = model::Notification {
        jsonrpc: model::JsonRpcVersion,
        method: "notifications/tools/list_changed",
        params: None,
    };
    serde_json::to_value(n).unwrap_or_default()
}

/// What `account://me` says for this principal (a session compares it to notice changes).
pub fn account_resource(principal: &Principal) -> serde_json::Value {
    crate::tools::whoami::profile(principal)
}

/// `Some(true)` for `resources/subscribe` to `account://me`, `Some(false)` for unsubscribe.
pub fn account_subscription(message: &Message) -> Option<bool> {
    let Message::Request { method, params, .. } = message else { return None };
    let about_account =
        params.as_ref().and_then(|p| p.get("uri")).and_then(serde_json::Value::as_str) == Some(resources::ACCOUNT_URI);
    match method.as_str() {
        "resources/subscribe" if about_account => Some(true),
        "resources/unsubscribe" if about_account => Some(false),
        _ => None,
    }
}

/// `notifications/resources/updated` for `account://me`.
pub fn account_updated_notification() -> serde_json::Value {
    let n = model::Notification {
        jsonrpc: model::JsonRpcVersion,
        method: "notifications/resources/updated",
        params: Some(serde_json::json!({ "uri": resources::ACCOUNT_URI })),
    };
    serde_json::to_value(n).unwrap_or_default()
}
