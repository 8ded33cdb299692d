//! `GrantGuard`: the Durable Object that keeps one grant (named by the grant id) and runs,
//! one at a time and in arrival order, every operation that changes it — code redemption,
//! refresh rotation, revocation. A Durable Object is linearizable, so two exchanges of one
//! code, two uses of one refresh token, or a revocation racing a refresh meet here in a line,
//! wherever in the world they were sent from; KV (eventually consistent, no compare-and-swap)
//! only mirrors the record for the bearer check.
//!
//! Requests: `/token` and `/revoke` carry the client's form as sent (the Worker has only read
//! it to find the grant); `/store` is a storage operation from the Worker's [`AppStore`]
//! (creating a grant); `/change` is what a WorkOS event does to the grant (revoke it, or record
//! the user's new access). The alarm clears the object when its grant expires.
//!
//! [`AppStore`]: crate::platform::grants::AppStore
use crate::context::Ctx;
use crate::oauth::form::Form;
use crate::oauth::token;
use crate::oauth::workos_events;
use crate::platform::grants::{ChangeRequest, GuardedStore, StoreOp};
use crate::platform::{self, fetch::FetchClient, isolate, json_body, kv::KvStore};
use crate::responses as web;
use crate::timing::Timings;
use crate::turnstile::Turnstile;
use std::rc::Rc;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

/// The Worker's origin (the issuer of the tokens), set by the Worker on requests to the object.
pub const ORIGIN_HEADER: &str = "X-Mcp-Origin";

#[durable_object(alarm)]
pub struct GrantGuard {
    state: State,
    env: Env,
    turnstile: Rc<Turnstile>,
}

impl DurableObject for GrantGuard {
    fn new(state: State, env: Env) -> Self {
        GrantGuard { state, env, turnstile: Rc::new(Turnstile::default()) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        // When the request reached the object: one that arrived before a change it lost to was
        // concurrent with it (see `token::refresh`).
        let arrived_ms = js_sys::Date::now() as u64;
        let _turn = Turnstile::enter(&self.turnstile).await;
        // The object's WorkOS calls and KV operations, for the Server-Timing of `/token`.
        let timings = Rc::new(Timings::default());
        let store = GuardedStore {
            storage: self.state.storage(),
            kv: KvStore::bound(&self.env, timings.clone()).map_err(worker::Error::RustError)?,
            now_ms: arrived_ms,
        };
        match req.path().as_str() {
            "/change" => {
                let request: ChangeRequest = json_body(req.text()).await?;
                let now = arrived_ms / 1000;
                match workos_events::change_grant(&store, &request.grant_id, &request.user_id, &request.change, now)
                    .await
                {
                    Ok(changed) => Response::from_json(&changed),
                    Err(e) => Response::error(e.description, 503),
                }
            }
            "/store" => {
                let op: StoreOp = json_body(req.text()).await?;
                match store.apply(op).await {
                    Ok(value) => Response::from_json(&value),
                    Err(e) => Response::error(e.0, 503),
                }
            }
            path @ ("/token" | "/revoke") => {
                let origin = req.headers().get(ORIGIN_HEADER)?.unwrap_or_default();
                let content_type = req.headers().get("Content-Type")?;
                let authorization = req.headers().get("Authorization")?;
                let body = req.bytes().await?;
                let config = match platform::config(&self.env) {
                    Ok(c) => c,
                    Err(e) => return Response::error(format!("configuration error: {e}"), 500),
                };
                let http = FetchClient::workos_timed(timings.clone());
                let jwks = isolate::workos_jwks();
                let org_names = isolate::org_names();
                let copies = isolate::kv_copies();
                let ctx = Ctx {
                    config: &config,
                    store: &store,
                    http: &http,
                    jwks: &jwks,
                    org_names: &org_names,
                    copies: &copies,
                    now: arrived_ms / 1000,
                    origin: &origin,
                };
                let form = match Form::parse(content_type.as_deref(), &body) {
                    Ok(f) => f,
                    Err(e) => return web::oauth_error(&e),
                };
                if path == "/token" {
                    let resp = match token::token_request(&ctx, &form, authorization.as_deref(), arrived_ms).await {
                        Ok(issued) => web::json(200, &issued),
                        Err(e) => web::oauth_error(&e),
                    }?;
                    // The grant object's own calls (the WorkOS refresh, KV), named apart from the front's.
                    let timing = timings.header("grant", js_sys::Date::now() - arrived_ms as f64);
                    resp.headers().set("Server-Timing", &timing)?;
                    Ok(resp)
                } else {
                    match crate::oauth::revocation::revoke_request(&ctx, &form, authorization.as_deref()).await {
                        Ok(_) => web::json(200, &serde_json::json!({})),
                        Err(e) => web::oauth_error(&e),
                    }
                }
            }
            _ => Response::error("not found", 404),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        // The grant has expired: nothing of it remains (KV's copy expires on its own TTL).
        self.state.storage().delete_all().await?;
        Response::ok("cleared")
    }
}
