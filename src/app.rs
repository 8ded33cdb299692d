//! Per-request wiring: configuration, bindings, routing, and the last-resort error mapping.
use crate::config::Config;
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
}

/// What a handler needs; built once per request.
pub struct App {
    pub config: Config,
    pub store: KvStore,
    pub http: FetchClient,
    pub jwks: Rc<RefCell<JwksCache>>,
    pub origin: String,
    pub now: u64,
}

impl App {
    pub fn ctx(&self) -> Ctx<'_, KvStore, FetchClient> {
        Ctx { config: &self.config, store: &self.store, http: &self.http, jwks: &self.jwks, now: self.now, origin: &self.origin }
    }
}

pub async fn handle(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let url = req.url()?;
    let path = url.path().to_string();
    let method = req.method();
    let known = matches!(path.as_str(), "/" | "/account" | "/login" | "/callback" | "/logout");
    if !known {
        return web::not_found();
    }
    let app = match build(&env, &url) {
        Ok(app) => app,
        Err(resp) => return resp,
    };
    match (method, path.as_str()) {
        (Method::Get | Method::Head, "/" | "/account") => routes::login::account(&req, &app).await,
        (Method::Get | Method::Head, "/login") => routes::login::login_page(&req),
        (Method::Post, "/login") => routes::login::login_start(req, &app).await,
        (Method::Get, "/callback") => routes::login::callback(&req, &app, &ctx).await,
        (Method::Post, "/logout") => routes::login::logout(req, &app).await,
        (_, "/login") => web::method_not_allowed("GET, POST"),
        (_, "/logout") => web::method_not_allowed("POST"),
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
        store: KvStore(kv),
        http: FetchClient::workos(),
        jwks: JWKS.with(Rc::clone),
        origin: url.origin().ascii_serialization(),
        now: platform::now(),
    })
}
