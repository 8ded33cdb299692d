//! The stateless 2026-07-28 revision on `/mcp`, next to 2025-11-25 and earlier.
//!
//! A request of this revision carries its protocol version and the client's capabilities in
//! `params._meta`, mirrors its version, method and target in the `MCP-Protocol-Version`,
//! `Mcp-Method` and `Mcp-Name` headers, and has no handshake: `server/discover` says what the
//! server is. Which revision a request speaks is read from the request itself ([`era`]), so both
//! are served on one endpoint with no state. Requests are checked in the revision's order
//! (header, `_meta`, header agreement, version, log level), then answered by the same dispatch as
//! the earlier revisions; every result says `resultType`, lists say how long they may be cached,
//! and server-to-client requests become input-required results ([`super::input_required`]).
use super::dispatch::{self, Options};
use super::input_required::Round;
use super::jsonrpc::{McpError, Message};
use super::model::{result_response, ProtocolVersion, RequestId};
use super::{fixtures_modern, SERVER_NAME};
use crate::b64::STANDARD;
use crate::principal::Principal;
use crate::seal::SealKeys;
use crate::tools::{LogLevel, Notices, ToolEnv};
use serde_json::{json, Map, Value};

/// The stateless revisions this server speaks (newest first).
pub const VERSIONS: [&str; 1] = ["2026-07-28"];

const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
const META_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

/// Methods the revision removed (404 with -32601, like any method this server lacks).
const REMOVED: [&str; 5] = ["initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe"];

/// Results that say how long they may be reused. Lists and reads depend on the caller's
/// permissions (private); a role change reaches bearer tokens within 60 s, so that is their
/// lifetime. What the server is, is the same for everyone for an hour.
const CACHE_PRIVATE: [&str; 5] =
    ["tools/list", "prompts/list", "resources/list", "resources/templates/list", "resources/read"];
const TTL_PRIVATE_MS: u64 = 60_000;
const TTL_DISCOVER_MS: u64 = 3_600_000;

/// Which revision a request speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    /// 2025-11-25 … 2024-11-05: `initialize`, then requests without `_meta` versions.
    Legacy,
    /// 2026-07-28 and later: each request says its version.
    Modern,
}

/// A request is modern when its `_meta` names a protocol version or client capabilities, when
/// its `MCP-Protocol-Version` header is not one of the earlier revisions, or when it is
/// `server/discover` (which only this revision has). Anything else, `initialize` included, is
/// served as before.
pub fn era(protocol_header: Option<&str>, message: &Message) -> Era {
    let (method, params) = match message {
        Message::Request { method, params, .. } | Message::Notification { method, params } => {
            (method.as_str(), params.as_ref())
        }
        Message::Response => ("", None),
    };
    let meta = params.and_then(|p| p.get("_meta")).and_then(Value::as_object);
    let meta_says = meta.is_some_and(|m| m.contains_key(META_VERSION) || m.contains_key(META_CAPABILITIES));
    let header_says = protocol_header.is_some_and(|h| ProtocolVersion::parse(h.trim()).is_none());
    if meta_says || header_says || method == "server/discover" {
        Era::Modern
    } else {
        Era::Legacy
    }
}

/// The headers this revision mirrors from the body, as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct Headers<'a> {
    pub protocol_version: Option<&'a str>,
    pub method: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// What answering needs besides the request: the conformance fixtures switch, and the keys and
/// clock that seal input-required state.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub fixtures: bool,
    /// The MCP client the bearer token names (the Worker's own tokens do): an input round's
    /// state is bound to it.
    pub client_id: Option<&'a str>,
    pub keys: &'a SealKeys,
    pub now: u64,
}

/// The HTTP status, the notifications sent while the request ran (progress; log messages when
/// the request asked for a level), then its response.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub notifications: Vec<Value>,
    pub response: Value,
}

/// The parts of `_meta` the server uses.
struct RequestMeta<'p> {
    capabilities: &'p Map<String, Value>,
    log_level: Option<LogLevel>,
    progress_token: Option<Value>,
}

