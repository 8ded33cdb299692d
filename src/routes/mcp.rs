//! `/mcp`, `/sse`, `/sse/message`: the bearer check in front of the MCP transports.
use super::header;
use crate::app::App;
use crate::oauth::access::{self, AccessClaims, BearerError};
use crate::oauth::metadata;
use crate::web;
use worker::{Request, Response, Result};

/// The protected-resource document a refused request is pointed at: the endpoint's own
/// (`/sse/message` belongs to `/sse`).
fn metadata_suffix(path: &str) -> &'static str {
    match path {
        "/mcp" => "/mcp",
        _ => "/sse",
    }
}

/// Check the bearer token for `path`: the claims, or the finished 401/503 response.
pub async fn authenticate(req: &Request, app: &App, path: &str) -> Result<std::result::Result<AccessClaims, Response>> {
    let authorization = header(req, "Authorization");
    match access::authenticate(&app.config.cookie_keys, &app.store, &app.grant_checks, authorization.as_deref(), path, app.now).await {
        Ok(claims) => Ok(Ok(claims)),
        Err(e) => Ok(Err(refusal(app, path, &e)?)),
    }
}

fn refusal(app: &App, path: &str, e: &BearerError) -> Result<Response> {
    let suffix = metadata_suffix(path);
    if *e == BearerError::Unavailable {
        let resp = web::json(503, &serde_json::json!({"error": "temporarily_unavailable", "error_description": e.description()}))?;
        resp.headers().set("Retry-After", "5")?;
        return Ok(resp);
    }
    let presented = (*e != BearerError::Missing).then(|| e.description());
    let body = match presented {
        Some(d) => serde_json::json!({"error": "invalid_token", "error_description": d}),
        None => serde_json::json!({"error": "invalid_token", "error_description": e.description()}),
    };
    let resp = web::json(401, &body)?;
    resp.headers().set("WWW-Authenticate", &metadata::bearer_challenge(&app.origin, suffix, presented))?;
    Ok(resp)
}

/// `/mcp`, `/sse`, `/sse/message` (transports: issue 4). Until then an authorized request
/// learns that the transport is not served yet; every refusal is already final.
pub async fn handle(req: Request, app: &App, path: &str) -> Result<Response> {
    let origin = header(&req, "Origin");
    let resp = match authenticate(&req, app, path).await? {
        Err(refused) => refused,
        Ok(_claims) => web::json(501, &serde_json::json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32601, "message": "MCP transport not available yet"}}))?,
    };
    web::with_cors(resp, origin.as_deref())
}
