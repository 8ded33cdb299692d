//! The entry: find the route in [`crate::route_table`], answer what the table answers by itself
//! (404, 405, preflights, HEAD without side effects, rate limits, AuthKit mode's missing
//! endpoints), call the handler, turn its error into a response, add CORS for the route's
//! audience.
use crate::origin::{origin_of_url, server_origin};
use crate::platform::{self, app::App};
use crate::responses as web;
use crate::route_table::{self, Audience, Handler, Route};
use crate::routes::{error::RouteError, header, login, mcp, oauth, webhooks};
use std::borrow::Cow;
use worker::{Context, Env, Request, Response, Result};

/// What is added to every answer of a route once its handler is done.
#[derive(Default)]
struct Finish {
    /// The Origin to allow (CORS), when the route's audience may read it.
    cors: Option<String>,
    /// `Server-Timing`: the MCP endpoints report their KV reads (the benchmark reads them), the
    /// sign-in and authorization endpoints where their time went ([`crate::timing`]).
    server_timing: Option<Cow<'static, str>>,
    /// When the request arrived (ms, the Workers clock).
    started: f64,
}

pub async fn handle(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let started = js_sys::Date::now();
    // Before anything else: a request for a host this server does not answer (DNS rebinding).
    // The runtime's URL is already serialized: its origin is read off the text (and the path
    // was, by `worker`), not parsed again.
    let public_origin = platform::public_origin(&env);
    let raw_url = req.inner().url();
    let request_origin = match origin_of_url(&raw_url) {
        Some(origin) => origin.to_string(),
        None => req.url()?.origin().ascii_serialization(),
    };
    let client_ip = || header(&req, "CF-Connecting-IP");
    let origin = match server_origin(public_origin.as_deref(), &request_origin, client_ip) {
        Ok(origin) => origin,
        Err(_) => return web::misdirected(),
    };
    let path = req.path();
    let Some(route) = route_table::find(&path) else {
        return web::not_found();
    };
    let mut finish = Finish { started, ..Finish::default() };
    let resp = match dispatch(route, req, &env, &ctx, &path, origin, &mut finish).await {
        Ok(resp) => resp,
        Err(e) => e.into_response()?,
    };
    let resp = match finish.server_timing {
        // Appended: a grant object's answer (`/token`) brings its own. Our own responses take it
        // as they are; one from a Durable Object has immutable headers and is copied first.
        Some(timing) => match platform::js::append_header(&resp.headers().0, "Server-Timing", &timing) {
            Ok(()) => resp,
            Err(_) => {
                let resp = web::writable(resp)?;
                resp.headers().append("Server-Timing", &timing)?;
                resp
            }
        },
        None => resp,
    };
    web::with_cors(resp, finish.cors.as_deref())
}

async fn dispatch(
    route: &Route,
    req: Request,
    env: &Env,
    ctx: &Context,
    path: &str,
    our_origin: String,
    finish: &mut Finish,
) -> std::result::Result<Response, RouteError> {
    let method = req.method().to_string();
    let origin = header(&req, "Origin");
    if route.audience == Audience::Api {
        finish.cors = origin.clone();
        if method == "OPTIONS" {
            return Ok(web::preflight(origin.as_deref())?);
        }
    }
    let handler = route.handler_for(&method);
    if handler == Some(Handler::HeadOnly) {
        return head_only(route);
    }
    if let Some(limiter) = route.limiter_for(&method) {
        let key = crate::limits::key_for(header(&req, "CF-Connecting-IP").as_deref());
        if !platform::within_limit(env, limiter, key).await {
            return Err(RouteError::RateLimited { page: limiter.answers_with_page() });
        }
    }
    let app = App::build(env, our_origin).map_err(RouteError::Misconfigured)?;
    if route.audience == Audience::Mcp {
        let allowed = mcp::origin_allowed(&app, origin.as_deref());
        if allowed {
            finish.cors = origin.clone();
        }
        if method == "OPTIONS" {
            // A preflight from an origin the endpoint would refuse is refused too.
            return match allowed {
                true => Ok(web::preflight(origin.as_deref())?),
                false => Err(RouteError::mcp(403, "Origin not allowed")),
            };
        }
    }
    // In AuthKit mode AuthKit is the authorization server: ours is not offered at all.
    if route.worker_mode_only && app.config.auth_mode != crate::config::AuthMode::Worker {
        return Err(RouteError::NotFound);
    }
    let Some(handler) = handler else {
        return Err(RouteError::MethodNotAllowed { allow: route.allow() });
    };
    let answer = match handler {
        Handler::Account => login::account(&req, &app).await,
        Handler::RevokeApp => login::revoke_app(req, &app).await,
        Handler::LoginPage => login::login_page(&req, &app).await,
        Handler::LoginStart => login::login_start(req, &app).await,
        Handler::Callback => login::callback(&req, &app, ctx).await,
        Handler::ChooseOrganization => login::choose_organization(req, &app, ctx).await,
        Handler::Logout => login::logout(req, &app).await,
        Handler::AsMetadata => oauth::as_metadata(&app).await,
        Handler::ResourceMetadata => oauth::resource_metadata(&app, path),
        Handler::Register => oauth::register(req, &app).await,
        Handler::Authorize => oauth::authorize(&req, &app, ctx).await,
        Handler::AuthorizeDecision => oauth::authorize_decision(req, &app).await,
        Handler::Token | Handler::Revoke => oauth::grant_operation(req, &app, env, path).await,
        Handler::WorkosWebhook => webhooks::workos(req, &app, env).await,
        Handler::Mcp => mcp::handle(req, &app, env, ctx, path, origin).await,
        Handler::HeadOnly => head_only(route),
    };
    if route.audience == Audience::Mcp {
        finish.server_timing = Some(match app.timings.kv_reads() {
            // The hot path's (a grant checked in this isolate): fixed text, passed to JS once.
            0 => Cow::Borrowed("kv;desc=\"reads=0\""),
            reads => Cow::Owned(format!("kv;desc=\"reads={reads}\"")),
        });
    } else if matches!(
        handler,
        Handler::Register
            | Handler::LoginStart
            | Handler::Callback
            | Handler::ChooseOrganization
            | Handler::Authorize
            | Handler::AuthorizeDecision
            | Handler::Token
    ) {
        finish.server_timing = Some(Cow::Owned(app.timings.header("total", js_sys::Date::now() - finish.started)));
    }
    answer
}

/// HEAD where a GET would act: the resource is there, nothing happens.
fn head_only(route: &Route) -> std::result::Result<Response, RouteError> {
    let media = if route.audience == Audience::Mcp { "text/event-stream" } else { "text/html; charset=utf-8" };
    Ok(web::head_only(media)?)
}
