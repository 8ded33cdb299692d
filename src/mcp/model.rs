//! The MCP wire model: the messages this server emits, typed (named as the official Rust SDK,
//! rmcp, names them — its crate itself costs ~80 KB gzip and pulls tokio, so the few types the
//! server needs are written here). Incoming messages are read by the hand-written, fuzzed parser
//! in `jsonrpc.rs`, which yields a [`RequestId`] already checked.
use serde::{Serialize, Serializer};
use serde_json::Value;

pub use crate::tools::{CallToolResult, Content, ResourceContents, ToolDescription};

/// A JSON-RPC request id as MCP allows it: a string or an integer (64-bit), echoed exactly.
/// `Null` only in errors about a message whose id could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestId {
    String(String),
    Integer(i64),
    Unsigned(u64),
    Null,
}

impl RequestId {
    /// The id of a message, when it is one MCP allows (a number beyond 64 bits would come back
    /// as a different number: it is not an id).
    pub fn from_json(v: &Value) -> Option<RequestId> {
        match v {
            Value::String(s) => Some(RequestId::String(s.clone())),
            Value::Number(n) => n.as_i64().map(RequestId::Integer).or_else(|| n.as_u64().map(RequestId::Unsigned)),
            _ => None,
        }
    }
}

impl Serialize for RequestId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RequestId::String(v) => s.serialize_str(v),
            RequestId::Integer(v) => s.serialize_i64(*v),
            RequestId::Unsigned(v) => s.serialize_u64(*v),
            RequestId::Null => s.serialize_unit(),
        }
    }
}

/// A JSON-RPC error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ErrorCode(pub i64);

impl ErrorCode {
    pub const PARSE_ERROR: ErrorCode = ErrorCode(-32700);
    pub const INVALID_REQUEST: ErrorCode = ErrorCode(-32600);
    pub const METHOD_NOT_FOUND: ErrorCode = ErrorCode(-32601);
    pub const INVALID_PARAMS: ErrorCode = ErrorCode(-32602);
    pub const INTERNAL_ERROR: ErrorCode = ErrorCode(-32603);
    // 2026-07-28
    pub const HEADER_MISMATCH: ErrorCode = ErrorCode(-32020);
    pub const MISSING_CAPABILITY: ErrorCode = ErrorCode(-32021);
    pub const UNSUPPORTED_VERSION: ErrorCode = ErrorCode(-32022);
}

/// The `error` member of a JSON-RPC error response.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorData {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// A JSON-RPC response: a result or an error, for the request with `id`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonRpcResponse<R: Serialize> {
    pub jsonrpc: JsonRpcVersion,
    pub id: RequestId,
    #[serde(flatten)]
    pub outcome: Outcome<R>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome<R: Serialize> {
    Result(R),
    Error(ErrorData),
}

/// Always `"2.0"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JsonRpcVersion;

impl Serialize for JsonRpcVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("2.0")
    }
}

/// A notification from the server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    pub jsonrpc: JsonRpcVersion,
    pub method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
}

/// The MCP protocol revisions this server speaks, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ProtocolVersion {
    #[serde(rename = "2025-11-25")]
    V2025_11_25,
    #[serde(rename = "2025-06-18")]
    V2025_06_18,
    #[serde(rename = "2025-03-26")]
    V2025_03_26,
    #[serde(rename = "2024-11-05")]
    V2024_11_05,
}

impl ProtocolVersion {
    pub const ALL: [ProtocolVersion; 4] = [
        ProtocolVersion::V2025_11_25,
        ProtocolVersion::V2025_06_18,
        ProtocolVersion::V2025_03_26,
        ProtocolVersion::V2024_11_05,
    ];
    pub const LATEST: ProtocolVersion = ProtocolVersion::V2025_11_25;

    pub const fn as_str(self) -> &'static str {
        match self {
            ProtocolVersion::V2025_11_25 => "2025-11-25",
            ProtocolVersion::V2025_06_18 => "2025-06-18",
            ProtocolVersion::V2025_03_26 => "2025-03-26",
            ProtocolVersion::V2024_11_05 => "2024-11-05",
        }
    }

    pub fn parse(s: &str) -> Option<ProtocolVersion> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// `initialize`'s result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeResult {
    pub protocol_version: ProtocolVersion,
    pub capabilities: ServerCapabilities,
    pub server_info: Implementation,
    pub instructions: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerCapabilities {
    pub tools: ListChanged,
    pub resources: ResourcesCapability,
    pub prompts: ListChanged,
    pub logging: Empty,
    pub completions: Empty,
}

impl ServerCapabilities {
    /// Everything this server offers; `tools.listChanged` and `resources.subscribe` only where
    /// the transport can send their notifications later (`stream`: a legacy SSE session), not on
    /// Streamable HTTP, which has no stream for them.
    pub const fn all(stream: bool) -> ServerCapabilities {
        ServerCapabilities {
            tools: ListChanged { list_changed: stream },
            resources: ResourcesCapability { subscribe: stream, list_changed: false },
            prompts: ListChanged { list_changed: false },
            logging: Empty {},
            completions: Empty {},
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListChanged {
    pub list_changed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourcesCapability {
    pub subscribe: bool,
    pub list_changed: bool,
}

/// `{}`: a capability without options, and the result of `ping`, `logging/setLevel` and
/// `resources/(un)subscribe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Empty {}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Implementation {
    pub name: &'static str,
    pub version: &'static str,
}

/// `tools/list`'s result (a single page).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListToolsResult {
    pub tools: Vec<ToolDescription>,
}

/// A `resources/list` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    pub uri: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub mime_type: &'static str,
}

/// A `resources/templates/list` entry (RFC 6570 URI template).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceTemplate {
    pub uri_template: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub mime_type: &'static str,
}

