//! `GrantGuard`: the Durable Object that keeps a person's grants (named by their partition,
//! below) and runs, one at a time and in arrival order, every operation that changes one —
//! code redemption, refresh rotation, revocation. A Durable Object is linearizable, so two exchanges of one
//! code, two uses of one refresh token, or a revocation racing a refresh meet here in a line,
//! wherever in the world they were sent from; KV (eventually consistent, no compare-and-swap)
//! only mirrors the record for the bearer check.
//!
//! The Worker calls the object's methods by Workers RPC (no HTTP request is made: no `Request`
//! or `Response` is built for the operation, and under `wrangler dev` no DevTools network events):
//! `store` is a storage operation from the Worker's [`AppStore`] (creating a grant), `change` is
//! what a WorkOS event does to the grant (revoke it, or record the user's new access), and
//! `request` runs `/token` or `/revoke` with the client's form as sent (the Worker has only read
//! it to find the grant). The runtime offers RPC on classes derived from its `DurableObject`;
//! `src/worker.mjs` makes this one so. Its `fetch` answers 404.
//!
//! One object keeps all the grants of one person: it is named by the grant ids' partition
//! ([`grant_object_name`]; a grant from before partitions has an object of its own), so a
//! person's next authorization finds their object made. Its operations run one at a time across
//! those grants, each on its grant's own record. The alarm clears the records that have reached
//! their end and is set again for the next.
//!
//! [`grant_object_name`]: crate::oauth::types::grant_object_name
//!
//! [`AppStore`]: crate::platform::grants::AppStore
use crate::context::Ctx;
use crate::ids::{ids_of, ids_text};
use crate::oauth::form::Form;
use crate::oauth::token;
use crate::oauth::workos_events;
use crate::platform::grant_changes::ChangeRequest;
use crate::platform::grants::GuardedStore;
use crate::platform::js::{self, Work};
use crate::platform::{self, fetch::FetchClient, isolate, kv::KvStore};
use crate::responses as web;
use crate::timing::Timings;
use crate::turnstile::Turnstile;
use std::rc::Rc;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use worker::worker_sys::web_sys;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

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

    async fn fetch(&self, _req: Request) -> Result<Response> {
        Response::error("not found: the grant object is called by RPC", 404)
    }

    async fn alarm(&self) -> Result<Response> {
        // A grant has reached its end: its record goes (KV's copy expires on its own TTL), in
        // the object's turn, and the alarm is set for the next end; with none left, nothing of
        // the object remains.
        let _turn = Turnstile::enter(&self.turnstile).await;
        let storage = self.state.storage();
        let now_ms = js_sys::Date::now() as u64;
        match crate::platform::grants::clear_expired(&storage, now_ms).await.map_err(worker::Error::RustError)? {
            Some(next_ms) => {
                storage.set_alarm(std::time::Duration::from_millis(next_ms.saturating_sub(now_ms))).await?
            }
            None => storage.delete_all().await?,
        }
        Response::ok("cleared")
    }
}

/// A refusal of an RPC call: the caller reads its message.
fn refused(message: impl std::fmt::Display) -> JsValue {
    js_sys::Error::new(&message.to_string()).into()
}

/// What a call needs of the object, owned: its work outlives the borrow of the object.
struct Call {
    storage: worker::Storage,
    env: Env,
    /// When the call reached the object: one that arrived before a change it lost to was
    /// concurrent with it (see `token::refresh`).
    arrived_ms: u64,
}

impl Call {
    /// The store for this call, whose WorkOS calls and KV operations are timed in `timings`.
    async fn store(self, timings: &Rc<Timings>) -> std::result::Result<GuardedStore, JsValue> {
        // The end-to-end tests' build only: while KV holds this key, every call fails, as an
        // object that cannot be reached would (what the Worker answers then is tested). Read
        // untimed: the operation's own KV reads are what `Server-Timing` reports.
        #[cfg(feature = "conformance-fixtures")]
        {
            let untimed = KvStore::bound(&self.env, Rc::default()).map_err(refused)?;
            if crate::store::Store::get(&untimed, "test:grant-object-fault").await.ok().flatten().is_some() {
                return Err(refused("the grant object failed (a test's fault)"));
            }
        }
        let kv = KvStore::bound(&self.env, timings.clone()).map_err(refused)?;
        Ok(GuardedStore { storage: self.storage, kv, now_ms: self.arrived_ms })
    }
}

impl GrantGuard {
    /// A call reaching the object now.
    fn call(&self) -> Call {
        Call { storage: self.state.storage(), env: self.env.clone(), arrived_ms: js_sys::Date::now() as u64 }
    }

    /// The promise of a call's `work`, run in the object's turn: one operation at a time, in
    /// arrival order.
    fn in_turn(&self, work: Work) -> js_sys::Promise {
        let turnstile = self.turnstile.clone();
        js::promise(Box::pin(async move {
            let _turn = Turnstile::enter(&turnstile).await;
            work.await
        }))
    }
}

