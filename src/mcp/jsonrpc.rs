//! JSON-RPC 2.0 framing as MCP uses it: one message per HTTP body, or a batch where the
//! revision allows one (2025-03-26 only: added then, removed in 2025-06-18), ids that are strings
//! or numbers, and the standard error codes.
use super::model::{error_response, ErrorCode, RequestId};
use serde_json::{Map, Value};

/// One client message, validated as JSON-RPC 2.0.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Request {
        id: RequestId,
        method: String,
        params: Option<Value>,
    },
    Notification {
        method: String,
        params: Option<Value>,
    },
    /// A client's response to a server request (we send none, so it is ignored).
    Response,
}

/// The protocol errors `handle` and `parse` answer with; tool failures are results, not these.
#[derive(Debug, Clone, PartialEq)]
pub enum McpError {
    Parse(String),
    InvalidRequest(String),
    MethodNotFound(String),
    InvalidParams(String),
    /// `tools/call` for a name that is not in the registry (a protocol error, unlike a refusal).
    UnknownTool(String),
    /// `resources/read` of a URI this server does not have (its `data` names the URI).
    ResourceNotFound(String),
    /// The server could not write its answer.
    Internal(String),
    /// 2026-07-28: an `MCP-Protocol-Version`, `Mcp-Method` or `Mcp-Name` header that is missing
    /// or disagrees with the body.
    HeaderMismatch(String),
    /// 2026-07-28: the request needs client capabilities its `_meta` does not declare
    /// (`data.requiredCapabilities`, e.g. `{"sampling": {}}`).
    MissingCapability(Value),
    /// 2026-07-28: a protocol version this server does not speak (`data.supported`, `requested`).
    UnsupportedVersion {
        requested: String,
        supported: Vec<&'static str>,
    },
}

impl McpError {
    pub fn code(&self) -> ErrorCode {
        match self {
            McpError::Parse(_) => ErrorCode::PARSE_ERROR,
            McpError::InvalidRequest(_) => ErrorCode::INVALID_REQUEST,
            McpError::MethodNotFound(_) => ErrorCode::METHOD_NOT_FOUND,
            McpError::InvalidParams(_) | McpError::UnknownTool(_) | McpError::ResourceNotFound(_) => {
                ErrorCode::INVALID_PARAMS
            }
            McpError::Internal(_) => ErrorCode::INTERNAL_ERROR,
            McpError::HeaderMismatch(_) => ErrorCode::HEADER_MISMATCH,
            McpError::MissingCapability(_) => ErrorCode::MISSING_CAPABILITY,
            McpError::UnsupportedVersion { .. } => ErrorCode::UNSUPPORTED_VERSION,
        }
    }

    pub fn message(&self) -> String {
        let (title, detail) = match self {
            McpError::Parse(d) => ("Parse error", d),
            McpError::InvalidRequest(d) => ("Invalid Request", d),
            McpError::MethodNotFound(d) => ("Method not found", d),
            McpError::InvalidParams(d) => ("Invalid params", d),
            McpError::UnknownTool(name) => ("Unknown tool", name),
            McpError::ResourceNotFound(uri) => ("Resource not found", uri),
            McpError::Internal(d) => ("Internal error", d),
            McpError::HeaderMismatch(d) => ("Header mismatch", d),
            McpError::MissingCapability(required) => {
                return format!("Missing required client capability: {}", required);
            }
            McpError::UnsupportedVersion { requested, supported } => {
                return format!(
                    "Unsupported protocol version {requested}: this endpoint speaks {} (send _meta), \
                     and 2025-11-25 through 2024-11-05 (send initialize)",
                    supported.join(", ")
                );
            }
        };
        if detail.is_empty() {
            title.to_string()
        } else {
            format!("{title}: {}", echoed(detail))
        }
    }

    pub fn into_response(self, id: RequestId) -> Value {
        let data = match &self {
            McpError::ResourceNotFound(uri) => Some(serde_json::json!({ "uri": echoed(uri) })),
            McpError::MissingCapability(required) => Some(serde_json::json!({ "requiredCapabilities": required })),
            McpError::UnsupportedVersion { requested, supported } => {
                Some(serde_json::json!({ "supported": supported, "requested": requested }))
            }
            _ => None,
        };
        error_response(id, self.code(), &self.message(), data)
    }
}

