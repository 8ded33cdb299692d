//! [`Store`] over a Workers KV namespace.
use crate::store::{Store, StoreError, KV_MIN_TTL};
use crate::timing::Timings;
use std::rc::Rc;

/// The KV namespace binding (wrangler.toml).
pub const KV_BINDING: &str = "OAUTH_KV";

/// A KV namespace that counts and times its operations (reported in `Server-Timing`).
pub struct KvStore {
    pub kv: worker::kv::KvStore,
    pub timings: Rc<Timings>,
}

impl KvStore {
    pub fn new(kv: worker::kv::KvStore) -> KvStore {
        KvStore::timed(kv, Rc::default())
    }

    pub fn timed(kv: worker::kv::KvStore, timings: Rc<Timings>) -> KvStore {
        KvStore { kv, timings }
    }

    /// `op`, timed as a read or a write.
    async fn timed_op<T>(&self, write: bool, op: impl std::future::Future<Output = T>) -> T {
        let started = js_sys::Date::now();
        let out = op.await;
        self.timings.kv(write, js_sys::Date::now() - started);
        out
    }
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

impl Store for KvStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.timed_op(false, async { self.kv.get(key).text().await.map_err(err) }).await
    }

    async fn put(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError> {
        // As bytes: the same stored value, and `put`'s generic path would bring serde_wasm_bindgen
        // and float formatting into the Wasm for a string.
        let put = self.kv.put_bytes(key, value.as_bytes()).map_err(err)?.expiration_ttl(ttl_secs.max(KV_MIN_TTL));
        self.timed_op(true, async { put.execute().await.map_err(err) }).await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.timed_op(true, async { self.kv.delete(key).await.map_err(err) }).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let mut names = Vec::new();
        let mut cursor = None;
        loop {
            let mut request = self.kv.list().prefix(prefix.to_string());
            if let Some(c) = cursor.take() {
                request = request.cursor(c);
            }
            let page = request.execute().await.map_err(err)?;
            names.extend(page.keys.into_iter().map(|k| k.name));
            match page.cursor.filter(|c| !page.list_complete && !c.is_empty()) {
                Some(c) => cursor = Some(c),
                None => return Ok(names),
            }
        }
    }
}
