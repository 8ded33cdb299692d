//! `/mcp`, `/sse`, `/sse/message`: the bearer check in front of the MCP transports.
use super::{body_limited, has_media_type, header, BodyError};
use crate::app::App;
use crate::auth::authkit::{self, AuthkitTokenError, Expectations};
use crate::auth::principal::Refused;
use crate::config::AuthMode;
use crate::mcp;
use crate::oauth::access::{self, BearerError};
use crate::oauth::metadata;
use crate::platform::cache::CacheApiKeys;
use crate::platform::tools::WorkerToolEnv;
use crate::session_object;
use crate::signin::Principal;
use crate::web;
use serde_json::Value;
use worker::{Env, Method, Request, RequestInit, Response, Result};

/// The protected-resource document a refused request is pointed at: the endpoint's own
/// (`/sse/message` belongs to `/sse`).
fn metadata_suffix(path: &str) -> &'static str {
    match path {
        "/mcp" => "/mcp",
        _ => "/sse",
    }
}

/// Check the bearer token for `path`: who is calling, or the finished 401/503 response.
pub async fn authenticate(req: &Request, app: &App, path: &str) -> Result<std::result::Result<Principal, Response>> {
    let authorization = header(req, "Authorization");
    let outcome = match &app.config.auth_mode {
        AuthMode::Worker => access::authenticate(
            &app.config.cookie_keys,
            &app.origin,
            &app.store.kv,
            &app.grant_checks,
            authorization.as_deref(),
            path,
            app.now,
        )
        .await
        .map(|claims| claims.principal),
        AuthMode::Authkit { issuer, audience } => {
            authkit_principal(app, issuer, audience.as_deref(), authorization.as_deref(), path).await
        }
    };
    match outcome {
        Ok(principal) => Ok(Ok(principal)),
        Err(e) => Ok(Err(refusal(app, path, &e)?)),
    }
}

/// AuthKit mode: the bearer token is an AuthKit access token (JWT) for this resource.
async fn authkit_principal(
    app: &App,
    issuer: &str,
    audience: Option<&str>,
    authorization: Option<&str>,
    path: &str,
) -> std::result::Result<Principal, BearerError> {
    let token = access::bearer_token(authorization).ok_or(BearerError::Missing)?;
    // `aud` must name this server (its origin, or the resource the endpoint belongs to) or the
    // configured audience (WorkOS's default when no Resource Indicator is configured).
    let mut audiences = vec![app.origin.clone(), format!("{}{}", app.origin, metadata_suffix(path))];
    audiences.extend(audience.map(str::to_string));
    let expect = Expectations { issuer, audiences: &audiences };
    let jwks_url = format!("{issuer}/oauth2/jwks");
    let claims = authkit::verify_token(&app.http, &CacheApiKeys, &app.authkit_keys, &jwks_url, token, &expect, app.now)
        .await
        .map_err(|e| {
            // The reason goes to the log only (never token contents); the client sees invalid_token.
            worker::console_warn!("authkit token refused: {e}");
            match e {
                AuthkitTokenError::JwksUnavailable(_) | AuthkitTokenError::NoKeys => BearerError::Unavailable,
                _ => BearerError::Invalid,
            }
        })?;
    let ctx = app.ctx();
    let workos = ctx.workos();
    let required = app.config.organization_id.as_deref();
    crate::auth::principal::resolve(claims, required, &app.store.kv, &workos, &app.org_access, app.now).await.map_err(
        |e| match e {
            Refused::Unavailable(e) => {
                worker::console_warn!("organization lookup failed and no copy is cached: {}", e.0);
                BearerError::Unavailable
            }
            Refused::OutsideOrganization => BearerError::OutsideOrganization,
        },
    )
}

