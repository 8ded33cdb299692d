//! What a protocol core needs from the outside world for one request: configuration, storage,
//! outbound HTTP, the isolate's caches, the clock and the Worker's own origin. Built by the
//! Worker (`app.rs`, the grant object) from its bindings and by tests from doubles.
use crate::config::Config;
use crate::copies::KvCopies;
use crate::outbound::HttpClient;
use crate::store::Store;
use crate::workos::{JwksCache, OrgNames, WorkosClient};
use std::cell::RefCell;

/// Everything a flow needs from the outside world for one request.
pub struct Ctx<'a, S: Store, H: HttpClient> {
    pub config: &'a Config,
    pub store: &'a S,
    pub http: &'a H,
    /// The per-isolate JWKS cache (never borrowed across an `.await`).
    pub jwks: &'a RefCell<JwksCache>,
    /// The per-isolate organization names (never borrowed across an `.await`).
    pub org_names: &'a RefCell<OrgNames>,
    /// The per-isolate copies of KV records that do not change, such as registered clients
    /// (never borrowed across an `.await`).
    pub copies: &'a RefCell<KvCopies>,
    /// Unix seconds.
    pub now: u64,
    /// The Worker's own origin, e.g. `https://mcp.example.com`.
    pub origin: &'a str,
}

impl<S: Store, H: HttpClient> Ctx<'_, S, H> {
    pub fn workos(&self) -> WorkosClient<'_, H> {
        WorkosClient {
            http: self.http,
            base_url: &self.config.api_base_url,
            client_id: &self.config.client_id,
            api_key: &self.config.api_key,
            now: self.now,
        }
    }

    /// This context with the store's [`Store::shared`] part.
    pub fn shared(&self) -> Ctx<'_, S::Shared, H> {
        Ctx {
            config: self.config,
            store: self.store.shared(),
            http: self.http,
            jwks: self.jwks,
            org_names: self.org_names,
            copies: self.copies,
            now: self.now,
            origin: self.origin,
        }
    }

    pub fn callback_url(&self) -> String {
        format!("{}/callback", self.origin)
    }
}
