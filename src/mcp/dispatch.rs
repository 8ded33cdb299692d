//! Method dispatch. Stateless on purpose: Streamable HTTP requests may arrive without a prior
//! `initialize` on this isolate, and permissions come from the principal on every request.
//! What a request reports while it runs (progress, log messages) comes back in the [`Reply`],
//! before its response; the transport decides how to send them.
use super::jsonrpc::{McpError, Message};
use super::model::{
    result_text, Empty, Implementation, InitializeResult, JsonRpcVersion, ListToolsResult, Notification,
    ProtocolVersion, ServerCapabilities,
};
use super::{fixtures, prompts, resources, SERVER_NAME};
use crate::principal::Principal;
use crate::tools::{self, CallError, LogLevel, Notice, Notices, ToolEnv};
use serde::Serialize;
use serde_json::{json, Map, Value};

pub(super) const INSTRUCTIONS: &str = "Tools are gated on your WorkOS permissions: tools/list shows only the tools \
your organization role allows. Call whoami to see your organization, role and permissions.";

/// How this server answers: whether the conformance fixtures are served, the lowest log level
/// sent (the session's, set by `logging/setLevel`, where there is a session), and whether the
/// transport has a stream that outlives each request (a legacy SSE session's), the only place a
/// change notification such as `notifications/tools/list_changed` can be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    pub fixtures: bool,
    pub log_level: LogLevel,
    pub session_stream: bool,
}

impl Options {
    /// With the conformance fixtures on, every level is sent (as the suite's reference server
    /// does); otherwise warnings and worse, unless the session set another level.
    pub fn for_server(fixtures: bool) -> Options {
        let log_level = if fixtures { LogLevel::Debug } else { LogLevel::default() };
        Options { fixtures, log_level, session_stream: false }
    }
}

/// The answer to a request: notifications sent while it ran, in order, then its response.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub notifications: Vec<Value>,
    /// The JSON-RPC response as JSON text, serialized once: a tool's result straight from its
    /// type, with the envelope written around it.
    pub response: String,
    /// A result (not an error).
    pub succeeded: bool,
    /// The level a successful `logging/setLevel` asked for (a session keeps it).
    pub log_level: Option<LogLevel>,
}

/// Handle one message for this principal: `Some(reply)` for requests, `None` for
/// notifications and responses.
pub async fn handle<E: ToolEnv>(principal: &Principal, env: &E, message: Message, options: &Options) -> Option<Reply> {
    let Message::Request { id, method, params } = message else {
        // `notifications/initialized`, cancellations, client responses: nothing to answer.
        return None;
    };
    // Looked up by key (a JSON pointer would unescape each step, on every request).
    // A progress token is a string or a number (MCP's `ProgressToken`); anything else asks for none.
    let progress_token = params
        .as_ref()
        .and_then(|p| p.get("_meta")?.get("progressToken"))
        .filter(|t| t.is_string() || t.is_number())
        .cloned();
    let notices = Notices::new(progress_token.is_some(), Some(options.log_level));
    let mut log_level = None;
    let outcome = match method.as_str() {
        "logging/setLevel" => set_level(params.as_ref()).map(|level| {
            log_level = Some(level);
            "{}".to_string()
        }),
        // The hot path: a tool's result goes to JSON text once, without a `Value` between.
        "tools/call" => call(principal, env, params, options.fixtures, progress_token.as_ref(), &notices)
            .await
            .and_then(|result| text(&result)),
        _ => request(principal, env, &method, params, options, progress_token.as_ref(), &notices)
            .await
            .and_then(|result| text(&result)),
    };
    let (succeeded, response) = match outcome {
        Ok(result) => (true, result_text(&id, &result)),
        Err(e) => (false, e.into_response(id).to_string()),
    };
    let notifications = notices.take().into_iter().map(|n| notification(n, progress_token.as_ref())).collect();
    Some(Reply { notifications, response, succeeded, log_level })
}

