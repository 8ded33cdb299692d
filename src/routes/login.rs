//! `/login`, `/callback`, `/logout`, `/` (account): parse the request, call `signin`, answer.
use super::{cookie, error::RouteError, form, header, query, Answer};
use crate::config::AuthMode;
use crate::cookies::clear_cookie;
use crate::limits::Limiter;
use crate::oauth::authorize::{AuthorizeParams, Refusal};
use crate::oauth::consent::{self, CONSENT_COOKIE};
use crate::oauth::{connected, OAuthError};
use crate::pages::{render, AccountPage, AppRow, LoginPage, OrganizationPage};
use crate::platform::app::App;
use crate::platform::audit::{self, Background};
use crate::responses as web;
use crate::return_path::safe_return_path;
use crate::signin::{self, Callback, ClientInfo, Outcome, StartRequest, PICK_COOKIE, SESSION_COOKIE, SIGNIN_COOKIE};
use worker::{Context, Method, Request};

fn client_info(req: &Request) -> ClientInfo {
    ClientInfo { ip: header(req, "CF-Connecting-IP"), user_agent: header(req, "User-Agent") }
}

/// `GET /login`: the sign-in page (no state is created until the button is pressed).
/// With `external_auth_id` (AuthKit's "bring your own login"; AuthKit mode only, ignored
/// otherwise) a signed-in browser completes the AuthKit request at once (once WorkOS confirms an
/// older session still stands; one that has ended is signed out here too); otherwise the id
/// rides along through the sign-in.
pub async fn login_page(req: &Request, app: &App) -> Answer {
    let q = query(req)?;
    let return_to = safe_return_path(q.get("return_to").map(String::as_str));
    let login_hint = q.get("login_hint").map(String::as_str).unwrap_or("");
    let external_auth_id = match app.config.authkit_bridge() {
        true => q.get("external_auth_id").map(String::as_str).unwrap_or(""),
        false => "",
    };
    let mut ended = false;
    if !external_auth_id.is_empty() {
        if let Some((id, session)) = signin::load_session(&app.ctx(), cookie(req, SESSION_COOKIE).as_deref()).await? {
            // Each completion asks WorkOS (twice), on the API key everyone's sign-ins share:
            // counted per person, under the sign-in limiter.
            let key = ["bridge:", session.principal.user_id.as_str()].concat();
            if !crate::platform::within_limit(&app.store.env, Limiter::SignIn, key).await {
                return Err(RouteError::RateLimited { page: true });
            }
            match signin::complete_bridge_for_session(&app.ctx(), &id, &session, external_auth_id).await? {
                Some(location) => return Ok(web::redirect(&location, &[])?),
                // Its WorkOS session has ended: this browser signs in again.
                None => ended = true,
            }
        }
    }
    let page = web::html(200, render(&LoginPage { return_to: &return_to, login_hint, external_auth_id }))?;
    if ended {
        page.headers().append("Set-Cookie", &clear_cookie(SESSION_COOKIE))?;
    }
    Ok(page)
}

/// `POST /login`: create the one-time state and send the browser to WorkOS. Only a same-origin
/// form post (browsers send `Origin` on every POST) may make the Worker write a sign-in state:
/// a cross-site or Origin-less POST is refused and writes nothing.
pub async fn login_start(mut req: Request, app: &App) -> Answer {
    if header(&req, "Origin").as_deref() != Some(app.origin.as_str()) {
        return Err(signin::SigninError::ForeignOrigin.into());
    }
    let f = form(&mut req).await?;
    let start = StartRequest {
        return_to: f.get("return_to").map(String::as_str),
        login_hint: f.get("login_hint").map(String::as_str).filter(|h| !h.is_empty()),
        screen_hint: f.get("screen_hint").map(String::as_str),
        external_auth_id: f.get("external_auth_id").map(String::as_str).filter(|h| !h.is_empty()),
    };
    let started = signin::start(&app.ctx(), start).await?;
    Ok(web::redirect(&started.location, &[&started.set_cookie])?)
}

/// `GET /callback`: verify state, exchange the code, create the session, redirect.
pub async fn callback(req: &Request, app: &App, ctx: &Context) -> Answer {
    let q = query(req)?;
    let get = |k: &str| q.get(k).map(String::as_str);
    let cb = Callback {
        state: get("state"),
        code: get("code"),
        error: get("error"),
        error_description: get("error_description"),
    };
    let signin_cookie = cookie(req, SIGNIN_COOKIE);
    // The binding cookie is single-use whatever happens next.
    let clear = clear_cookie(SIGNIN_COOKIE);
    let outcome = signin::complete(&app.ctx(), cb, signin_cookie.as_deref(), &client_info(req))
        .await
        .map_err(|e| RouteError::signin(e, vec![clear.clone()]))?;
    match outcome {
        Outcome::SignedIn(done) => signed_in(req, app, ctx, *done, &clear).await,
        Outcome::ChooseOrganization(picker) => {
            let resp = web::html(
                200,
                render(&OrganizationPage { organizations: &picker.organizations, csrf: picker.csrf.as_str() }),
            )?;
            resp.headers().append("Set-Cookie", &picker.set_cookie)?;
            resp.headers().append("Set-Cookie", &clear)?;
            Ok(resp)
        }
    }
}