/// How much of a request's own text an error repeats back.
pub const MAX_ECHOED: usize = 256;

/// At most [`MAX_ECHOED`] bytes of what a request said (a method's, tool's or resource's name an
/// error repeats back): an answer is not made as large as the request by echoing it.
fn echoed(text: &str) -> &str {
    let mut end = text.len().min(MAX_ECHOED);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Parse one HTTP body. `Err` is the complete JSON-RPC error response (sent with HTTP 400).
pub fn parse(body: &[u8]) -> Result<Message, Value> {
    match read_json(body)? {
        Value::Object(obj) => one(obj),
        Value::Array(_) => Err(McpError::InvalidRequest(
            "batch requests (JSON arrays) are not supported here: MCP added JSON-RPC batching in protocol \
             2025-03-26 and removed it in 2025-06-18; send one message per request"
                .into(),
        )
        .into_response(RequestId::Null)),
        _ => Err(not_an_object()),
    }
}

/// Whether a body is a JSON array (a batch): its first byte that is not JSON whitespace is `[`.
pub fn is_batch(body: &[u8]) -> bool {
    body.iter().find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')) == Some(&b'[')
}

/// Parse a batch body (2025-03-26): each element a message, or the error response it gets.
/// `Err` is the one error response for the whole body: not JSON, not an array, an empty array
/// (JSON-RPC 2.0 §6), or more than [`MAX_BATCH`](super::MAX_BATCH) elements.
pub fn parse_batch(body: &[u8]) -> Result<Vec<Result<Message, Value>>, Value> {
    let items = match read_json(body)? {
        Value::Array(items) => items,
        Value::Object(obj) => return Ok(vec![one(obj)]),
        _ => return Err(not_an_object()),
    };
    if items.is_empty() {
        return Err(McpError::InvalidRequest("an empty batch".into()).into_response(RequestId::Null));
    }
    if items.len() > super::MAX_BATCH {
        let detail = format!("a batch holds at most {} messages", super::MAX_BATCH);
        return Err(McpError::InvalidRequest(detail).into_response(RequestId::Null));
    }
    Ok(items
        .into_iter()
        .map(|item| match item {
            Value::Object(obj) => one(obj),
            _ => Err(not_an_object()),
        })
        .collect())
}

/// The body as JSON: within the size limit, UTF-8, well-formed (else -32600 or -32700, id null).
fn read_json(body: &[u8]) -> Result<Value, Value> {
    if body.len() > super::MAX_MESSAGE_BYTES {
        return Err(McpError::InvalidRequest("the message is larger than 1 MiB".into()).into_response(RequestId::Null));
    }
    let not_json =
        |kind: &str| McpError::Parse(format!("the body is not valid JSON ({kind})")).into_response(RequestId::Null);
    // From `str`, as everywhere (see `crate::json`), with the reason named.
    let text = std::str::from_utf8(body).map_err(|_| not_json("not UTF-8"))?;
    serde_json::from_str(text).map_err(|e| not_json(json_error_kind(&e)))
}

/// One JSON object as a message, or its -32600 answer (echoing a readable id).
fn one(obj: Map<String, Value>) -> Result<Message, Value> {
    let id = readable_id(&obj);
    classify(obj).map_err(|detail| McpError::InvalidRequest(detail).into_response(id))
}

fn not_an_object() -> Value {
    McpError::InvalidRequest("a JSON-RPC message must be a JSON object".into()).into_response(RequestId::Null)
}

/// The id to echo in an error about this object: only a well-formed one (a string, or an
/// integer that fits 64 bits), else null. A malformed response's id is never echoed: it numbers
/// the server's requests, not the client's, and in a batch it could match a request's answer
/// (2025-03-26: such an error "MAY" have no id).
fn readable_id(obj: &Map<String, Value>) -> RequestId {
    if !obj.contains_key("method") && (obj.contains_key("result") || obj.contains_key("error")) {
        return RequestId::Null;
    }
    obj.get("id").and_then(RequestId::from_json).unwrap_or(RequestId::Null)
}

fn classify(mut obj: Map<String, Value>) -> Result<Message, String> {
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err("\"jsonrpc\" must be \"2.0\"".into());
    }
    let id = obj.remove("id");
    if let Some(method) = obj.remove("method") {
        let Value::String(method) = method else {
            return Err("\"method\" must be a string".into());
        };
        let params = match obj.remove("params") {
            None => None,
            Some(p @ (Value::Object(_) | Value::Array(_))) => Some(p),
            Some(_) => return Err("\"params\" must be an object or an array".into()),
        };
        return match id {
            None => Ok(Message::Notification { method, params }),
            Some(id) => match RequestId::from_json(&id) {
                Some(id) => Ok(Message::Request { id, method, params }),
                None => Err("\"id\" must be a string or an integer (at most 64 bits)".into()),
            },
        };
    }
    match (obj.get("result"), obj.get("error"), &id) {
        (Some(_), None, Some(Value::String(_) | Value::Number(_))) => Ok(Message::Response),
        // An error response may carry a null id (the client could not read ours).
        (None, Some(Value::Object(e)), Some(Value::String(_) | Value::Number(_) | Value::Null))
            if e.get("code").is_some_and(Value::is_i64) && e.get("message").is_some_and(Value::is_string) =>
        {
            Ok(Message::Response)
        }
        (None, None, _) => {
            Err("a message needs \"method\" (request or notification) or \"result\"/\"error\" (response)".into())
        }
        _ => Err("a response needs a string or number \"id\" and exactly one of \"result\" or a well-formed \"error\""
            .into()),
    }
}

/// Why the body did not parse, without echoing any of it.
fn json_error_kind(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Eof => "unexpected end of input",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "invalid data",
        serde_json::error::Category::Io => "unreadable input",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PARSE_ERROR: i64 = ErrorCode::PARSE_ERROR.0;
    const INVALID_REQUEST: i64 = ErrorCode::INVALID_REQUEST.0;

    fn err(body: &str) -> Value {
        match parse(body.as_bytes()) {
            Err(e) => e,
            Ok(m) => panic!("expected an error for {body}, got {m:?}"),
        }
    }

    fn code(resp: &Value) -> i64 {
        resp["error"]["code"].as_i64().unwrap_or_default()
    }

    #[test]
    fn parses_requests_notifications_and_responses() {
        let m = parse(br#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#).unwrap();
        assert_eq!(m, Message::Request { id: RequestId::Integer(7), method: "ping".into(), params: None });
        let m = parse(br#"{"jsonrpc":"2.0","id":"a-1","method":"tools/list","params":{"cursor":"x"}}"#).unwrap();
        assert_eq!(
            m,
            Message::Request {
                id: RequestId::String("a-1".into()),
                method: "tools/list".into(),
                params: Some(json!({"cursor":"x"}))
            }
        );
        let m = parse(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap();
        assert_eq!(m, Message::Notification { method: "notifications/initialized".into(), params: None });
        assert_eq!(parse(br#"{"jsonrpc":"2.0","id":1,"result":{}}"#).unwrap(), Message::Response);
        let e = br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}"#;
        assert_eq!(parse(e).unwrap(), Message::Response);
        // Array params are valid JSON-RPC (methods then decide).
        assert!(matches!(parse(br#"{"jsonrpc":"2.0","id":1,"method":"m","params":[1]}"#), Ok(Message::Request { .. })));
    }

    #[test]
    fn invalid_json_is_a_parse_error_with_null_id() {
        for body in ["", "{", "{\"jsonrpc\":\"2.0\",", "not json", "\u{0}"] {
            let e = err(body);
            assert_eq!(code(&e), PARSE_ERROR, "{body}");
            assert_eq!(e["id"], Value::Null);
            assert_eq!(e["jsonrpc"], "2.0");
            assert!(e["error"]["message"].as_str().unwrap().starts_with("Parse error"));
        }
        assert_eq!(code(&parse(&[0xff, 0xfe]).unwrap_err()), PARSE_ERROR);
    }

    #[test]
    fn an_error_repeats_at_most_max_echoed_bytes_of_the_request() {
        let long = "é".repeat(MAX_ECHOED);
        let message = McpError::MethodNotFound(long.clone()).message();
        assert!(message.len() <= "Method not found: ".len() + MAX_ECHOED, "{}", message.len());
        assert!(long.starts_with(message.trim_start_matches("Method not found: ")));
        let data = McpError::ResourceNotFound(long).into_response(RequestId::Null)["error"]["data"]["uri"].clone();
        assert_eq!(data.as_str().unwrap().len(), MAX_ECHOED, "whole characters: 128 of 2 bytes");
        assert_eq!(McpError::UnknownTool("add2".into()).message(), "Unknown tool: add2");
    }

    #[test]
    fn batches_are_refused_by_parse_and_say_why() {
        let e = err(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#);
        assert_eq!(code(&e), INVALID_REQUEST);
        assert_eq!(e["id"], Value::Null);
        let msg = e["error"]["message"].as_str().unwrap();
        assert!(msg.contains("batch") && msg.contains("2025-03-26") && msg.contains("2025-06-18"), "{msg}");
        assert_eq!(code(&err("[]")), INVALID_REQUEST);
    }

    #[test]
    fn malformed_messages_are_invalid_requests_echoing_readable_ids() {
        let cases = [
            (r#"{"id":1,"method":"ping"}"#, json!(1)),
            (r#"{"jsonrpc":"1.0","id":"x","method":"ping"}"#, json!("x")),
            (r#"{"jsonrpc":2.0,"id":2,"method":"ping"}"#, json!(2)),
            (r#"{"jsonrpc":"2.0","id":3,"method":5}"#, json!(3)),
            (r#"{"jsonrpc":"2.0","id":4,"method":"ping","params":"p"}"#, json!(4)),
            (r#"{"jsonrpc":"2.0","id":5,"method":"ping","params":null}"#, json!(5)),
            (r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#, Value::Null),
            (r#"{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}"#, Value::Null),
            (r#"{"jsonrpc":"2.0","id":[1],"method":"ping"}"#, Value::Null),
            (r#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#, Value::Null),
            (r#"{"jsonrpc":"2.0","id":6}"#, json!(6)),
            (r#"{"jsonrpc":"2.0"}"#, Value::Null),
            // A malformed response: its id is the server's numbering, never echoed.
            (r#"{"jsonrpc":"2.0","id":7,"result":{},"error":{"code":1,"message":"m"}}"#, Value::Null),
            (r#"{"jsonrpc":"2.0","result":{}}"#, Value::Null),
            (r#"{"jsonrpc":"2.0","id":8,"error":"boom"}"#, Value::Null),
            (r#"{"jsonrpc":"2.0","id":9,"error":{"code":"x","message":"m"}}"#, Value::Null),
            (r#"{"jsonrpc":"1.0","id":10,"result":{}}"#, Value::Null),
        ];
        for (body, id) in cases {
            let e = err(body);
            assert_eq!(code(&e), INVALID_REQUEST, "{body}");
            assert_eq!(e["id"], id, "{body}");
            assert!(e["error"]["message"].as_str().unwrap().starts_with("Invalid Request: "), "{body}");
        }
        for body in ["1", "\"ping\"", "null", "true"] {
            assert_eq!(code(&err(body)), INVALID_REQUEST, "{body}");
        }
    }

    #[test]
    fn oversized_bodies_are_refused_without_parsing() {
        let mut body = br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":""#.to_vec();
        body.resize(super::super::MAX_MESSAGE_BYTES + 1, b'a');
        assert_eq!(code(&parse(&body).unwrap_err()), INVALID_REQUEST);
    }

    #[test]
    fn error_response_shape() {
        let e = error_response(
            RequestId::String("q".into()),
            ErrorCode::METHOD_NOT_FOUND,
            "Method not found: x",
            Some(json!({"method": "x"})),
        );
        assert_eq!(
            e,
            json!({"jsonrpc":"2.0","id":"q","error":{"code":-32601,"message":"Method not found: x","data":{"method":"x"}}})
        );
        assert!(error_response(RequestId::Null, ErrorCode::INVALID_REQUEST, "m", None)["error"].get("data").is_none());
    }
}
