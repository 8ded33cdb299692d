//! Response building for the Worker: security headers, redirects that carry several cookies,
//! error pages. The one place that turns errors into HTTP.
use crate::oauth::error::ErrorBody;
use crate::pages::{render, ErrorPage};
use crate::signin::SigninError;
use worker::{Headers, Response, ResponseBody, Result};

const FORM_ACTION: &str = "'self' https: http://127.0.0.1:* http://localhost:*";

fn csp(form_action: &str) -> String {
    format!("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'")
}

fn security_headers(h: &Headers) -> Result<()> {
    h.set("Content-Security-Policy", &csp(FORM_ACTION))?;
    h.set("X-Frame-Options", "DENY")?;
    h.set("X-Content-Type-Options", "nosniff")?;
    h.set("Referrer-Policy", "same-origin")?;
    h.set("Cache-Control", "no-store")?;
    Ok(())
}

pub fn html(status: u16, body: String) -> Result<Response> {
    let resp = Response::from_html(body)?.with_status(status);
    security_headers(resp.headers())?;
    Ok(resp)
}

/// A page whose form may lead (through a redirect) to `extra_form_action` as well, e.g. the
/// consent form, which ends at the client's redirect URI (`cursor:`, `http://localhost:1234`…).
pub fn html_with_form_action(status: u16, body: String, extra_form_action: &str) -> Result<Response> {
    let resp = html(status, body)?;
    let extra: String =
        extra_form_action.chars().filter(|c| !c.is_whitespace() && !matches!(c, ';' | ',' | '\'' | '"')).collect();
    resp.headers().set("Content-Security-Policy", &csp(&format!("{FORM_ACTION} {extra}")))?;
    Ok(resp)
}

/// A JSON answer that must not be cached (tokens, registrations, errors): any value that
/// serializes, written once (a typed answer needs no `Value` first).
pub fn json(status: u16, value: &(impl serde::Serialize + ?Sized)) -> Result<Response> {
    json_text(status, serde_json::to_string(value)?)
}

/// The same, for JSON already written as text: [`mcp_reply`]'s answer with the headers every
/// other JSON answer carries.
pub fn json_text(status: u16, text: String) -> Result<Response> {
    let resp = mcp_reply(status, text)?;
    let h = &resp.headers().0;
    for (name, value) in [("Cache-Control", "no-store"), ("Pragma", "no-cache"), ("X-Content-Type-Options", "nosniff")]
    {
        crate::platform::js::set_header(h, name, value);
    }
    Ok(resp)
}

/// An MCP server's reply to one JSON-RPC message `POST`ed (the hot path): `Content-Type` alone.
/// The headers every other JSON answer carries do nothing here: a `POST`'s answer is not stored
/// by caches without explicit freshness (RFC 9111 §3), so `Cache-Control: no-store` and `Pragma`
/// add nothing, and `nosniff` guards what a browser renders or runs, which a `fetch` of a
/// `POST`'s JSON never is. Each header costs the runtime's `Headers` and `Response` work on every
/// call (about 4 % of the hot path's throughput for the three: docs/performance.md).
pub fn mcp_reply(status: u16, text: String) -> Result<Response> {
    let resp = Response::from_body(ResponseBody::Body(text.into_bytes()))?.with_status(status);
    crate::platform::js::set_header(&resp.headers().0, "Content-Type", "application/json");
    Ok(resp)
}

/// An RFC 6749 error answer (with `WWW-Authenticate: Basic` after failed Basic client auth).
pub fn oauth_error(e: &crate::oauth::OAuthError) -> Result<Response> {
    if e.status >= 500 {
        worker::console_warn!("oauth: {e}");
    }
    let resp = json(e.status, &e.body())?;
    if e.basic_challenge && e.status == 401 {
        resp.headers().set("WWW-Authenticate", "Basic realm=\"OAuth\"")?;
    }
    if let Some(secs) = e.retry_after {
        resp.headers().set("Retry-After", &secs.to_string())?;
    }
    Ok(resp)
}

/// JSON-RPC messages as one `text/event-stream` body (`event: message`, one per event): the
/// notifications, then the responses (JSON text each), in order.
pub fn event_stream(notifications: &[serde_json::Value], responses: &[String]) -> Result<Response> {
    use std::fmt::Write;
    let mut body = String::new();
    for n in notifications {
        let _ = write!(body, "event: message\ndata: {n}\n\n");
    }
    for r in responses {
        let _ = write!(body, "event: message\ndata: {r}\n\n");
    }
    let resp = Response::ok(body)?;
    resp.headers().set("Content-Type", "text/event-stream")?;
    resp.headers().set("Cache-Control", "no-store")?;
    // Proxies must pass each event on as it comes.
    resp.headers().set("X-Accel-Buffering", "no")?;
    Ok(resp)
}

