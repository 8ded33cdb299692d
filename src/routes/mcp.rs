//! `/mcp`, `/sse`, `/sse/message`: the Origin rule and the bearer check in front of the MCP
//! transports.
use super::{body_limited, error::RouteError, has_media_type, header, Answer, BodyError};
use crate::authkit::caller::{self, AuthkitCaches, Denied};
use crate::authkit::shared::Sealed;
use crate::config::AuthMode;
use crate::limits::Limiter;
use crate::mcp::{self, modern, ErrorCode};
use crate::oauth::access::{self, BearerError};
use crate::oauth::metadata::{self, resource_suffix};
use crate::platform::app::App;
use crate::platform::audit::Background;
use crate::platform::cache::CacheApiKeys;
use crate::platform::js;
use crate::platform::tools::{seen_from, ToolAudit, WorkerToolEnv};
use crate::principal::Principal;
use crate::responses as web;
use crate::session_object;
use crate::tools::audit::Caller;
use serde_json::Value;
use worker::{Context, Env, Method, Request, Response, Result};

/// Check the bearer token for `path`: who is calling (and, for the Worker's own tokens, with
/// which MCP client), or the refusal (401 with its challenge, 403, 503).
pub async fn authenticate(
    req: &Request,
    app: &App,
    path: &str,
) -> std::result::Result<(Principal, Option<String>), RouteError> {
    let authorization = header(req, "Authorization");
    let outcome = match &app.config.auth_mode {
        // Grants are read from KV's mirror: no Durable Object hop on the hot path.
        AuthMode::Worker => access::authenticate(
            &app.config.seal_keys,
            &app.origin,
            &app.store.kv,
            &app.grant_checks,
            authorization.as_deref(),
            path,
            app.now,
        )
        .await
        .map(|claims| (claims.principal, Some(claims.client_id.to_string())))
        .map_err(Denied::from),
        AuthMode::Authkit { issuer, audience } => {
            let shared = Sealed { copies: &CacheApiKeys, keys: &app.config.seal_keys };
            let caches = AuthkitCaches { shared: &shared, keys: &app.authkit_keys, org_access: &app.org_access };
            caller::authenticate(&app.ctx(), &caches, issuer, audience.as_deref(), authorization.as_deref(), path).await
        }
    };
    outcome.map_err(|denied| {
        if let Some(line) = &denied.log {
            worker::console_warn!("{line}");
        }
        // Every 401 carries the challenge; RFC 6750 §3.1: it names an error only when a token
        // was presented.
        let unauthorized = !matches!(denied.error, BearerError::OutsideOrganization | BearerError::Unavailable);
        let challenge = unauthorized.then(|| {
            let presented = (denied.error != BearerError::Missing).then(|| denied.error.description());
            let with_scope = app.config.auth_mode == AuthMode::Worker;
            metadata::bearer_challenge(&app.origin, resource_suffix(path), presented, with_scope)
        });
        RouteError::Bearer { error: denied.error, challenge }
    })
}

/// Requests without `Origin` (non-browser clients), from the Worker's own origin, or from one
/// in `MCP_ALLOWED_ORIGINS`.
pub fn origin_allowed(app: &App, origin: Option<&str>) -> bool {
    origin.is_none_or(|o| o == app.origin || app.config.mcp_allowed_origins.iter().any(|a| a == o))
}

/// `/mcp`, `/sse`, `/sse/message`: Origin check (`origin`: the request's `Origin` header), bearer
/// check, then the transport.
pub async fn handle(
    mut req: Request,
    app: &App,
    env: &Env,
    ctx: &Context,
    path: &str,
    origin: Option<String>,
) -> Answer {
    if !origin_allowed(app, origin.as_deref()) {
        // DNS-rebinding and cross-site protection (MCP transports: MUST validate Origin), before
        // anything else; no CORS headers for an origin we refuse.
        return Err(RouteError::mcp(403, "Origin not allowed"));
    }
    let (principal, client_id) = authenticate(&req, app, path).await?;
    // The address and user agent are read when a use is recorded (streamable HTTP), or sent
    // along with the message to the SSE session's object.
    let caller = Caller { client_id, client_name: None, ip: None, user_agent: None };
    match (req.method(), path) {
        (Method::Post, "/mcp") => streamable_post(&mut req, app, env, ctx, &principal, caller).await,
        (_, "/mcp") => Err(wrong_method("POST")),
        (Method::Get, "/sse") => open_sse(&req, env, principal, caller.client_id, origin).await,
        (_, "/sse") => Err(wrong_method("GET")),
        (Method::Post, "/sse/message") => {
            let caller = seen_from(caller, req.headers());
            sse_message(&mut req, env, principal, caller, app.conformance_fixtures()).await
        }
        _ => Err(wrong_method("POST")),
    }
}