/// Answer one modern message: `None` for notifications and responses (202, nothing to say).
pub async fn handle<E: ToolEnv>(
    principal: &Principal,
    env: &E,
    message: Message,
    headers: &Headers<'_>,
    cx: &Context<'_>,
) -> Option<Answer> {
    let Message::Request { id, method, params } = message else {
        // Notifications carry no `_meta` to check; only the header says their revision.
        let version = headers.protocol_version.map(trim).unwrap_or(VERSIONS[0]);
        if VERSIONS.contains(&version) {
            return None;
        }
        let error = McpError::UnsupportedVersion { requested: version.to_string(), supported: VERSIONS.to_vec() };
        return Some(Answer { status: 400, notifications: Vec::new(), response: error.into_response(RequestId::Null) });
    };
    let meta = match check(headers, &method, params.as_ref()) {
        Ok(meta) => meta,
        Err(error) => {
            return Some(Answer { status: 400, notifications: Vec::new(), response: error.into_response(id) })
        }
    };
    let notices = Notices::new(meta.progress_token.is_some(), meta.log_level);
    let outcome = answer(principal, env, &method, params.clone(), &meta, cx, &notices).await;
    let (status, response) = match outcome {
        Ok(result) => (200, result_response(id, stamp(&method, result))),
        Err(error) => (status_of(&error), error.into_response(id)),
    };
    let token = meta.progress_token.as_ref();
    let notifications = notices.take().into_iter().map(|n| dispatch::notification(n, token)).collect();
    Some(Answer { status, notifications, response })
}

/// Errors the revision gives an HTTP status of their own.
fn status_of(error: &McpError) -> u16 {
    match error {
        McpError::MethodNotFound(_) => 404,
        McpError::HeaderMismatch(_) | McpError::MissingCapability(_) | McpError::UnsupportedVersion { .. } => 400,
        _ => 200,
    }
}

/// The revision's checks, in its order; every refusal is HTTP 400.
fn check<'p>(headers: &Headers<'_>, method: &str, params: Option<&'p Value>) -> Result<RequestMeta<'p>, McpError> {
    let Some(header_version) = headers.protocol_version.map(trim) else {
        return Err(McpError::HeaderMismatch("the MCP-Protocol-Version header is required".into()));
    };
    let meta = params.and_then(|p| p.get("_meta")).and_then(Value::as_object);
    let version = meta.and_then(|m| m.get(META_VERSION)).and_then(Value::as_str);
    let capabilities = meta.and_then(|m| m.get(META_CAPABILITIES)).and_then(Value::as_object);
    let (Some(meta), Some(version), Some(capabilities)) = (meta, version, capabilities) else {
        return Err(McpError::InvalidParams(format!(
            "params._meta must carry {META_VERSION} (a string) and {META_CAPABILITIES} (an object)"
        )));
    };
    if header_version != version {
        return Err(McpError::HeaderMismatch(format!(
            "MCP-Protocol-Version header {header_version:?} does not match _meta {version:?}"
        )));
    }
    mirrored("Mcp-Method", headers.method, Some(method))?;
    let target_key = match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        _ => None,
    };
    if let Some(key) = target_key {
        let target = params.and_then(|p| p.get(key)).and_then(Value::as_str);
        mirrored("Mcp-Name", headers.name, target)?;
    }
    if !VERSIONS.contains(&version) {
        return Err(McpError::UnsupportedVersion { requested: version.to_string(), supported: VERSIONS.to_vec() });
    }
    let log_level = match meta.get(META_LOG_LEVEL) {
        None => None,
        Some(level) => Some(level.as_str().and_then(LogLevel::parse).ok_or_else(|| {
            let levels: Vec<&str> = LogLevel::ALL.iter().map(|l| l.as_str()).collect();
            McpError::InvalidParams(format!("{META_LOG_LEVEL} must be one of {}", levels.join(", ")))
        })?),
    };
    let progress_token = meta.get("progressToken").filter(|t| t.is_string() || t.is_number()).cloned();
    Ok(RequestMeta { capabilities, log_level, progress_token })
}

/// Optional whitespace around a header value is not part of it.
fn trim(value: &str) -> &str {
    value.trim_matches([' ', '\t'])
}