/// CORS for endpoints browser-based MCP clients call (bearer tokens, no cookies): echo the
/// Origin, expose the headers clients must read. An answer that already names its origin (a
/// Durable Object's stream) is left as it is.
pub fn with_cors(resp: Response, origin: Option<&str>) -> Result<Response> {
    let Some(origin) = origin else {
        return Ok(resp);
    };
    if resp.headers().has("Access-Control-Allow-Origin")? {
        return Ok(resp);
    }
    let resp = writable(resp)?;
    let h = resp.headers();
    h.set("Access-Control-Allow-Origin", origin)?;
    h.append("Vary", "Origin")?;
    h.set("Access-Control-Expose-Headers", "WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version, Retry-After")?;
    Ok(resp)
}

/// The response with headers of its own: one fetched from a Durable Object has immutable ones.
pub fn writable(resp: Response) -> Result<Response> {
    let headers = Headers::new();
    for (name, value) in resp.headers().entries() {
        headers.append(&name, &value)?;
    }
    Ok(resp.with_headers(headers))
}

/// The answer to a CORS preflight.
pub fn preflight(origin: Option<&str>) -> Result<Response> {
    let resp = Response::empty()?.with_status(204);
    let h = resp.headers();
    h.set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")?;
    h.set(
        "Access-Control-Allow-Headers",
        "Authorization, Content-Type, Accept, Mcp-Protocol-Version, Mcp-Session-Id, Mcp-Method, Mcp-Name, Last-Event-ID",
    )?;
    h.set("Access-Control-Max-Age", "86400")?;
    with_cors(resp, origin)
}

/// To a client's redirect URI (codes and OAuth errors), cookies appended one by one: 302, or 303
/// when `posted` (a form's POST is followed by a GET).
pub fn found(posted: bool, location: &str, cookies: &[&str]) -> Result<Response> {
    redirect_with(if posted { 303 } else { 302 }, location, cookies.iter().copied())
}

/// 303 with `Location` and one `Set-Cookie` per cookie (appended, never merged: every cookie arrives).
pub fn redirect(location: &str, cookies: &[&str]) -> Result<Response> {
    redirect_with(303, location, cookies.iter().copied())
}

fn redirect_with<'a>(status: u16, location: &str, cookies: impl IntoIterator<Item = &'a str>) -> Result<Response> {
    let headers = Headers::new();
    headers.set("Location", location)?;
    headers.set("Cache-Control", "no-store")?;
    for c in cookies {
        headers.append("Set-Cookie", c)?;
    }
    Ok(Response::empty()?.with_status(status).with_headers(headers))
}

pub fn error_page(status: u16, title: &str, message: &str, sign_in_href: Option<&str>) -> Result<Response> {
    html(status, render(&ErrorPage { title, message, sign_in_href }))
}

/// A sign-in error as a page with a fresh sign-in link; logged as one line.
pub fn signin_error(err: &SigninError, cookies: &[&str]) -> Result<Response> {
    worker::console_warn!("{}", err.log_line());
    let view = err.view();
    let resp = error_page(view.status, view.title, &view.message, Some("/login"))?;
    if let Some(secs) = view.retry_after {
        resp.headers().set("Retry-After", &secs.to_string())?;
    }
    for c in cookies {
        resp.headers().append("Set-Cookie", c)?;
    }
    Ok(resp)
}

/// 429 with `Retry-After`: a page for people, an OAuth error body for clients.
pub fn too_many_requests(page: bool) -> Result<Response> {
    let wait = crate::limits::PERIOD_SECS;
    let resp = if page {
        error_page(
            429,
            "Too many requests",
            &format!("Too many sign-in attempts from your address or your account. Please wait {wait} seconds and try again."),
            None,
        )?
    } else {
        let description = format!("too many requests from this address; retry after {wait} s");
        json(429, &ErrorBody { error: "temporarily_unavailable", error_description: &description })?
    };
    resp.headers().set("Retry-After", &wait.to_string())?;
    Ok(resp)
}

/// A HEAD answer with no side effect: the resource exists; GET it to act.
pub fn head_only(content_type: &str) -> Result<Response> {
    let resp = Response::empty()?.with_status(200);
    resp.headers().set("Content-Type", content_type)?;
    resp.headers().set("Cache-Control", "no-store")?;
    Ok(resp)
}

/// 421: a request for a host this server does not answer (the host is not repeated back).
pub fn misdirected() -> Result<Response> {
    json_text(
        421,
        r#"{"error":"misdirected_request","error_description":"This server does not answer for that host."}"#.into(),
    )
}

pub fn not_found() -> Result<Response> {
    error_page(404, "Not found", "There is nothing at this address.", None)
}

pub fn method_not_allowed(allow: &str) -> Result<Response> {
    let resp = error_page(405, "Method not allowed", "This address does not accept that method.", None)?;
    resp.headers().set("Allow", allow)?;
    Ok(resp)
}
