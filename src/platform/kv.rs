//! [`Store`] over a Workers KV namespace.
use crate::store::{Store, StoreError, KV_MIN_TTL};

/// The KV namespace binding (wrangler.toml).
pub const KV_BINDING: &str = "OAUTH_KV";

/// A KV namespace that counts its reads (reported in `Server-Timing`, for the benchmark).
pub struct KvStore {
    pub kv: worker::kv::KvStore,
    pub reads: std::cell::Cell<u32>,
}

impl KvStore {
    pub fn new(kv: worker::kv::KvStore) -> KvStore {
        KvStore { kv, reads: std::cell::Cell::new(0) }
    }
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

impl Store for KvStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.reads.set(self.reads.get() + 1);
        self.kv.get(key).text().await.map_err(err)
    }

    async fn put(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError> {
        self.kv.put(key, value).map_err(err)?.expiration_ttl(ttl_secs.max(KV_MIN_TTL)).execute().await.map_err(err)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.kv.delete(key).await.map_err(err)
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