/// A header that must repeat a body value exactly (case-sensitive); non-ASCII values arrive as
/// `=?base64?…?=`.
fn mirrored(header: &str, sent: Option<&str>, body: Option<&str>) -> Result<(), McpError> {
    let Some(body) = body else { return Ok(()) };
    let sent = sent.map(trim).map(|v| match v.strip_prefix("=?base64?").and_then(|b| b.strip_suffix("?=")) {
        Some(encoded) => STANDARD.decode(encoded).ok().and_then(|b| String::from_utf8(b).ok()),
        None => Some(v.to_string()),
    });
    match sent {
        None => Err(McpError::HeaderMismatch(format!("the {header} header is required ({body:?})"))),
        Some(Some(v)) if v == body => Ok(()),
        Some(_) => Err(McpError::HeaderMismatch(format!("the {header} header does not match the body ({body:?})"))),
    }
}

async fn answer<E: ToolEnv>(
    principal: &Principal,
    env: &E,
    method: &str,
    params: Option<Value>,
    meta: &RequestMeta<'_>,
    cx: &Context<'_>,
    notices: &Notices,
) -> Result<Value, McpError> {
    let options =
        Options { fixtures: cx.fixtures, log_level: meta.log_level.unwrap_or_default(), session_stream: false };
    let token = meta.progress_token.as_ref();
    match method {
        "server/discover" => Ok(discover()),
        m if REMOVED.contains(&m) => Err(McpError::MethodNotFound(format!("{m} (removed in 2026-07-28)"))),
        // No change notifications are advertised in this revision, so there is nothing to listen to.
        "subscriptions/listen" => {
            Err(McpError::MethodNotFound("subscriptions/listen (no notifications to send)".into()))
        }
        "tools/call" | "prompts/get" | "resources/read" => {
            let round =
                Round::open(principal, cx.client_id, method, params.as_ref(), meta.capabilities, cx.keys, cx.now)?;
            if cx.fixtures {
                if let Some(result) = fixtures_modern::answer(method, params.as_ref(), &round, notices) {
                    return result;
                }
            }
            dispatch::request(principal, env, method, params, &options, token, notices).await
        }
        "tools/list" => {
            let mut result = dispatch::request(principal, env, method, params, &options, token, notices).await?;
            if let (true, Some(tools)) = (cx.fixtures, result["tools"].as_array_mut()) {
                tools.extend(fixtures_modern::tools().filter_map(|t| serde_json::to_value(t).ok()));
            }
            Ok(result)
        }
        "prompts/list" => {
            let mut result = dispatch::request(principal, env, method, params, &options, token, notices).await?;
            if let (true, Some(prompts)) = (cx.fixtures, result["prompts"].as_array_mut()) {
                prompts.extend(fixtures_modern::PROMPTS.iter().filter_map(|p| serde_json::to_value(p).ok()));
            }
            Ok(result)
        }
        _ => dispatch::request(principal, env, method, params, &options, token, notices).await,
    }
}

/// `server/discover`: the revisions and capabilities this server has, and who it is.
fn discover() -> Value {
    json!({
        "supportedVersions": VERSIONS,
        "capabilities": { "tools": {}, "resources": {}, "prompts": {}, "completions": {}, "logging": {} },
        "instructions": dispatch::INSTRUCTIONS,
    })
}

/// Every result says it is complete (unless it asks for input), who answered, and, for lists,
/// reads and discovery, how long it may be reused.
fn stamp(method: &str, mut result: Value) -> Value {
    let Some(fields) = result.as_object_mut() else { return result };
    let complete = fields.entry("resultType").or_insert_with(|| json!("complete")) == "complete";
    if complete {
        let cache = match method {
            "server/discover" => Some((TTL_DISCOVER_MS, "public")),
            m if CACHE_PRIVATE.contains(&m) => Some((TTL_PRIVATE_MS, "private")),
            _ => None,
        };
        if let Some((ttl, scope)) = cache {
            fields.insert("ttlMs".into(), json!(ttl));
            fields.insert("cacheScope".into(), json!(scope));
        }
    }
    let meta = fields.entry("_meta").or_insert_with(|| json!({}));
    if let Some(meta) = meta.as_object_mut() {
        meta.insert(META_SERVER_INFO.into(), json!({ "name": SERVER_NAME, "version": env!("CARGO_PKG_VERSION") }));
    }
    result
}