fn refusal(app: &App, path: &str, e: &BearerError) -> Result<Response> {
    let suffix = metadata_suffix(path);
    if *e == BearerError::OutsideOrganization {
        return web::json(403, &serde_json::json!({"error": "access_denied", "error_description": e.description()}));
    }
    if *e == BearerError::Unavailable {
        let resp = web::json(
            503,
            &serde_json::json!({"error": "temporarily_unavailable", "error_description": e.description()}),
        )?;
        resp.headers().set("Retry-After", "5")?;
        return Ok(resp);
    }
    // RFC 6750 §3.1: the challenge names an error only when a token was presented.
    let presented = (*e != BearerError::Missing).then(|| e.description());
    let resp = web::json(401, &serde_json::json!({"error": "invalid_token", "error_description": e.description()}))?;
    let with_scope = app.config.auth_mode == AuthMode::Worker;
    resp.headers().set("WWW-Authenticate", &metadata::bearer_challenge(&app.origin, suffix, presented, with_scope))?;
    Ok(resp)
}

pub fn is_mcp_path(path: &str) -> bool {
    matches!(path, "/mcp" | "/sse" | "/sse/message")
}

/// Requests without `Origin` (non-browser clients), from the Worker's own origin, or from one
/// in `MCP_ALLOWED_ORIGINS`.
pub fn origin_allowed(app: &App, origin: Option<&str>) -> bool {
    origin.is_none_or(|o| o == app.origin || app.config.mcp_allowed_origins.iter().any(|a| a == o))
}

/// `/mcp`, `/sse`, `/sse/message`: bearer check, Origin check, then the transport.
pub async fn handle(mut req: Request, app: &App, env: &Env, path: &str) -> Result<Response> {
    let origin = header(&req, "Origin");
    if !origin_allowed(app, origin.as_deref()) {
        // DNS-rebinding and cross-site protection (MCP transports: MUST validate Origin), before
        // anything else; no CORS headers for an origin we refuse.
        return with_kv_reads(
            web::json(403, &mcp::error_response(Value::Null, -32600, "Origin not allowed", None))?,
            app,
        );
    }
    let resp = match authenticate(&req, app, path).await? {
        Err(refused) => refused,
        Ok(principal) => match (req.method(), path) {
            (Method::Post, "/mcp") => streamable_post(&mut req, app, env, &principal).await?,
            (_, "/mcp") => allow(405, "POST")?,
            (Method::Get, "/sse") => return open_sse(&req, app, env, principal, origin).await,
            (_, "/sse") => allow(405, "GET")?,
            (Method::Post, "/sse/message") => sse_message(&mut req, env, principal).await?,
            _ => allow(405, "POST")?,
        },
    };
    let resp = with_kv_reads(resp, app)?;
    web::with_cors(resp, origin.as_deref())
}

fn allow(status: u16, methods: &str) -> Result<Response> {
    let resp = web::json(status, &mcp::error_response(Value::Null, -32600, &format!("use {methods} here"), None))?;
    resp.headers().set("Allow", methods)?;
    Ok(resp)
}

/// How many KV reads this request made (the benchmark reads it; the bearer check is designed
/// to make none on the hot path).
fn with_kv_reads(resp: Response, app: &App) -> Result<Response> {
    resp.headers().set("Server-Timing", &format!("kv;desc=\"reads={}\"", app.store.kv.reads.get()))?;
    Ok(resp)
}

fn protocol_error(status: u16, message: &str) -> Result<Response> {
    web::json(status, &mcp::error_response(Value::Null, -32600, message, None))
}

async fn read_message(req: &mut Request) -> std::result::Result<Vec<u8>, Result<Response>> {
    body_limited(req, mcp::MAX_MESSAGE_BYTES).await.map_err(|e| match e {
        BodyError::TooLarge => protocol_error(413, "message too large (limit 1 MiB)"),
        BodyError::Unreadable => protocol_error(400, "the body could not be read"),
    })
}

