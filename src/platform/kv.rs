//! [`Store`] over a Workers KV namespace.
use crate::store::{Store, StoreError, KV_MIN_TTL};

pub struct KvStore(pub worker::kv::KvStore);

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

impl Store for KvStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.0.get(key).text().await.map_err(err)
    }

    async fn put(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError> {
        self.0
            .put(key, value)
            .map_err(err)?
            .expiration_ttl(ttl_secs.max(KV_MIN_TTL))
            .execute()
            .await
            .map_err(err)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(key).await.map_err(err)
    }
}