pub(super) fn notification(notice: Notice, progress_token: Option<&Value>) -> Value {
    let (method, params) = match notice {
        Notice::Progress { progress, total, message } => {
            let mut p = json!({ "progressToken": progress_token, "progress": progress });
            if let Some(obj) = p.as_object_mut() {
                if let Some(total) = total {
                    obj.insert("total".into(), json!(total));
                }
                if let Some(message) = message {
                    obj.insert("message".into(), json!(message));
                }
            }
            ("notifications/progress", p)
        }
        Notice::Log { level, data } => {
            ("notifications/message", json!({ "level": level, "logger": SERVER_NAME, "data": data }))
        }
    };
    serde_json::to_value(Notification { jsonrpc: JsonRpcVersion, method, params: Some(params) }).unwrap_or_default()
}

pub(super) async fn request<E: ToolEnv>(
    principal: &Principal,
    env: &E,
    method: &str,
    params: Option<Value>,
    options: &Options,
    progress_token: Option<&Value>,
    notices: &Notices,
) -> Result<Value, McpError> {
    let fixtures_on = options.fixtures;
    match method {
        "initialize" => initialize(params.as_ref(), options.session_stream).and_then(wire),
        "ping" => wire(Empty {}),
        // Single page: a `cursor` can only be one we never issued, so it is ignored.
        "tools/list" => {
            let mut tools: Vec<_> = tools::visible(principal).map(|t| t.describe()).collect();
            if fixtures_on {
                tools.extend(fixtures::tools());
            }
            wire(ListToolsResult { tools })
        }
        "tools/call" => call(principal, env, params, fixtures_on, progress_token, notices).await.and_then(wire),
        "resources/list" => wire(json!({ "resources": resources::list(fixtures_on) })),
        "resources/templates/list" => wire(json!({ "resourceTemplates": resources::templates(fixtures_on) })),
        "resources/read" => {
            let uri = string_param(params.as_ref(), "uri", method)?;
            wire(json!({ "contents": resources::read(principal, &uri, fixtures_on)? }))
        }
        // Updates are pushed on a legacy SSE session's stream; a Streamable HTTP POST has no
        // stream that outlives it, so there a subscription is accepted and has no effect.
        "resources/subscribe" | "resources/unsubscribe" => {
            let uri = string_param(params.as_ref(), "uri", method)?;
            resources::read(principal, &uri, fixtures_on)?;
            wire(Empty {})
        }
        "prompts/list" => wire(json!({ "prompts": prompts::list(principal, fixtures_on) })),
        "prompts/get" => {
            let name = string_param(params.as_ref(), "name", method)?;
            let args = match params.as_ref().and_then(|p| p.get("arguments")) {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(a)) => a.clone(),
                Some(_) => return Err(McpError::InvalidParams("prompts/get: arguments must be an object".into())),
            };
            let (description, messages) = prompts::get(principal, &name, &args, fixtures_on)?;
            wire(json!({ "description": description, "messages": messages }))
        }
        "completion/complete" => complete(principal, params.as_ref(), fixtures_on).and_then(wire),
        // The legacy SSE transport speaks 2024-11-05 … 2025-11-25 only; /mcp serves discovery.
        "server/discover" => Err(McpError::MethodNotFound(format!(
            "server/discover — this transport speaks MCP {} (send initialize); \
             POST /mcp with the 2026-07-28 _meta to discover",
            version_range()
        ))),
        other => Err(McpError::MethodNotFound(other.to_string())),
    }
}

/// A result as JSON (the types here always serialize; a failure would be a JSON-RPC internal error).
fn wire(result: impl Serialize) -> Result<Value, McpError> {
    serde_json::to_value(result).map_err(|e| McpError::Internal(e.to_string()))
}

/// A result as JSON text (failing as [`wire`] would).
fn text(result: &impl Serialize) -> Result<String, McpError> {
    serde_json::to_string(result).map_err(|e| McpError::Internal(e.to_string()))
}

fn string_param(params: Option<&Value>, key: &str, method: &str) -> Result<String, McpError> {
    match params.and_then(|p| p.get(key)) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(McpError::InvalidParams(format!("{method} needs params.{key} (a string)"))),
    }
}

