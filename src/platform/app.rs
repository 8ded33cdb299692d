//! What a handler needs, built once per request from the environment: configuration, the
//! store, the WorkOS client's transport and the per-isolate caches.
use super::{fetch::FetchClient, grants::AppStore, isolate, kv::KvStore};
use crate::authkit::metadata::AuthkitMetadata;
use crate::authkit::org_access::OrgAccessCache;
use crate::authkit::AuthkitKeys;
use crate::config::Config;
use crate::context::Ctx;
use crate::copies::KvCopies;
use crate::oauth::access::GrantChecks;
use crate::timing::Timings;
use crate::workos::{JwksCache, OrgNames};
use std::cell::RefCell;
use std::rc::Rc;
use worker::Env;

pub struct App {
    pub config: Rc<Config>,
    /// KV, with grant records kept by their Durable Objects (`platform::grants`).
    pub store: AppStore,
    pub http: FetchClient,
    pub jwks: Rc<RefCell<JwksCache>>,
    pub org_names: Rc<RefCell<OrgNames>>,
    pub copies: Rc<RefCell<KvCopies>>,
    pub grant_checks: Rc<RefCell<GrantChecks>>,
    pub authkit_keys: Rc<RefCell<AuthkitKeys>>,
    pub authkit_metadata: Rc<RefCell<AuthkitMetadata>>,
    pub org_access: Rc<RefCell<OrgAccessCache>>,
    pub origin: String,
    pub now: u64,
    /// The request's outbound calls and KV operations (`Server-Timing`).
    pub timings: Rc<Timings>,
}

impl App {
    /// Configuration and bindings; a problem is named (for a page and a log line).
    /// `origin`: the server's origin for this request (see `crate::origin`).
    pub fn build(env: &Env, origin: String) -> Result<App, String> {
        let config = super::config(env).map_err(|e| e.to_string())?;
        let timings = Rc::new(Timings::default());
        let kv = KvStore::bound(env, timings.clone())?;
        Ok(App {
            config,
            store: AppStore { kv, env: env.clone(), timings: timings.clone(), mirror_first: false },
            http: FetchClient::workos_timed(timings.clone()),
            jwks: isolate::workos_jwks(),
            org_names: isolate::org_names(),
            copies: isolate::kv_copies(),
            grant_checks: isolate::grant_checks(),
            authkit_keys: isolate::authkit_keys(),
            authkit_metadata: isolate::authkit_metadata(),
            org_access: isolate::org_access(),
            origin,
            now: super::now(),
            timings,
        })
    }

    /// The request's context over the Worker's store.
    pub fn ctx(&self) -> Ctx<'_, AppStore, FetchClient> {
        self.ctx_over(&self.store)
    }

    /// The same over another store: [`AppStore::mirror_first`] for looking through many grants
    /// (the account page, WorkOS events), never for changing one.
    pub fn ctx_over<'a, S: crate::store::Store>(&'a self, store: &'a S) -> Ctx<'a, S, FetchClient> {
        Ctx {
            config: &self.config,
            store,
            http: &self.http,
            jwks: &self.jwks,
            org_names: &self.org_names,
            copies: &self.copies,
            now: self.now,
            origin: &self.origin,
        }
    }

    /// The conformance fixtures: only in a build that has them (`conformance-fixtures`), when
    /// configured, and only on a loopback origin (local development and tests), so a deployment
    /// cannot serve them even with the flag set.
    pub fn conformance_fixtures(&self) -> bool {
        cfg!(feature = "conformance-fixtures")
            && self.config.mcp_conformance_fixtures
            && crate::uri::parse(&self.origin)
                .ok()
                .and_then(|u| u.host_str().map(crate::origin::is_loopback_host))
                .unwrap_or(false)
    }
}