/// The methods the Worker calls (see the module's comment).
#[wasm_bindgen]
impl GrantGuard {
    /// A [`StoreOp`](crate::platform::grants::StoreOp) (JSON); its result: the value read (for
    /// a creation, a value when it was made), or `null`.
    pub fn store(&self, op: String) -> js_sys::Promise {
        let call = self.call();
        self.in_turn(Box::pin(async move {
            let store = call.store(&Rc::default()).await?;
            let value = store.apply(crate::json::from_str(&op).map_err(refused)?).await.map_err(|e| refused(e.0))?;
            Ok(value.map_or(JsValue::NULL, JsValue::from))
        }))
    }

    /// A [`ChangeRequest`] (JSON); the grants changed (their ids as [`ids_text`] writes them).
    pub fn change(&self, request: String) -> js_sys::Promise {
        let call = self.call();
        self.in_turn(Box::pin(async move {
            let now = call.arrived_ms / 1000;
            let store = call.store(&Rc::default()).await?;
            let request: ChangeRequest = crate::json::from_str(&request).map_err(refused)?;
            let ChangeRequest { grant_ids, user_id, change } = &request;
            let changed = workos_events::change_grants(&store, &ids_of(grant_ids), user_id, change, now)
                .await
                .map_err(|e| refused(e.description))?;
            Ok(ids_text(&changed).into())
        }))
    }

    /// `/token` or `/revoke` (`path`) as the client sent it, for the Worker at `origin` (the
    /// issuer of the tokens): the answer for the client.
    pub fn request(
        &self,
        path: String,
        origin: String,
        content_type: Option<String>,
        authorization: Option<String>,
        body: Vec<u8>,
    ) -> js_sys::Promise {
        let (call, turnstile) = (self.call(), self.turnstile.clone());
        // The turn is taken inside, once the client's metadata document (if any) is at hand.
        js::promise(Box::pin(async move {
            let arrived_ms = call.arrived_ms;
            let env = call.env.clone();
            // The object's WorkOS calls and KV operations, for the Server-Timing of `/token`.
            let timings = Rc::new(Timings::default());
            let store = call.store(&timings).await?;
            let request = GrantRequest { path: &path, origin: &origin, content_type, authorization, body: &body };
            let answer = grant_request(&turnstile, request, &env, &store, &timings, arrived_ms);
            answer.await.map(|resp| web_sys::Response::from(resp).into()).map_err(refused)
        }))
    }
}

/// `/token` or `/revoke` as the client sent it (see [`GrantGuard::request`]).
struct GrantRequest<'a> {
    path: &'a str,
    origin: &'a str,
    content_type: Option<String>,
    authorization: Option<String>,
    body: &'a [u8],
}

/// `/token` or `/revoke` in the object: the client's metadata document readied, then the
/// operation in the object's turn.
async fn grant_request(
    turnstile: &Rc<Turnstile>,
    request: GrantRequest<'_>,
    env: &Env,
    store: &GuardedStore,
    timings: &Rc<Timings>,
    arrived_ms: u64,
) -> Result<Response> {
    let GrantRequest { path, origin, content_type, authorization, body } = request;
    let config = match platform::config(env) {
        Ok(c) => c,
        Err(e) => return Response::error(format!("configuration error: {e}"), 500),
    };
    let http = FetchClient::workos_timed(timings.clone());
    let jwks = isolate::workos_jwks();
    let org_names = isolate::org_names();
    let copies = isolate::kv_copies();
    let ctx = Ctx {
        config: &config,
        store,
        http: &http,
        jwks: &jwks,
        org_names: &org_names,
        copies: &copies,
        now: arrived_ms / 1000,
        origin,
    };
    let form = match Form::parse(content_type.as_deref(), body) {
        Ok(f) => f,
        Err(e) => return web::oauth_error(&e),
    };
    if let Err(e) = crate::oauth::client_auth::document_ready(&ctx, &form, authorization.as_deref()).await {
        return web::oauth_error(&e);
    }
    let _turn = Turnstile::enter(turnstile).await;
    if path == "/token" {
        let resp = match token::token_request(&ctx, &form, authorization.as_deref(), arrived_ms).await {
            Ok(issued) => web::json(200, &issued),
            Err(e) => web::oauth_error(&e),
        }?;
        // The grant object's own calls (the WorkOS refresh, KV), named apart from the front's.
        let timing = timings.header("grant", js_sys::Date::now() - arrived_ms as f64);
        resp.headers().set("Server-Timing", &timing)?;
        Ok(resp)
    } else if path == "/revoke" {
        match crate::oauth::revocation::revoke_request(&ctx, &form, authorization.as_deref()).await {
            Ok(_) => web::json_text(200, "{}".into()),
            Err(e) => web::oauth_error(&e),
        }
    } else {
        // Only the Worker calls this (src/platform/grants.rs), with one of the two.
        Response::error(format!("no grant operation at {path}"), 404)
    }
}