/// 405 as a JSON-RPC error, with `Allow`. The message names the status: clients that only see
/// the body (the SDK's error text) decide on it whether to fall back to the other transport.
fn wrong_method(allow: &'static str) -> RouteError {
    RouteError::Mcp {
        status: 405,
        code: ErrorCode::INVALID_REQUEST,
        message: format!("405 Method Not Allowed: use {allow} here"),
        allow: Some(allow),
    }
}

async fn read_message(req: &mut Request) -> std::result::Result<Vec<u8>, RouteError> {
    body_limited(req, mcp::MAX_MESSAGE_BYTES).await.map_err(|e| match e {
        BodyError::TooLarge => RouteError::mcp(413, "message too large (limit 1 MiB)"),
        BodyError::Unreadable => RouteError::mcp(400, "the body could not be read"),
    })
}

/// Streamable HTTP, stateless: one JSON-RPC message in (or a 2025-03-26 batch), its response out
/// (JSON, or an event stream when it sent notifications), no session.
async fn streamable_post(
    req: &mut Request,
    app: &App,
    env: &Env,
    ctx: &Context,
    principal: &Principal,
    caller: Caller,
) -> Answer {
    let accept = header(req, "Accept").unwrap_or_default().to_ascii_lowercase();
    let both = accept.contains("application/json") && accept.contains("text/event-stream");
    if !both && !accept.contains("*/*") {
        return Err(RouteError::mcp(406, "Accept must list application/json and text/event-stream"));
    }
    if !has_media_type(req, "application/json") {
        return Err(RouteError::mcp(415, "Content-Type must be application/json"));
    }
    let body = read_message(req).await?;
    let protocol_version = header(req, "MCP-Protocol-Version");
    let body = match mcp::parse_body(&body, protocol_version.as_deref()) {
        Ok(b) => b,
        Err(error) => return Ok(web::json(400, &error)?),
    };
    let audit = Some(ToolAudit { background: Background::Request(ctx), caller, headers: Some(req.headers()) });
    let tools = WorkerToolEnv { env, config: &app.config, now: app.now, audit };
    let message = match body {
        mcp::Body::One(message) => message,
        // 2025-03-26: each message answered in turn; the answers as one array, or on an event
        // stream (when a request sent notifications) one event each.
        mcp::Body::Batch(items) => {
            let options = mcp::Options::for_server(app.conformance_fixtures());
            let Some(reply) = mcp::handle_batch(principal, &tools, items, &options).await else {
                return Ok(Response::empty()?.with_status(202));
            };
            if !reply.had_request {
                // Nothing in it was accepted: an HTTP error, the refusals as the body.
                return Ok(web::json_text(400, reply.array())?);
            }
            if reply.notifications.is_empty() || !accept.contains("text/event-stream") {
                return Ok(web::json_text(200, reply.array())?);
            }
            return Ok(web::event_stream(&reply.notifications, &reply.responses)?);
        }
    };
    if mcp::era(protocol_version.as_deref(), &message) == mcp::Era::Modern {
        let (method, name) = (header(req, "Mcp-Method"), header(req, "Mcp-Name"));
        let headers = modern::Headers {
            protocol_version: protocol_version.as_deref(),
            method: method.as_deref(),
            name: name.as_deref(),
        };
        let cx = modern::Context {
            fixtures: app.conformance_fixtures(),
            client_id: tools.audit.as_ref().and_then(|a| a.caller.client_id.as_deref()),
            keys: &app.config.seal_keys,
            now: app.now,
        };
        let Some(answer) = modern::handle(principal, &tools, message, &headers, &cx).await else {
            return Ok(Response::empty()?.with_status(202));
        };
        return respond(answer.status, &answer.notifications, answer.response.to_string(), &accept);
    }
    if let Some(v) = protocol_version {
        if !mcp::is_supported_version(&v) {
            let message = format!("unsupported MCP-Protocol-Version {v}; supported: {}", mcp::supported_versions());
            return Err(RouteError::mcp(400, message));
        }
    }
    let initialize = matches!(&message, mcp::Message::Request { method, .. } if method == "initialize");
    let options = mcp::Options::for_server(app.conformance_fixtures());
    let Some(reply) = mcp::handle(principal, &tools, message, &options).await else {
        return Ok(Response::empty()?.with_status(202));
    };
    // Only an initialize that succeeded is given one.
    let initialized = initialize && reply.succeeded;
    let resp = respond(200, &reply.notifications, reply.response, &accept)?;
    if initialized {
        // A correlation id for the client's connection: the server keeps nothing under it, so
        // any id (or none) is served alike, and DELETE answers 405.
        resp.headers().set("Mcp-Session-Id", &crate::random::token(24))?;
    }
    Ok(resp)
}

