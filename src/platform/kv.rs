//! [`Store`] over a Workers KV namespace, called on the binding's own object
//! (`get`, `put`, `delete`, `list`; see `super::js`).
use super::js;
use crate::store::{waiting_out_same_key, Store, StoreError, KV_MIN_TTL};
use crate::timing::Timings;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};

/// The KV namespace binding (wrangler.toml).
pub const KV_BINDING: &str = "OAUTH_KV";

/// A KV namespace that counts and times its operations (reported in `Server-Timing`).
#[derive(Clone)]
pub struct KvStore {
    namespace: JsValue,
    pub timings: Rc<Timings>,
}

impl KvStore {
    /// The namespace bound as [`KV_BINDING`], or the problem named when the binding is missing.
    pub fn bound(env: &worker::Env, timings: Rc<Timings>) -> Result<KvStore, String> {
        match js::binding(env, KV_BINDING) {
            Some(namespace) => Ok(KvStore { namespace, timings }),
            None => Err(format!("the KV namespace binding {KV_BINDING} is missing (see wrangler.toml)")),
        }
    }

    /// `namespace.method(...args)`, timed as a read or a write.
    /// A failure is logged here with KV's own words (the key is not: it can name a grant); the
    /// answer tells the client only that storage is unavailable.
    async fn call(&self, write: bool, method: &str, args: &[JsValue]) -> Result<JsValue, StoreError> {
        self.timed_op(write, js::call(&self.namespace, method, args)).await.map_err(|e| {
            worker::console_warn!("KV {method} failed: {e}");
            StoreError(e)
        })
    }

    /// A write (`put`, `delete`), tried once more a second later when KV refused it for writing
    /// the same key twice within a second (see [`crate::store::SAME_KEY_RETRY_MS`]).
    async fn write(&self, method: &str, args: &[JsValue]) -> Result<(), StoreError> {
        let write = || async { self.call(true, method, args).await.map(drop) };
        waiting_out_same_key(write, |ms| worker::Delay::from(std::time::Duration::from_millis(ms))).await
    }

    /// `op`, timed as a read or a write.
    async fn timed_op<T>(&self, write: bool, op: impl std::future::Future<Output = T>) -> T {
        let started = js_sys::Date::now();
        let out = op.await;
        self.timings.kv(write, js_sys::Date::now() - started);
        out
    }
}

impl Store for KvStore {
    type Shared = Self;
    fn shared(&self) -> &Self {
        self
    }
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.call(false, "get", &[key.into()]).await?.as_string())
    }

    async fn put(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError> {
        let options = js::object(&[("expirationTtl", (ttl_secs.max(KV_MIN_TTL) as f64).into())]);
        self.write("put", &[key.into(), value.into(), options]).await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.write("delete", &[key.into()]).await
    }

    /// The first `limit` key names under `prefix`, page by page (`{keys: [{name}], list_complete,
    /// cursor}`; KV's pages hold 1,000), no page asked for once `limit` are in hand.
    async fn list(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let mut names = Vec::new();
        let mut cursor: Option<String> = None;
        while names.len() < limit {
            let mut options = vec![("prefix", JsValue::from_str(prefix))];
            options.extend(cursor.take().map(|c| ("cursor", JsValue::from(c))));
            let page = self.call(false, "list", &[js::object(&options)]).await?;
            let keys = js::field(&page, "keys");
            let keys = keys.dyn_ref::<js_sys::Array>().ok_or_else(|| StoreError("KV list answered no keys".into()))?;
            names.extend(keys.iter().filter_map(|k| js::field(&k, "name").as_string()));
            match js::field(&page, "cursor").as_string() {
                Some(c) if js::field(&page, "list_complete").as_bool() == Some(false) && !c.is_empty() => {
                    cursor = Some(c)
                }
                _ => break,
            }
        }
        names.truncate(limit);
        Ok(names)
    }
}
