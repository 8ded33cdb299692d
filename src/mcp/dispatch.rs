//! Method dispatch. Stateless on purpose: Streamable HTTP requests may arrive without a prior
//! `initialize` on this isolate, and permissions come from the principal on every request.
use super::jsonrpc::{McpError, Message};
use super::model::{
    result_response, Implementation, InitializeResult, ListToolsResult, ProtocolVersion, ServerCapabilities,
    ToolsCapability,
};
use super::SERVER_NAME;
use crate::principal::Principal;
use crate::tools::ToolEnv;
use crate::tools::{self, CallError};
use serde::Serialize;
use serde_json::{json, Value};

const INSTRUCTIONS: &str = "Tools are gated on your WorkOS permissions: tools/list shows only the tools \
your organization role allows. Call whoami to see your organization, role and permissions.";

/// Handle one message for this principal: `Some(response)` for requests, `None` for
/// notifications and responses.
pub async fn handle<E: ToolEnv>(principal: &Principal, env: &E, message: Message) -> Option<Value> {
    let Message::Request { id, method, params } = message else {
        // `notifications/initialized`, cancellations, client responses: nothing to answer.
        return None;
    };
    Some(match request(principal, env, &method, params).await {
        Ok(result) => result_response(id, result),
        Err(e) => e.into_response(id),
    })
}

async fn request<E: ToolEnv>(
    principal: &Principal,
    env: &E,
    method: &str,
    params: Option<Value>,
) -> Result<Value, McpError> {
    match method {
        "initialize" => initialize(params.as_ref()).and_then(wire),
        "ping" => Ok(json!({})),
        // Single page: a `cursor` can only be one we never issued, so it is ignored.
        "tools/list" => wire(ListToolsResult { tools: tools::visible(principal).map(|t| t.describe()).collect() }),
        "tools/call" => call(principal, env, params).await.and_then(wire),
        "server/discover" => Err(McpError::MethodNotFound(format!(
            "server/discover — this server speaks MCP {}; send initialize instead",
            version_range()
        ))),
        other => Err(McpError::MethodNotFound(other.to_string())),
    }
}

/// A result as JSON (the types here always serialize; a failure would be a JSON-RPC internal error).
fn wire(result: impl Serialize) -> Result<Value, McpError> {
    serde_json::to_value(result).map_err(|e| McpError::Internal(e.to_string()))
}

fn version_range() -> String {
    let oldest = ProtocolVersion::ALL.last().copied().unwrap_or(ProtocolVersion::LATEST);
    format!("{} … {}", oldest.as_str(), ProtocolVersion::LATEST.as_str())
}

fn initialize(params: Option<&Value>) -> Result<InitializeResult, McpError> {
    let requested = params
        .and_then(|p| p.get("protocolVersion"))
        .and_then(Value::as_str)
        .ok_or_else(|| McpError::InvalidParams("initialize needs params.protocolVersion (a string)".into()))?;
    // An unsupported version gets our latest; the client then decides whether to continue.
    Ok(InitializeResult {
        protocol_version: ProtocolVersion::parse(requested).unwrap_or(ProtocolVersion::LATEST),
        capabilities: ServerCapabilities { tools: ToolsCapability { list_changed: true } },
        server_info: Implementation { name: SERVER_NAME, version: env!("CARGO_PKG_VERSION") },
        instructions: INSTRUCTIONS,
    })
}

async fn call<E: ToolEnv>(
    principal: &Principal,
    env: &E,
    params: Option<Value>,
) -> Result<tools::CallToolResult, McpError> {
    let Some(Value::Object(mut params)) = params else {
        return Err(McpError::InvalidParams("tools/call needs params {name, arguments}".into()));
    };
    let Some(Value::String(name)) = params.remove("name") else {
        return Err(McpError::InvalidParams("tools/call needs params.name (a string)".into()));
    };
    match tools::call(principal, env, &name, params.remove("arguments")).await {
        Ok(result) => Ok(result),
        Err(CallError::UnknownTool) => Err(McpError::UnknownTool(name)),
    }
}
