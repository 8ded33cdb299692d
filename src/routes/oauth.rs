//! `/.well-known/*`, `/register`, `/authorize`, `/token`, `/revoke`: parse, call `oauth`, answer.
use super::error::RouteError;
use super::{body_limited, cookie, form_pairs, has_media_type, header, Answer, BodyError};
use crate::authkit::metadata::authkit_metadata;
use crate::config::AuthMode;
use crate::ids::GrantId;
use crate::oauth::authorize::AuthorizeParams;
use crate::oauth::consent::{self, Next, CONSENT_COOKIE};
use crate::oauth::form::{self as token_form, Form};
use crate::oauth::token;
use crate::oauth::{metadata, registry, OAuthError};
use crate::pages::{render, ConsentPage};
use crate::platform::app::App;
use crate::platform::grants;
use crate::responses as web;
use crate::signin::SESSION_COOKIE;
use wasm_bindgen::{JsCast, JsValue};
use worker::{Context, Env, Request, Response};

/// `GET /.well-known/oauth-authorization-server`: ours, or in AuthKit mode AuthKit's own RFC 8414
/// document (fetched and cached per isolate; the OpenID one lacks registration and CIMD fields).
pub async fn as_metadata(app: &App) -> Answer {
    match &app.config.auth_mode {
        AuthMode::Worker => Ok(web::json_text(200, metadata::authorization_server(&app.origin))?),
        AuthMode::Authkit { issuer, .. } => {
            match authkit_metadata(&app.http, &app.authkit_metadata, issuer, app.now).await {
                Some(doc) => Ok(web::json(200, &doc)?),
                None => Err(OAuthError::unavailable("AuthKit's metadata could not be fetched", None)
                    .with_status(502)
                    .into()),
            }
        }
    }
}