/// A `prompts/list` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prompt {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub arguments: &'static [PromptArgument],
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromptArgument {
    pub name: &'static str,
    pub description: &'static str,
    pub required: bool,
}

/// One message of `prompts/get`'s result: a content block (text, image, embedded resource).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromptMessage {
    pub role: &'static str,
    pub content: Content,
}

impl PromptMessage {
    pub fn user(content: Content) -> PromptMessage {
        PromptMessage { role: "user", content }
    }
}

/// A JSON-RPC error response as JSON (for transports that answer without a request id).
pub fn error_response(id: RequestId, code: ErrorCode, message: &str, data: Option<Value>) -> Value {
    let response: JsonRpcResponse<()> = JsonRpcResponse {
        jsonrpc: JsonRpcVersion,
        id,
        outcome: Outcome::Error(ErrorData { code, message: message.to_string(), data }),
    };
    serde_json::to_value(response).unwrap_or(Value::Null)
}

/// A JSON-RPC result response as JSON: the result moved in, not copied (what
/// [`JsonRpcResponse`] would serialize).
pub fn result_response(id: RequestId, result: Value) -> Value {
    let id = match id {
        RequestId::String(v) => Value::String(v),
        RequestId::Integer(v) => Value::from(v),
        RequestId::Unsigned(v) => Value::from(v),
        RequestId::Null => Value::Null,
    };
    let mut fields = serde_json::Map::new();
    fields.insert("jsonrpc".into(), Value::from("2.0"));
    fields.insert("id".into(), id);
    fields.insert("result".into(), result);
    Value::Object(fields)
}

/// A JSON-RPC result response as JSON text, written around a result already serialized: what
/// [`JsonRpcResponse`] would serialize to, without serializing the result a second time.
pub fn result_text(id: &RequestId, result: &str) -> String {
    let id = serde_json::to_string(id).unwrap_or_else(|_| "null".into());
    let mut out = String::with_capacity(result.len() + id.len() + 32);
    out.push_str(r#"{"jsonrpc":"2.0","id":"#);
    out.push_str(&id);
    out.push_str(r#","result":"#);
    out.push_str(result);
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn responses_serialize_as_json_rpc() {
        assert_eq!(
            error_response(RequestId::Integer(7), ErrorCode::METHOD_NOT_FOUND, "Method not found: x", None),
            json!({"jsonrpc": "2.0", "id": 7, "error": {"code": -32601, "message": "Method not found: x"}})
        );
        assert_eq!(
            result_response(RequestId::String("a".into()), json!({})),
            json!({"jsonrpc": "2.0", "id": "a", "result": {}})
        );
        assert_eq!(error_response(RequestId::Null, ErrorCode::PARSE_ERROR, "p", Some(json!(1)))["id"], Value::Null);
        assert_eq!(
            result_response(RequestId::Unsigned(u64::MAX), Value::Null)["id"],
            json!(u64::MAX),
            "echoed exactly"
        );
        // Built by hand, it is what the typed response serializes to.
        for id in
            [RequestId::String("s".into()), RequestId::Integer(-3), RequestId::Unsigned(u64::MAX), RequestId::Null]
        {
            let result = json!({"content": [{"type": "text", "text": "5"}], "isError": false});
            let typed = JsonRpcResponse { jsonrpc: JsonRpcVersion, id: id.clone(), outcome: Outcome::Result(&result) };
            assert_eq!(result_response(id.clone(), result.clone()), serde_json::to_value(&typed).unwrap());
            let text = result_text(&id, &result.to_string());
            assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), serde_json::to_value(&typed).unwrap(), "{text}");
        }
    }

    #[test]
    fn ids_are_strings_or_64_bit_integers() {
        assert_eq!(RequestId::from_json(&json!("x")), Some(RequestId::String("x".into())));
        assert_eq!(RequestId::from_json(&json!(-5)), Some(RequestId::Integer(-5)));
        assert_eq!(RequestId::from_json(&json!(u64::MAX)), Some(RequestId::Unsigned(u64::MAX)));
        for bad in
            [json!(1.5), json!(null), json!([1]), json!(true), serde_json::from_str("18446744073709551616").unwrap()]
        {
            assert_eq!(RequestId::from_json(&bad), None, "{bad}");
        }
    }

    #[test]
    fn versions_and_initialize() {
        assert_eq!(ProtocolVersion::parse("2025-06-18"), Some(ProtocolVersion::V2025_06_18));
        assert_eq!(ProtocolVersion::parse("2026-07-28"), None);
        let init = InitializeResult {
            protocol_version: ProtocolVersion::LATEST,
            capabilities: ServerCapabilities::all(true),
            server_info: Implementation { name: "s", version: "1" },
            instructions: "i",
        };
        assert_eq!(
            serde_json::to_value(init).unwrap(),
            json!({"protocolVersion": "2025-11-25", "capabilities": {"tools": {"listChanged": true},
                   "resources": {"subscribe": true, "listChanged": false}, "prompts": {"listChanged": false},
                   "logging": {}, "completions": {}},
                   "serverInfo": {"name": "s", "version": "1"}, "instructions": "i"})
        );
    }
}