/// `POST /login/organization`: the organization picker's choice finishes the sign-in.
pub async fn choose_organization(mut req: Request, app: &App, ctx: &Context) -> Answer {
    let pick_cookie = cookie(&req, PICK_COOKIE);
    let origin = header(&req, "Origin");
    let info = client_info(&req);
    let f = form(&mut req).await?;
    let get = |k: &str| f.get(k).map(String::as_str);
    let chosen = signin::choose_organization(
        &app.ctx(),
        pick_cookie.as_deref(),
        get("organization_id"),
        get("csrf"),
        origin.as_deref(),
        &info,
    )
    .await;
    match chosen {
        Ok(done) => signed_in(&req, app, ctx, done, &clear_cookie(PICK_COOKIE)).await,
        // A refused form keeps the picker (its cookie) unless it can no longer be used.
        Err(
            e @ (signin::SigninError::Csrf
            | signin::SigninError::ForeignOrigin
            | signin::SigninError::OrganizationNotOffered),
        ) => Err(e.into()),
        Err(e) => Err(RouteError::signin(e, vec![clear_cookie(PICK_COOKIE)])),
    }
}

/// Signed in: the audit event goes out after the response; the browser goes on. A sign-in that
/// an authorization request started is answered here as `/authorize` would answer it (the
/// consent page, or the code for a client this browser approved before), with the new session:
/// one redirect fewer, and no KV read of the session just written.
async fn signed_in(req: &Request, app: &App, ctx: &Context, done: signin::Completed, clear: &str) -> Answer {
    if let Some(event) = done.audit {
        audit::send_later(Background::Request(ctx), &app.config, event, app.now);
    }
    signin::forget_replaced_session(&app.ctx(), cookie(req, SESSION_COOKIE).as_deref(), &done.session_id).await;
    let first = [done.set_cookie.as_str(), clear];
    match AuthorizeParams::of_return_path(&done.location) {
        Some(params) if app.config.auth_mode == AuthMode::Worker => {
            let consent_cookie = cookie(req, CONSENT_COOKIE);
            let next = consent::begin_signed_in(
                &app.ctx(),
                &params,
                &done.session_id,
                &done.session,
                consent_cookie.as_deref(),
            )
            .await;
            super::oauth::answer(next, app, ctx, &first, req.method() == Method::Post)
        }
        _ => Ok(web::redirect(&done.location, &first)?),
    }
}

/// `GET /`: who is signed in, and (the Worker being the authorization server) the MCP clients
/// they have authorized.
pub async fn account(req: &Request, app: &App) -> Answer {
    match signin::load_session(&app.ctx(), cookie(req, SESSION_COOKIE).as_deref()).await? {
        Some((_, s)) => {
            let p = &s.principal;
            let apps = match app.config.auth_mode {
                AuthMode::Worker => Some(
                    connected::list(&app.ctx_over(&app.store.mirror_first()), &p.user_id)
                        .await
                        .map_err(unavailable)?
                        .iter()
                        .map(AppRow::new)
                        .collect::<Vec<_>>(),
                ),
                AuthMode::Authkit { .. } => None,
            };
            Ok(web::html(
                200,
                render(&AccountPage {
                    name: &p.name,
                    email: &p.email,
                    organization: p.organization_name.as_deref().or(p.organization_id.as_deref()).unwrap_or("—"),
                    role: p.role.as_deref().unwrap_or("—"),
                    permissions: &p.permissions,
                    csrf: s.csrf.as_str(),
                    apps: apps.as_deref(),
                }),
            )?)
        }
        None => Ok(web::redirect("/login?return_to=%2F", &[])?),
    }
}

/// `POST /account/apps/revoke`: the person takes an app's access away (same origin, CSRF token),
/// then sees the account page without it.
pub async fn revoke_app(mut req: Request, app: &App) -> Answer {
    let session_cookie = cookie(&req, SESSION_COOKIE);
    let origin = header(&req, "Origin");
    let f = form(&mut req).await?;
    let ctx = app.ctx();
    let csrf = f.get("csrf").map(String::as_str);
    let Some((_, session)) = signin::form_session(&ctx, session_cookie.as_deref(), csrf, origin.as_deref()).await?
    else {
        return Ok(web::redirect("/login?return_to=%2F", &[])?);
    };
    let grant_id = f.get("grant_id").map(String::as_str).unwrap_or_default();
    if connected::revoke(&ctx, &session.principal.user_id, grant_id).await.map_err(unavailable)? {
        // This isolate refuses the grant's tokens at once; others within a minute.
        app.grant_checks.borrow_mut().forget(grant_id);
    }
    Ok(web::redirect("/", &[])?)
}

/// Storage trouble behind the account page: a page saying so.
fn unavailable(e: OAuthError) -> RouteError {
    RouteError::Refused(Refusal {
        status: e.status,
        title: "Try again shortly".into(),
        message: "Your connected apps could not be read or changed just now.".into(),
        retry_after: e.retry_after,
    })
}

/// `POST /logout`: end our session and WorkOS's.
pub async fn logout(mut req: Request, app: &App) -> Answer {
    let session_cookie = cookie(&req, SESSION_COOKIE);
    let origin = header(&req, "Origin");
    let f = form(&mut req).await?;
    let csrf = f.get("csrf").map(String::as_str);
    let location = signin::logout(&app.ctx(), session_cookie.as_deref(), csrf, origin.as_deref()).await?;
    Ok(web::redirect(&location, &[&clear_cookie(SESSION_COOKIE)])?)
}
