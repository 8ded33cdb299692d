//! Per-request wiring: configuration, bindings, routing, and the last-resort error mapping.
use crate::auth::authkit::AuthkitKeys;
use crate::auth::org_access::OrgAccessCache;
use crate::config::{AuthMode, Config};
use crate::http::{HttpClient, HttpRequest};
use crate::oauth::access::GrantChecks;
use crate::oauth::metadata;
use crate::platform::{self, fetch::FetchClient, grants::AppStore, isolate, kv::KvStore};
use crate::routes;
use crate::signin::Ctx;
use crate::web;
use crate::workos::JwksCache;
use std::cell::RefCell;
use std::rc::Rc;
use worker::{Context, Env, Method, Request, Response, Result};

pub const KV_BINDING: &str = "OAUTH_KV";

/// What a handler needs; built once per request.
pub struct App {
    pub config: Config,
    /// KV, with grant records kept by their Durable Objects (`platform::grants`).
    pub store: AppStore,
    pub http: FetchClient,
    pub jwks: Rc<RefCell<JwksCache>>,
    pub grant_checks: Rc<RefCell<GrantChecks>>,
    pub authkit_keys: Rc<RefCell<AuthkitKeys>>,
    pub org_access: Rc<RefCell<OrgAccessCache>>,
    pub origin: String,
    pub now: u64,
}

impl App {
    pub fn ctx(&self) -> Ctx<'_, AppStore, FetchClient> {
        Ctx {
            config: &self.config,
            store: &self.store,
            http: &self.http,
            jwks: &self.jwks,
            now: self.now,
            origin: &self.origin,
        }
    }
}

/// Paths whose answers browser-based MCP clients read (CORS, preflight).
fn is_api_path(path: &str) -> bool {
    matches!(path, "/register" | "/token" | "/revoke" | "/mcp" | "/sse" | "/sse/message")
        || path == metadata::AS_METADATA_PATH
        || path.starts_with(metadata::PRM_PATH)
}

fn is_known(path: &str) -> bool {
    is_api_path(path)
        || matches!(path, "/" | "/account" | "/login" | "/login/organization" | "/callback" | "/logout" | "/authorize")
}

pub async fn handle(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let url = req.url()?;
    let path = url.path().to_string();
    let method = req.method();
    if !is_known(&path) {
        return web::not_found();
    }
    let origin = req.headers().get("Origin").ok().flatten();
    if method == Method::Options && is_api_path(&path) && !routes::mcp::is_mcp_path(&path) {
        return web::preflight(origin.as_deref());
    }
    // HEAD where a GET would act (consume a sign-in state, start one, open a stream): the
    // resource is there, nothing happens.
    if method == Method::Head && matches!(path.as_str(), "/callback" | "/authorize" | "/sse") {
        return web::head_only(if path == "/sse" { "text/event-stream" } else { "text/html; charset=utf-8" });
    }
    if let Some(limiter) = crate::limits::limiter_for(method.as_ref(), &path) {
        let key = crate::limits::key_for(req.headers().get("CF-Connecting-IP").ok().flatten().as_deref());
        if !platform::within_limit(&env, limiter, key).await {
            return web::too_many_requests(
                limiter.answers_with_page(),
                req.headers().get("Origin").ok().flatten().as_deref(),
            );
        }
    }
    let app = match build(&env, &url) {
        Ok(app) => app,
        Err(resp) => return resp,
    };
    if method == Method::Options {
        // The MCP endpoints: a preflight from an origin the endpoint would refuse is refused too.
        return match routes::mcp::origin_allowed(&app, origin.as_deref()) {
            true => web::preflight(origin.as_deref()),
            false => web::json(403, &serde_json::json!({"error": "origin not allowed"})),
        };
    }
    if let Some(suffix) = path.strip_prefix(metadata::PRM_PATH) {
        return match method {
            Method::Get | Method::Head => routes::oauth::resource_metadata(&req, &app, suffix),
            _ => web::method_not_allowed("GET"),
        };
    }
    match (method, path.as_str()) {
        (Method::Get | Method::Head, "/" | "/account") => routes::login::account(&req, &app).await,
        (Method::Get | Method::Head, "/login") => routes::login::login_page(&req, &app).await,
        (Method::Post, "/login") => routes::login::login_start(req, &app).await,
        (Method::Get, "/callback") => routes::login::callback(&req, &app, &ctx).await,
        (Method::Post, "/login/organization") => routes::login::choose_organization(req, &app, &ctx).await,
        (Method::Post, "/logout") => routes::login::logout(req, &app).await,
        (Method::Get | Method::Head, metadata::AS_METADATA_PATH) => routes::oauth::as_metadata(&req, &app).await,
        // In AuthKit mode AuthKit is the authorization server: ours is not offered at all.
        (_, "/register" | "/authorize" | "/token" | "/revoke")
            if matches!(app.config.auth_mode, AuthMode::Authkit { .. }) =>
        {
            web::not_found()
        }
        (Method::Post, "/register") => routes::oauth::register(req, &app).await,
        (Method::Get, "/authorize") => routes::oauth::authorize(&req, &app).await,
        (Method::Post, "/authorize") => routes::oauth::authorize_decision(req, &app).await,
        (Method::Post, "/token") => routes::oauth::token(req, &app, &env).await,
        (Method::Post, "/revoke") => routes::oauth::revoke(req, &app, &env).await,
        (_, "/mcp" | "/sse" | "/sse/message") => routes::mcp::handle(req, &app, &env, &path).await,
        (_, "/login" | "/authorize") => web::method_not_allowed("GET, POST"),
        (_, "/logout" | "/login/organization" | "/register" | "/token" | "/revoke") => web::method_not_allowed("POST"),
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
        web::error_page(
            500,
            "Server misconfigured",
            &format!("Configuration error: the KV namespace binding {KV_BINDING} is missing (see wrangler.toml)."),
            None,
        )
    })?;
    Ok(App {
        config,
        store: AppStore { kv: KvStore::new(kv), env: env.clone() },
        http: FetchClient::workos(),
        jwks: isolate::workos_jwks(),
        grant_checks: isolate::grant_checks(),
        authkit_keys: isolate::authkit_keys(),
        org_access: isolate::org_access(),
        origin: url.origin().ascii_serialization(),
        now: platform::now(),
    })
}

/// How long an isolate keeps AuthKit's metadata document.
const AUTHKIT_METADATA_TTL: u64 = 600;

/// AuthKit's RFC 8414 document (cached per isolate; a failed refetch serves the cached copy).
pub async fn authkit_metadata(app: &App, issuer: &str) -> Option<serde_json::Value> {
    let cached = isolate::authkit_metadata();
    if let Some((at, doc)) = &cached {
        if app.now < at + AUTHKIT_METADATA_TTL {
            return Some(doc.clone());
        }
    }
    let request = HttpRequest::get_json(format!("{issuer}{}", metadata::AS_METADATA_PATH), Some(64 * 1024));
    let fresh = match app.http.send(request).await {
        Ok(r) if r.status == 200 => {
            serde_json::from_slice::<serde_json::Value>(&r.body).ok().filter(|d| d["issuer"] == issuer)
        }
        _ => None,
    };
    match fresh {
        Some(doc) => {
            isolate::remember_authkit_metadata(app.now, doc.clone());
            Some(doc)
        }
        None => cached.map(|(_, doc)| doc),
    }
}