fn set_level(params: Option<&Value>) -> Result<LogLevel, McpError> {
    let level = params.and_then(|p| p.get("level")).and_then(Value::as_str).unwrap_or_default();
    LogLevel::parse(level).ok_or_else(|| {
        let levels: Vec<&str> = LogLevel::ALL.iter().map(|l| l.as_str()).collect();
        McpError::InvalidParams(format!("logging/setLevel needs params.level, one of {}", levels.join(", ")))
    })
}

fn version_range() -> String {
    let oldest = ProtocolVersion::ALL.last().copied().unwrap_or(ProtocolVersion::LATEST);
    format!("{} … {}", oldest.as_str(), ProtocolVersion::LATEST.as_str())
}

/// `stream`: whether notifications can be sent later (a legacy SSE session), so that
/// `tools.listChanged` and `resources.subscribe` are promised (only where they can be kept).
fn initialize(params: Option<&Value>, stream: bool) -> Result<InitializeResult, McpError> {
    let requested = params
        .and_then(|p| p.get("protocolVersion"))
        .and_then(Value::as_str)
        .ok_or_else(|| McpError::InvalidParams("initialize needs params.protocolVersion (a string)".into()))?;
    // An unsupported version gets our latest; the client then decides whether to continue.
    Ok(InitializeResult {
        protocol_version: ProtocolVersion::parse(requested).unwrap_or(ProtocolVersion::LATEST),
        capabilities: ServerCapabilities::all(stream),
        server_info: Implementation { name: SERVER_NAME, version: env!("CARGO_PKG_VERSION") },
        instructions: INSTRUCTIONS,
    })
}

/// `completion/complete` for a prompt argument or a resource template variable.
fn complete(principal: &Principal, params: Option<&Value>, fixtures_on: bool) -> Result<Value, McpError> {
    let kind = params.and_then(|p| p.pointer("/ref/type")).and_then(Value::as_str);
    let argument = params.and_then(|p| p.pointer("/argument/name")).and_then(Value::as_str);
    let value = params.and_then(|p| p.pointer("/argument/value")).and_then(Value::as_str);
    let (Some(kind), Some(argument), Some(value)) = (kind, argument, value) else {
        return Err(McpError::InvalidParams(
            "completion/complete needs params.ref {type, name|uri} and params.argument {name, value}".into(),
        ));
    };
    let target = |key: &str| params.and_then(|p| p.pointer(&format!("/ref/{key}"))).and_then(Value::as_str);
    let values = match (kind, target("name").or(target("uri")), argument) {
        ("ref/prompt", Some(name), _) if prompts::list(principal, fixtures_on).iter().any(|p| p.name == name) => {
            match (name, argument) {
                ("generate-image", "style") => prompts::complete_style(value),
                _ => Vec::new(),
            }
        }
        ("ref/resource", Some("account://tools/{name}"), "name") => resources::complete_tool_name(value),
        ("ref/resource", Some(uri), _) if resources::templates(fixtures_on).iter().any(|t| t.uri_template == uri) => {
            Vec::new()
        }
        _ => return Err(McpError::InvalidParams(format!("nothing to complete for this {kind}"))),
    };
    // At most 100 values per the specification.
    let total = values.len();
    let values: Vec<String> = values.into_iter().take(100).collect();
    Ok(json!({ "completion": { "values": values, "total": total, "hasMore": total > 100 } }))
}

async fn call<E: ToolEnv>(
    principal: &Principal,
    env: &E,
    params: Option<Value>,
    fixtures_on: bool,
    progress_token: Option<&Value>,
    notices: &Notices,
) -> Result<tools::CallToolResult, McpError> {
    let Some(Value::Object(mut params)) = params else {
        return Err(McpError::InvalidParams("tools/call needs params {name, arguments}".into()));
    };
    let Some(Value::String(name)) = params.remove("name") else {
        return Err(McpError::InvalidParams("tools/call needs params.name (a string)".into()));
    };
    if let Some(result) = fixtures_on.then(|| fixtures::call(&name, progress_token, notices)).flatten() {
        return Ok(result);
    }
    match tools::call(principal, env, &name, params.remove("arguments"), notices).await {
        Ok(result) => Ok(result),
        Err(CallError::UnknownTool) => Err(McpError::UnknownTool(name)),
    }
}