/// `GET /.well-known/oauth-protected-resource[/mcp|/sse]`.
pub fn resource_metadata(app: &App, path: &str) -> Answer {
    let authorization_server = match &app.config.auth_mode {
        AuthMode::Worker => app.origin.as_str(),
        AuthMode::Authkit { issuer, .. } => issuer.as_str(),
    };
    let suffix = path.strip_prefix(metadata::PRM_PATH).unwrap_or("");
    match metadata::protected_resource(&app.origin, suffix, authorization_server) {
        Some(doc) => Ok(web::json_text(200, doc)?),
        None => {
            Ok(web::json_text(404, r#"{"error":"not_found","error_description":"no protected resource here"}"#.into())?)
        }
    }
}

/// `POST /register` (RFC 7591).
pub async fn register(mut req: Request, app: &App) -> Answer {
    if !has_media_type(&req, "application/json") {
        return Err(OAuthError::invalid_request("the body must be application/json").with_status(415).into());
    }
    let body = read_limited(&mut req, crate::oauth::client::MAX_REGISTRATION_BYTES).await?;
    Ok(web::json(201, &registry::register(&app.ctx(), &body).await?.response)?)
}

/// The body, refused with 413 when `Content-Length` or the bytes exceed `max`.
async fn read_limited(req: &mut Request, max: usize) -> std::result::Result<Vec<u8>, OAuthError> {
    body_limited(req, max).await.map_err(|e| match e {
        BodyError::TooLarge => {
            OAuthError::invalid_request(format!("the body is larger than {} KiB", max / 1024)).with_status(413)
        }
        BodyError::Unreadable => OAuthError::invalid_request("the body could not be read"),
    })
}

/// `GET /authorize`.
pub async fn authorize(req: &Request, app: &App, ctx: &Context) -> Answer {
    let url = req.url()?;
    let params = AuthorizeParams::from_pairs(
        url.query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect::<Vec<_>>()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let next = consent::begin(
        &app.ctx(),
        &params,
        cookie(req, SESSION_COOKIE).as_deref(),
        cookie(req, CONSENT_COOKIE).as_deref(),
    )
    .await;
    answer(next, app, ctx, &[], false)
}

/// `POST /authorize` (the consent form).
pub async fn authorize_decision(mut req: Request, app: &App) -> Answer {
    let session = cookie(&req, SESSION_COOKIE);
    let consent_cookie = cookie(&req, CONSENT_COOKIE);
    let origin = header(&req, "Origin");
    let pairs = form_pairs(&mut req).await?;
    let params = AuthorizeParams::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let next = consent::decide(
        &app.ctx(),
        &params,
        field("decision"),
        field("csrf"),
        origin.as_deref(),
        session.as_deref(),
        consent_cookie.as_deref(),
    )
    .await;
    answer_with(next, &[], true)
}

/// What `GET /authorize` answers, with `first` cookies set before its own (the session of a
/// sign-in that has just finished, when `/callback` answers for `/authorize`). With the consent
/// page, the grant's object is readied while the person reads it (after the answer; see
/// `grants::warm`). `posted`: the request was a form's POST (the organization picker).
pub(super) fn answer(next: Next, app: &App, ctx: &Context, first: &[&str], posted: bool) -> Answer {
    if let Next::Consent(v) = &next {
        grants::warm(&app.store.env, v.grant_id.as_str(), ctx);
    }
    answer_with(next, first, posted)
}

/// A redirect to the client answers a GET with 302 and a form's POST with 303, so that the
/// browser follows it with a GET and never re-sends the form (RFC 9700 §4.11).
fn answer_with(next: Next, first: &[&str], posted: bool) -> Answer {
    fn with_first<'a>(first: &[&'a str], own: &'a [String]) -> Vec<&'a str> {
        first.iter().copied().chain(own.iter().map(String::as_str)).collect()
    }
    let resp = match next {
        Next::Page(refusal) if first.is_empty() => return Err(refusal.into()),
        Next::Page(refusal) => RouteError::Refused(refusal).into_response()?,
        Next::Redirect { location, set_cookies } => {
            return Ok(web::found(posted, &location, &with_first(first, &set_cookies))?)
        }
        Next::WorkosSignIn { location, set_cookies } => {
            return Ok(web::redirect(&location, &with_first(first, &set_cookies))?)
        }
        Next::Consent(v) => {
            let body = render(&ConsentPage {
                client_name: &v.client_name,
                redirect_host: &v.redirect_host,
                user_email: &v.user_email,
                hidden: &v.hidden,
                csrf: v.csrf.as_str(),
                localhost_only: v.localhost_only,
                metadata_host: v.metadata_host.as_deref(),
            });
            web::html_with_form_action(200, body, &v.form_action)?
        }
    };
    for c in first {
        resp.headers().append("Set-Cookie", c)?;
    }
    Ok(resp)
}

/// `POST /token` and `POST /revoke` (RFC 7009: 200 for any token, once the client is
/// authenticated): the grant's object runs them (one operation at a time per grant); a request
/// naming no grant is answered here.
pub async fn grant_operation(mut req: Request, app: &App, env: &Env, path: &str) -> Answer {
    let content_type = header(&req, "Content-Type");
    let authorization = header(&req, "Authorization");
    let body = read_limited(&mut req, token_form::MAX_FORM_BYTES).await?;
    let form = Form::parse(content_type.as_deref(), &body)?;
    if let Some(grant_id) = token::grant_of_request(&app.config.seal_keys, path, &form, app.now) {
        let resp = forward_to_grant(
            env,
            &grant_id,
            path,
            &app.origin,
            content_type.as_deref(),
            authorization.as_deref(),
            body,
        )
        .await
        .map_err(|e| {
            // The grant's object failed (reset by a deploy, overloaded): an OAuth error the
            // client can act on (503, Retry-After), not the HTML page of an unhandled error.
            worker::console_warn!("{path}: the grant's object failed: {e}");
            OAuthError::unavailable("the grant could not be reached; try again", Some(5))
        })?;
        if path == "/revoke" && resp.status_code() == 200 {
            // This isolate sees the revocation at once; others within a minute.
            app.grant_checks.borrow_mut().forget(grant_id.as_str());
        }
        return Ok(resp);
    }
    token::without_grant(&app.ctx(), path, &form, authorization.as_deref()).await?;
    Ok(web::json_text(200, "{}".into())?)
}

/// The request as the client sent it, to the grant's object (its `request` method).
async fn forward_to_grant(
    env: &Env,
    grant_id: &GrantId,
    path: &str,
    origin: &str,
    content_type: Option<&str>,
    authorization: Option<&str>,
    body: Vec<u8>,
) -> std::result::Result<Response, String> {
    let stub = crate::platform::grants::stub(env, grant_id.as_str()).map_err(|e| e.to_string())?;
    let optional = |v: Option<&str>| v.map_or(JsValue::UNDEFINED, JsValue::from_str);
    let args = [
        JsValue::from_str(path),
        JsValue::from_str(origin),
        optional(content_type),
        optional(authorization),
        js_sys::Uint8Array::from(body.as_slice()).into(),
    ];
    let answer = crate::platform::js::call(&stub, "request", &args).await?;
    Ok(Response::from(answer.unchecked_into::<worker::worker_sys::web_sys::Response>()))
}
