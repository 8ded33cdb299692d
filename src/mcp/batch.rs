//! JSON-RPC batches, the one revision that has them: 2025-03-26 ("MUST support receiving"),
//! added there and removed in 2025-06-18. Each message is answered as it would be alone, in
//! order; the transport sends the answers as one JSON array, or one event each after the
//! notifications their requests sent. `initialize` must come alone, and a 2026-07-28 request
//! never comes in a batch.
use super::dispatch::{handle, Options, Reply};
use super::jsonrpc::{is_batch, parse, parse_batch, McpError, Message};
use super::model::ProtocolVersion;
use super::modern::{era, Era};
use crate::principal::Principal;
use crate::tools::ToolEnv;
use serde_json::Value;

/// A POSTed body: one message, or a batch the revision allows.
#[derive(Debug)]
pub enum Body {
    One(Message),
    /// Each element a message, or the error response it gets.
    Batch(Vec<Result<Message, Value>>),
}

/// Parse a POSTed body sent under this `MCP-Protocol-Version` header (`/mcp`'s, or a legacy SSE
/// session's POST's). `Err` is the complete JSON-RPC error response (sent with HTTP 400), a
/// batch's refusal included where the revision has none.
pub fn parse_body(body: &[u8], protocol_header: Option<&str>) -> Result<Body, Value> {
    if is_batch(body) && batch_allowed(protocol_header) {
        parse_batch(body).map(Body::Batch)
    } else {
        parse(body).map(Body::One)
    }
}

/// Whether a batch is served under this `MCP-Protocol-Version` header: 2025-03-26, or no header
/// at all (a server that is not told "SHOULD assume protocol version 2025-03-26", 2025-06-18).
pub fn batch_allowed(protocol_header: Option<&str>) -> bool {
    protocol_header.is_none_or(|v| v.trim() == ProtocolVersion::V2025_03_26.as_str())
}

/// What a batch's requests sent while they ran (progress, log messages), in order, and each
/// request's response (and each malformed element's error), in the batch's order.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchReply {
    pub notifications: Vec<Value>,
    /// JSON text each, as [`Reply::response`].
    pub responses: Vec<String>,
    /// Whether the batch held a request (a well-formed one, answered with a result or an
    /// error). Without one, every answer is a malformed element's refusal: the input was not
    /// accepted, which 2025-03-26 answers with an HTTP error status.
    pub had_request: bool,
}

impl BatchReply {
    /// The responses as one JSON array (the answer as `application/json`). On an event stream
    /// each goes as its own event: the MCP SDKs read one message per event.
    pub fn array(&self) -> String {
        format!("[{}]", self.responses.join(","))
    }
}

/// Whether a batch holds a well-formed request (one `initialize` included: it is answered, with
/// -32600). A batch without one and with a malformed element was not accepted: HTTP 400.
pub fn has_request(items: &[Result<Message, Value>]) -> bool {
    items.iter().any(|item| matches!(item, Ok(Message::Request { .. })))
}

/// Answer a [`Body::Batch`]: `None` when it held only notifications and responses (HTTP 202;
/// with a malformed element among them its refusal is answered, and `had_request` is false).
/// A stateless request keeps no log level, so a `logging/setLevel` in a batch changes nothing.
pub async fn handle_batch<E: ToolEnv>(
    principal: &Principal,
    env: &E,
    items: Vec<Result<Message, Value>>,
    options: &Options,
) -> Option<BatchReply> {
    let mut notifications = Vec::new();
    let mut responses = Vec::new();
    let had_request = has_request(&items);
    for item in items {
        match item.and_then(batch_element) {
            Ok(message) => {
                if let Some(Reply { notifications: sent, response, .. }) =
                    handle(principal, env, message, options).await
                {
                    notifications.extend(sent);
                    responses.push(response);
                }
            }
            Err(error) => responses.push(error.to_string()),
        }
    }
    (!responses.is_empty()).then_some(BatchReply { notifications, responses, had_request })
}

/// Send a legacy SSE session's messages (one, or a batch's) in order: each runs only while the
/// stream it answers on is `live` (a request whose stream has gone makes no tool call and no
/// audit event), and none runs after one could not be sent (`send` answers whether it was).
pub async fn send_in_order<M, F: std::future::Future<Output = bool>>(
    messages: Vec<M>,
    live: impl Fn() -> bool,
    mut send: impl FnMut(M) -> F,
) {
    for message in messages {
        // Checked before each (a stream can close between two messages, and a notification
        // pushes nothing that would notice) and after each (its answer could not be pushed).
        if !live() || !send(message).await {
            return;
        }
    }
}

/// A message taken from a batch, or, for a request that may not be part of one, its -32600
/// answer.
pub fn batch_element(message: Message) -> Result<Message, Value> {
    let Message::Request { id, method, .. } = &message else { return Ok(message) };
    let detail = if method == "initialize" {
        "initialize must not be part of a batch (MCP 2025-03-26): send it alone"
    } else if era(None, &message) == Era::Modern {
        "a 2026-07-28 request (protocol version in _meta, or server/discover) cannot be part of a batch"
    } else {
        return Ok(message);
    };
    Err(McpError::InvalidRequest(detail.into()).into_response(id.clone()))
}