/// Notifications sent while the request ran (progress, log messages) go before its response on
/// an event stream, when the client accepts one; otherwise the response alone, as JSON.
fn respond(status: u16, notifications: &[Value], response: String, accept: &str) -> Answer {
    if notifications.is_empty() || !accept.contains("text/event-stream") {
        return Ok(web::mcp_reply(status, response)?);
    }
    Ok(web::event_stream(notifications, std::slice::from_ref(&response))?.with_status(status))
}

fn session_stub(env: &Env, session_id: &str) -> Result<worker::Stub> {
    env.durable_object(session_object::BINDING)?.id_from_name(session_id)?.get_stub()
}

fn session_id_param(req: &Request) -> Result<Option<String>> {
    Ok(req.url()?.query_pairs().find(|(k, _)| k == "sessionId").map(|(_, v)| v.into_owned()))
}

/// `GET /sse`: a new session and its stream, served by the session's Durable Object.
async fn open_sse(
    req: &Request,
    env: &Env,
    principal: Principal,
    client_id: Option<String>,
    origin: Option<String>,
) -> Answer {
    if let Some(existing) = session_id_param(req)? {
        // A second stream for a session is refused (409 while live, 404 once gone).
        let status = if valid_session_id(&existing) {
            session_stub(env, &existing)?.fetch_with_str("https://session/probe").await?.status_code()
        } else {
            404
        };
        return Err(match status {
            409 => RouteError::mcp(409, "this session already has a stream"),
            404 => RouteError::mcp(404, "unknown session"),
            _ => RouteError::mcp_code(503, ErrorCode::INTERNAL_ERROR, "the session could not be reached"),
        });
    }
    // Each session is an object running until its client leaves or it idles: a person opens
    // a bounded number a minute (a client reconnecting in a loop, a leaked token).
    let key = ["sse:", principal.user_id.as_str()].concat();
    if !crate::platform::within_limit(env, Limiter::SseOpen, key).await {
        const _: () = assert!(crate::limits::PERIOD_SECS == 60, "Retry-After below");
        let message = "too many SSE sessions opened this minute: reuse a session, or wait a minute";
        return too_many(message, "60");
    }
    let session_id = crate::random::token(24);
    let open = session_object::Open { session_id: session_id.clone(), principal, client_id, cors_origin: origin };
    Ok(session_stub(env, &session_id)?
        .fetch_with_request(crate::platform::object_post("https://session/open", &open)?)
        .await?)
}

/// 429 as a JSON-RPC error, with `Retry-After` (seconds).
fn too_many(message: &str, retry_after: &str) -> Answer {
    let resp = RouteError::mcp(429, message).into_response()?;
    resp.headers().set("Retry-After", retry_after)?;
    Ok(resp)
}

fn valid_session_id(id: &str) -> bool {
    crate::b64::is_url_safe(id, 32)
}

/// `POST /sse/message?sessionId=…`: 202 once the session accepted the message; its answer
/// arrives on the stream.
async fn sse_message(req: &mut Request, env: &Env, principal: Principal, caller: Caller, fixtures: bool) -> Answer {
    if !has_media_type(req, "application/json") {
        return Err(RouteError::mcp(415, "Content-Type must be application/json"));
    }
    let Some(session_id) = session_id_param(req)? else {
        return Err(RouteError::mcp(400, "sessionId is required"));
    };
    if !valid_session_id(&session_id) {
        return Err(RouteError::mcp(404, "unknown session"));
    }
    let body = String::from_utf8(read_message(req).await?)
        .map_err(|_| RouteError::mcp_code(400, ErrorCode::PARSE_ERROR, "Parse error: the body is not UTF-8"))?;
    let protocol_version = header(req, "MCP-Protocol-Version");
    let post = serde_json::to_string(&session_object::Post { principal, caller, body, protocol_version, fixtures })?;
    // The object's `message` method, by Workers RPC: `[status, body]`.
    let stub = session_stub(env, &session_id)?.into_rpc();
    let answer = js::call(&stub, "message", &[post.into()]).await.map_err(worker::Error::RustError)?;
    let status = js::field(&answer, "0").as_f64().unwrap_or(500.0) as u16;
    match status {
        202 => Ok(Response::ok("Accepted")?.with_status(202)),
        404 => Err(RouteError::mcp(404, "unknown session")),
        429 => {
            const _: () = assert!(session_object::MAX_IN_FLIGHT == 16, "the message below names the limit");
            too_many("this session runs 16 messages at most at once: wait for their answers", "1")
        }
        400 => {
            let error = js::field(&answer, "1").as_string().unwrap_or_default();
            Ok(web::json_text(400, error)?)
        }
        // The object failed (its configuration, the message's decoding): the server's error.
        status => Err(RouteError::mcp_code(
            status.max(500),
            ErrorCode::INTERNAL_ERROR,
            "the session could not take the message",
        )),
    }
}
