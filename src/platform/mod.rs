//! The Worker side of each boundary: KV, Fetch, Cache API, environment, clock.
pub mod app;
pub mod audit;
pub mod cache;
pub mod fetch;
pub mod grant_changes;
pub mod grants;
pub mod isolate;
pub mod js;
pub mod kv;
pub mod tools;

use crate::config::{Config, ConfigError};
use std::cell::RefCell;
use std::rc::Rc;
use worker::{web_sys, Env};

/// A request or response body parsed with serde_json: `json_body(req.text()).await`. The
/// `worker` crate's own `json()` goes through serde_wasm_bindgen, which puts a second
/// deserializer for every type in the Wasm and crosses into JavaScript for every field.
pub async fn json_body<T: serde::de::DeserializeOwned>(
    text: impl std::future::Future<Output = worker::Result<String>>,
) -> worker::Result<T> {
    Ok(crate::json::from_str(&text.await?)?)
}

/// A request to send (to WorkOS, or to a Durable Object), built on the runtime's own
/// `RequestInit`: `worker::RequestInit` converts its `cf` options by serializing every one of
/// them, image resizing included, which links about 11 KB of Wasm for options never set here.
/// `manual_redirect`: a 3xx is answered as it is, not followed.
pub fn outgoing(
    url: &str,
    method: &str,
    headers: &worker::Headers,
    body: Option<&wasm_bindgen::JsValue>,
    manual_redirect: bool,
) -> worker::Result<worker::Request> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_headers(&headers.0);
    if let Some(body) = body {
        init.set_body(body);
    }
    if manual_redirect {
        init.set_redirect(web_sys::RequestRedirect::Manual);
    }
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(|e| {
        worker::Error::JsError(e.as_string().unwrap_or_else(|| "invalid URL or options for Request".into()))
    })?;
    Ok(worker::Request::from(request))
}

/// A JSON POST to a Durable Object (the URL's host is irrelevant; the path names the operation).
pub fn object_post(url: &str, body: &impl serde::Serialize) -> worker::Result<worker::Request> {
    let headers = worker::Headers::new();
    headers.set("Content-Type", "application/json")?;
    outgoing(url, "POST", &headers, Some(&serde_json::to_string(body)?.into()), false)
}

/// Unix seconds from the platform clock (`std::time` is unavailable on wasm32-unknown-unknown).
pub fn now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

thread_local! {
    /// The configuration, parsed at the isolate's first request (never at start-up): an
    /// isolate's secrets and vars do not change, a new deployment or secret is a new isolate.
    static CONFIG: RefCell<Option<Rc<Config>>> = const { RefCell::new(None) };
    static PUBLIC_ORIGIN: RefCell<Option<Option<String>>> = const { RefCell::new(None) };
}

/// `PUBLIC_ORIGIN`, when set and valid (an invalid value is reported by [`config`]); read once
/// per isolate.
pub fn public_origin(env: &Env) -> Option<String> {
    if let Some(known) = PUBLIC_ORIGIN.with(|p| p.borrow().clone()) {
        return known;
    }
    let raw =
        env.secret("PUBLIC_ORIGIN").map(|s| s.to_string()).or_else(|_| env.var("PUBLIC_ORIGIN").map(|v| v.to_string()));
    let parsed = raw.ok().and_then(|r| crate::origin::parse_public_origin(&r).ok());
    PUBLIC_ORIGIN.with(|p| *p.borrow_mut() = Some(parsed.clone()));
    parsed
}

/// The configuration from secrets and vars (`.dev.vars` locally, `wrangler secret put` in
/// production), parsed once per isolate; a problem is parsed (and named) again each time.
pub fn config(env: &Env) -> Result<Rc<Config>, ConfigError> {
    if let Some(known) = CONFIG.with(|c| c.borrow().clone()) {
        return Ok(known);
    }
    let parsed = Rc::new(Config::from_lookup(|name| {
        env.secret(name).map(|s| s.to_string()).or_else(|_| env.var(name).map(|v| v.to_string())).ok()
    })?);
    if parsed.mcp_conformance_fixtures && !cfg!(feature = "conformance-fixtures") {
        worker::console_warn!(
            "MCP_CONFORMANCE_FIXTURES is set, but this build has no fixtures: build with \
             WORKER_FEATURES=conformance-fixtures (scripts/dev.sh and the tests do)"
        );
    }
    CONFIG.with(|c| *c.borrow_mut() = Some(parsed.clone()));
    Ok(parsed)
}

/// True when the caller may go on: the limiter's bucket for `key` is not yet full. A missing
/// binding (removed from wrangler.toml) or a limiter failure lets the request through, logged:
/// the limiter protects capacity, it must not take the service down with it.
pub async fn within_limit(env: &Env, limiter: crate::limits::Limiter, key: String) -> bool {
    match js::binding(env, limiter.binding()) {
        // `limit({key})` answers `{success}`.
        Some(binding) => match js::call(&binding, "limit", &[js::object(&[("key", key.into())])]).await {
            Ok(outcome) => js::field(&outcome, "success").as_bool().unwrap_or(true),
            Err(e) => {
                worker::console_warn!("rate limiter {} failed: {e}", limiter.binding());
                true
            }
        },
        None => {
            worker::console_warn!("rate limiter binding {} is missing (see wrangler.toml)", limiter.binding());
            true
        }
    }
}
