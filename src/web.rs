//! Response building for the Worker: security headers, redirects that carry several cookies,
//! error pages. The one place that turns errors into HTTP.
use crate::pages::{render, ErrorPage};
use crate::signin::SigninError;
use worker::{Headers, Response, Result};

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self' https: http://127.0.0.1:* http://localhost:*; frame-ancestors 'none'; base-uri 'none'";

fn security_headers(h: &Headers) -> Result<()> {
    h.set("Content-Security-Policy", CSP)?;
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

/// 303 with `Location` and one `Set-Cookie` per cookie (appended, never merged: every cookie arrives).
pub fn redirect(location: &str, cookies: &[&str]) -> Result<Response> {
    let headers = Headers::new();
    headers.set("Location", location)?;
    headers.set("Cache-Control", "no-store")?;
    for c in cookies {
        headers.append("Set-Cookie", c)?;
    }
    Ok(Response::empty()?.with_status(303).with_headers(headers))
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

pub fn not_found() -> Result<Response> {
    error_page(404, "Not found", "There is nothing at this address.", None)
}

pub fn method_not_allowed(allow: &str) -> Result<Response> {
    let resp = error_page(405, "Method not allowed", "This address does not accept that method.", None)?;
    resp.headers().set("Allow", allow)?;
    Ok(resp)
}
