//! `POST /webhooks/workos`: WorkOS events that change access (see `oauth::workos_events`).
use super::{body_limited, error::RouteError, header, Answer, BodyError};
use crate::oauth::workos_events::{self, Undelivered};
use crate::platform::app::App;
use crate::platform::grant_changes::GrantObjects;
use crate::responses as web;
use crate::workos::webhook::MAX_BODY_BYTES;
use worker::{Env, Request};

pub async fn workos(mut req: Request, app: &App, env: &Env) -> Answer {
    // Without a secret there is no endpoint: nothing unsigned is ever accepted.
    let Some(secret) = app.config.webhook_secret.as_deref() else { return Err(RouteError::NotFound) };
    let signature = header(&req, "WorkOS-Signature");
    let body = match body_limited(&mut req, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => return Ok(web::json_text(413, r#"{"error":"payload_too_large"}"#.into())?),
        Err(BodyError::Unreadable) => return Ok(web::json_text(400, r#"{"error":"unreadable_body"}"#.into())?),
    };
    let owner = GrantObjects { env };
    // Grants are looked through in KV's mirror (their objects for grants it lacks); changes go to
    // the object that keeps the grants (one per person; a grant from before partitions has its own).
    let listing = app.store.mirror_first();
    match workos_events::receive(&app.ctx_over(&listing), &owner, secret, signature.as_deref(), &body).await {
        Ok(received) => {
            // This isolate applies the change at once; others within the bearer check's minute.
            let mut checks = app.grant_checks.borrow_mut();
            received.changed.iter().for_each(|id| checks.forget(id.as_str()));
            if received.left_to_mark {
                worker::console_warn!(
                    "webhook: some grants were not reached; the event's mark, if any, covers them (see workos_events)"
                );
            }
            Ok(web::json_text(200, format!(r#"{{"received":true,"duplicate":{}}}"#, received.duplicate))?)
        }
        Err(Undelivered::Refused(why)) => {
            worker::console_warn!("webhook refused: {why:?}");
            Ok(web::json_text(401, r#"{"error":"invalid_signature"}"#.into())?)
        }
        Err(Undelivered::Malformed) => Ok(web::json_text(400, r#"{"error":"invalid_event"}"#.into())?),
        Err(Undelivered::Unavailable(why)) => {
            worker::console_warn!("webhook not applied (WorkOS will retry): {why}");
            let resp = web::json_text(503, r#"{"error":"temporarily_unavailable"}"#.into())?;
            resp.headers().set("Retry-After", "30")?;
            Ok(resp)
        }
    }
}
