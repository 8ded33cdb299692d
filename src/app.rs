//! Per-request wiring: configuration, bindings, routing, and the last-resort error mapping.
use crate::config::Config;
use crate::oauth::access::GrantChecks;
use crate::oauth::metadata;
use crate::platform::{self, fetch::FetchClient, kv::KvStore};
use crate::routes;
use crate::signin::Ctx;
use crate::web;
use crate::workos::JwksCache;
use std::cell::RefCell;
use std::rc::Rc;
use worker::{Context, Env, Method, Request, Response, Result};

pub const KV_BINDING: &str = "OAUTH_KV";

thread_local! {
    /// WorkOS's JWKS, cached per isolate (each request would otherwise fetch it).
    static JWKS: Rc<RefCell<JwksCache>> = Rc::new(RefCell::new(JwksCache::default()));
    /// Recent grant lookups for bearer checks (at most one KV read per grant per minute).
    static GRANT_CHECKS: Rc<RefCell<GrantChecks>> = Rc::new(RefCell::new(GrantChecks::default()));
}

/// What a handler needs; built once per request.
pub struct App {
    pub config: Config,
    pub store: KvStore,
    pub http: FetchClient,
    pub jwks: Rc<RefCell<JwksCache>>,
    pub grant_checks: Rc<RefCell<GrantChecks>>,
    pub origin: String,
    pub now: u64,
}

impl App {
    pub fn ctx(&self) -> Ctx<'_, KvStore, FetchClient> {
        Ctx { config: &self.config, store: &self.store, http: &self.http, jwks: &self.jwks, now: self.now, origin: &self.origin }
    }
}

/// Paths whose answers browser-based MCP clients read (CORS, preflight).
fn is_api_path(path: &str) -> bool {
    matches!(path, "/register" | "/token" | "/revoke" | "/mcp" | "/sse" | "/sse/message")
        || path == metadata::AS_METADATA_PATH
        || path.starts_with(metadata::PRM_PATH)
}

fn is_known(path: &str) -> bool {
    is_api_path(path) || matches!(path, "/" | "/account" | "/login" | "/callback" | "/logout" | "/authorize")
}

pub async fn handle(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let url = req.url()?;
    let path = url.path().to_string();
    let method = req.method();
    if !is_known(&path) {
        return web::not_found();
    }
    if method == Method::Options && is_api_path(&path) {
        return web::preflight(req.headers().get("Origin").ok().flatten().as_deref());
    }
    let app = match build(&env, &url) {
        Ok(app) => app,
        Err(resp) => return resp,
    };
    if let Some(suffix) = path.strip_prefix(metadata::PRM_PATH) {
        return match method {
            Method::Get | Method::Head => routes::oauth::resource_metadata(&req, &app, suffix),
            _ => web::method_not_allowed("GET"),
        };
    }
    match (method, path.as_str()) {
        (Method::Get | Method::Head, "/" | "/account") => routes::login::account(&req, &app).await,
        (Method::Get | Method::Head, "/login") => routes::login::login_page(&req),
        (Method::Post, "/login") => routes::login::login_start(req, &app).await,
        (Method::Get, "/callback") => routes::login::callback(&req, &app, &ctx).await,
        (Method::Post, "/logout") => routes::login::logout(req, &app).await,
        (Method::Get | Method::Head, metadata::AS_METADATA_PATH) => routes::oauth::as_metadata(&req, &app),
        (Method::Post, "/register") => routes::oauth::register(req, &app).await,
        (Method::Get, "/authorize") => routes::oauth::authorize(&req, &app).await,
        (Method::Post, "/authorize") => routes::oauth::authorize_decision(req, &app).await,
        (Method::Post, "/token") => routes::oauth::token(req, &app).await,
        (Method::Post, "/revoke") => routes::oauth::revoke(req, &app).await,
        (_, "/mcp" | "/sse" | "/sse/message") => routes::mcp::handle(req, &app, &env, &path).await,
        (_, "/login" | "/authorize") => web::method_not_allowed("GET, POST"),
        (_, "/logout" | "/register" | "/token" | "/revoke") => web::method_not_allowed("POST"),
        _ => web::method_not_allowed("GET"),
    }
}

/// Configuration and bindings; a problem becomes a page naming what is wrong (and a log line).
fn build(env: &Env, url: &url::Url) -> std::result::Result<App, Result<Response>> {
    let config = platform::load_config(env).map_err(|e| {
        worker::console_error!("configuration error: {e}");
        web::error_page(500, "Server misconfigured", &format!("Configuration error: {e}. See .dev.vars.example."), None)
    })?;
    let kv = env.kv(KV_BINDING).map_err(|_| {
        worker::console_error!("configuration error: KV binding {KV_BINDING} is missing");
        web::error_page(500, "Server misconfigured", &format!("Configuration error: the KV namespace binding {KV_BINDING} is missing (see wrangler.toml)."), None)
    })?;
    Ok(App {
        config,
        store: KvStore::new(kv),
        http: FetchClient::workos(),
        jwks: JWKS.with(Rc::clone),
        grant_checks: GRANT_CHECKS.with(Rc::clone),
        origin: url.origin().ascii_serialization(),
        now: platform::now(),
    })
}