/// Streamable HTTP, stateless: one JSON-RPC message in, its response out (JSON), no session.
async fn streamable_post(req: &mut Request, app: &App, env: &Env, principal: &Principal) -> Result<Response> {
    let accept = header(req, "Accept").unwrap_or_default().to_ascii_lowercase();
    let both = accept.contains("application/json") && accept.contains("text/event-stream");
    if !both && !accept.contains("*/*") {
        return protocol_error(406, "Accept must list application/json and text/event-stream");
    }
    if !has_media_type(req, "application/json") {
        return protocol_error(415, "Content-Type must be application/json");
    }
    if let Some(v) = header(req, "MCP-Protocol-Version") {
        if !mcp::is_supported_version(&v) {
            return protocol_error(
                400,
                &format!(
                    "unsupported MCP-Protocol-Version {v}; supported: {}",
                    mcp::SUPPORTED_PROTOCOL_VERSIONS.join(", ")
                ),
            );
        }
    }
    let body = match read_message(req).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let message = match mcp::parse(&body) {
        Ok(m) => m,
        Err(error) => return web::json(400, &error),
    };
    let tools = WorkerToolEnv { env, config: &app.config, now: app.now };
    match mcp::handle(principal, &tools, message).await {
        Some(response) => web::json(200, &response),
        None => Response::empty().map(|r| r.with_status(202)),
    }
}

fn session_stub(env: &Env, session_id: &str) -> Result<worker::Stub> {
    env.durable_object(session_object::BINDING)?.id_from_name(session_id)?.get_stub()
}

fn internal_post(url: &str, body: &impl serde::Serialize) -> Result<Request> {
    let headers = worker::Headers::new();
    headers.set("Content-Type", "application/json")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(serde_json::to_string(body)?.into()));
    Request::new_with_init(url, &init)
}

fn session_id_param(req: &Request) -> Result<Option<String>> {
    Ok(req.url()?.query_pairs().find(|(k, _)| k == "sessionId").map(|(_, v)| v.into_owned()))
}

/// `GET /sse`: a new session and its stream, served by the session's Durable Object.
async fn open_sse(
    req: &Request,
    app: &App,
    env: &Env,
    principal: Principal,
    origin: Option<String>,
) -> Result<Response> {
    if let Some(existing) = session_id_param(req)? {
        // A second stream for a session is refused (409 while live, 404 once gone).
        let status = if valid_session_id(&existing) {
            session_stub(env, &existing)?.fetch_with_str("https://session/probe").await?.status_code()
        } else {
            404
        };
        let resp = protocol_error(
            status,
            if status == 409 { "this session already has a stream" } else { "unknown session" },
        )?;
        return web::with_cors(with_kv_reads(resp, app)?, origin.as_deref());
    }
    let session_id = crate::random::token(24);
    let open = session_object::Open { session_id: session_id.clone(), principal, cors_origin: origin };
    session_stub(env, &session_id)?.fetch_with_request(internal_post("https://session/open", &open)?).await
}

fn valid_session_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `POST /sse/message?sessionId=…`: 202, the response arrives on the stream.
async fn sse_message(req: &mut Request, env: &Env, principal: Principal) -> Result<Response> {
    if !has_media_type(req, "application/json") {
        return protocol_error(415, "Content-Type must be application/json");
    }
    let Some(session_id) = session_id_param(req)? else {
        return protocol_error(400, "sessionId is required");
    };
    if !valid_session_id(&session_id) {
        return protocol_error(404, "unknown session");
    }
    let body = match read_message(req).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let post = session_object::Post { principal, body: String::from_utf8_lossy(&body).into_owned() };
    let mut answer =
        session_stub(env, &session_id)?.fetch_with_request(internal_post("https://session/message", &post)?).await?;
    match answer.status_code() {
        202 => Response::ok("Accepted").map(|r| r.with_status(202)),
        404 => protocol_error(404, "unknown session"),
        400 => web::json(400, &answer.json::<Value>().await.unwrap_or(Value::Null)),
        status => protocol_error(status, "the session could not take the message"),
    }
}
