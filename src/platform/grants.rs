//! Where grant records live. Each grant's record is kept by a Durable Object (`GrantGuard`, one
//! per person: named by the grant id's partition), which is strongly consistent and runs the
//! operations that change a grant one at a time; KV holds a mirror for the bearer check, which
//! must cost no Durable Object hop. Both sides are [`Store`]s, so the protocol core does not know:
//!
//! - [`AppStore`] (the Worker): grant keys go to the grant's object, everything else to KV
//!   (looking through many grants, it reads them from KV's mirror first:
//!   [`AppStore::mirror_first`]), and a partition's grants are listed by its object;
//! - [`GuardedStore`] (inside the object): grant keys go to the object's own storage and are
//!   mirrored to KV (with the same lifetime; an alarm clears the object when the grant expires),
//!   everything else to KV (a person's index entry only when it would not outlive the grant;
//!   a partition's keys are listed from the object's storage). A new grant is not mirrored (no
//!   token names it before its code's exchange, which writes the mirror; KV takes one write to a
//!   key per second, and the exchange usually follows the approval within one).
use super::kv::KvStore;
use crate::store::{keys, put_new_with, Store, StoreError};
use crate::timing::Timings;
use futures_util::future::join;
use serde::{Deserialize, Serialize};
use std::rc::Rc;
use wasm_bindgen::JsValue;
use worker::Env;

pub const BINDING: &str = "GRANT_GUARD";

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

/// One storage operation sent to a grant's object.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreOp {
    Get {
        key: String,
    },
    Put {
        key: String,
        value: String,
        ttl: u64,
    },
    /// `put_new`: the record unless its key is taken, and with it the `also` KV entries, which
    /// live `also_ttl` (absent, from a Worker older than the field: the record's `ttl`).
    Create {
        key: String,
        value: String,
        ttl: u64,
        also: Vec<(String, String)>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        also_ttl: Option<u64>,
    },
    Delete {
        key: String,
    },
    /// The keys of the object's grant records under `prefix` (a partition's: all its grants,
    /// those still waiting for their code exchange too), one per line; at most `limit`, read
    /// no further (absent, from a Worker older than the field: all).
    List {
        prefix: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<usize>,
    },
}

/// Ready a grant's object before it is asked to create the grant (while the person reads the
/// consent page): a new object's first call is its slowest. It reads the record's key, which
/// writes nothing; sent after the answer, one timer tick later: under `wrangler dev` the runtime
/// creates a new object inside the call, in this thread, and the answer would wait for it.
pub fn warm(env: &Env, grant_id: &str, ctx: &worker::Context) {
    let (env, grant_id) = (env.clone(), grant_id.to_string());
    super::audit::Background::Request(ctx).wait_until(async move {
        let scheduler = super::js::field(&js_sys::global(), "scheduler");
        let _ = super::js::call(&scheduler, "wait", &[JsValue::from(0)]).await;
        let Ok(stub) = stub(&env, &grant_id) else { return };
        let op = JsValue::from(serialized(&StoreOp::Get { key: keys::oauth_grant(&grant_id) }));
        let _ = super::js::call(&stub, "store", &[op]).await;
    });
}

/// The object that keeps `grant_id` (its partition's: a person's grants share one), to call its
/// methods (Workers RPC; `GrantGuard`'s `#[wasm_bindgen]` methods).
pub fn stub(env: &Env, grant_id: &str) -> worker::Result<JsValue> {
    let name = crate::oauth::types::grant_object_name(grant_id);
    Ok(env.durable_object(BINDING)?.id_from_name(name)?.get_stub()?.into_rpc())
}

/// An operation's argument, as the object reads it (JSON).
pub fn serialized(value: &impl Serialize) -> String {
    // The operations are plain structs of strings and numbers: they always serialize.
    serde_json::to_string(value).unwrap_or_default()
}

/// The Worker's store: KV, with grant records kept by their objects.
pub struct AppStore {
    pub kv: KvStore,
    pub env: Env,
    /// Where the requests to grant objects are timed (`Server-Timing`).
    pub timings: Rc<Timings>,
    /// Grants are read from KV's mirror, and from their objects only when the mirror has none
    /// (see [`AppStore::mirror_first`]).
    pub mirror_first: bool,
}

impl AppStore {
    /// This store for looking through many grants (the account page, WorkOS events): a grant is
    /// read from KV's mirror (no Durable Object hop per grant), and from its object only when the
    /// mirror has none: a grant still waiting for its code exchange, or one that is gone (an
    /// index entry of its own is then dropped). Writes go where they always do.
    pub fn mirror_first(&self) -> AppStore {
        AppStore { kv: self.kv.clone(), env: self.env.clone(), timings: self.timings.clone(), mirror_first: true }
    }

    async fn object(&self, grant_id: &str, op: &StoreOp) -> Result<Option<String>, StoreError> {
        let started = js_sys::Date::now();
        let stub = stub(&self.env, grant_id).map_err(err)?;
        let answer = super::js::call(&stub, "store", &[serialized(op).into()]).await;
        self.timings.object(js_sys::Date::now() - started);
        answer.map(|a| a.as_string()).map_err(|e| {
            worker::console_warn!("grant object store call failed: {e}");
            StoreError(format!("grant object: {e}"))
        })
    }
}

impl Store for AppStore {
    type Shared = KvStore;
    fn shared(&self) -> &KvStore {
        &self.kv
    }
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let Some(id) = keys::grant_id_of_key(key) else { return self.kv.get(key).await };
        if self.mirror_first {
            if let Some(mirrored) = self.kv.get(key).await? {
                return Ok(Some(mirrored));
            }
        }
        self.object(id, &StoreOp::Get { key: key.into() }).await
    }

    async fn put(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError> {
        match keys::grant_id_of_key(key) {
            Some(id) => {
                self.object(id, &StoreOp::Put { key: key.into(), value: value.into(), ttl: ttl_secs }).await.map(|_| ())
            }
            None => self.kv.put(key, value, ttl_secs).await,
        }
    }

    /// A new grant record is created by its object, which also writes its mirror and the `also`
    /// entries once it has checked that the key is free.
    async fn put_new(
        &self,
        key: &str,
        value: &str,
        ttl_secs: u64,
        also: &[(&str, &str)],
        also_ttl_secs: u64,
    ) -> Result<bool, StoreError> {
        let Some(id) = keys::grant_id_of_key(key) else {
            return Err(StoreError(format!("put_new of {key}: only a grant's object can create without a race")));
        };
        let also = also.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let op = StoreOp::Create {
            key: key.into(),
            value: value.into(),
            ttl: ttl_secs,
            also,
            also_ttl: Some(also_ttl_secs),
        };
        Ok(self.object(id, &op).await?.is_some())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match keys::grant_id_of_key(key) {
            Some(id) => self.object(id, &StoreOp::Delete { key: key.into() }).await.map(|_| ()),
            None => self.kv.delete(key).await,
        }
    }

    /// A partition's grant keys are listed by its object (strongly consistent, and with the
    /// grants still waiting for their code exchange, which have no mirror); the rest by KV.
    async fn list(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        match partition_of(prefix) {
            Some(partition) => {
                let keys = self.object(partition, &StoreOp::List { prefix: prefix.into(), limit: Some(limit) }).await?;
                Ok(keys.unwrap_or_default().lines().take(limit).map(str::to_string).collect())
            }
            None => self.kv.list(prefix, limit).await,
        }
    }
}

/// The partition whose grants' keys `prefix` lists (`oauth:grant:<partition>`).
fn partition_of(prefix: &str) -> Option<&str> {
    let partition = keys::grant_id_of_key(prefix)?;
    crate::b64::is_url_safe(partition, crate::oauth::types::PARTITION_CHARS).then_some(partition)
}

/// The store inside a grant's object: its own storage for grant keys (mirrored to KV).
pub struct GuardedStore {
    pub storage: worker::Storage,
    pub kv: KvStore,
    /// Unix ms (records past their lifetime read as absent until the alarm clears them).
    pub now_ms: u64,
}

/// A record in the object's storage: `{value, expires_at_ms}` (a string, and the Unix ms after
/// which the record counts as gone), a plain object read and written by field name.
struct Stored {
    value: String,
    expires_at_ms: u64,
}

impl Stored {
    fn to_js(&self) -> wasm_bindgen::JsValue {
        super::js::object(&[
            ("value", self.value.as_str().into()),
            ("expires_at_ms", (self.expires_at_ms as f64).into()),
        ])
    }

    /// `None` for anything else than such an object (nothing stored is read as no record).
    fn from_js(stored: &wasm_bindgen::JsValue) -> Option<Stored> {
        let value = super::js::field(stored, "value").as_string()?;
        let expires_at_ms = super::js::field(stored, "expires_at_ms").as_f64().filter(|ms| *ms >= 0.0)? as u64;
        Some(Stored { value, expires_at_ms })
    }
}

impl GuardedStore {
    /// Run one operation sent by [`AppStore`].
    pub async fn apply(&self, op: StoreOp) -> Result<Option<String>, StoreError> {
        match op {
            StoreOp::Get { key } => self.get(&key).await,
            StoreOp::Put { key, value, ttl } => self.put(&key, &value, ttl).await.map(|()| None),
            // (In the object, one operation at a time: the check and the writes are atomic.)
            StoreOp::Create { key, value, ttl, also, also_ttl } => {
                let also: Vec<(&str, &str)> = also.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let created = self.put_new(&key, &value, ttl, &also, also_ttl.unwrap_or(ttl)).await?;
                Ok(created.then(|| "created".to_string()))
            }
            StoreOp::Delete { key } => self.delete(&key).await.map(|()| None),
            StoreOp::List { prefix, limit } => {
                self.list(&prefix, limit.unwrap_or(usize::MAX)).await.map(|keys| Some(keys.join("\n")))
            }
        }
    }

    /// A grant record, in the object's storage, and the object's alarm by its end. Only the
    /// record decides the outcome: a record written is kept, and answered as kept (a code
    /// exchange answered 503 after its record was written would read as a replay at its retry);
    /// an alarm that could not be set is logged, and the next write sets it.
    async fn keep(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError> {
        let stored = Stored { value: value.to_string(), expires_at_ms: self.now_ms + ttl_secs * 1000 };
        let (kept, alarm) = join(self.storage.put_raw(key, stored.to_js()), self.alarm_by(stored.expires_at_ms)).await;
        if alarm.is_err() {
            worker::console_warn!("grant object: its alarm could not be set; the record is kept");
        }
        kept.map_err(err)
    }

    /// The record under `key` in the object's storage, unless its lifetime is over.
    async fn live(&self, key: &str) -> Result<Option<Stored>, StoreError> {
        let read = self.storage.as_raw().get(key).map_err(super::js::message).map_err(StoreError)?;
        let stored = super::js::settled(read).await.map_err(StoreError)?;
        Ok(Stored::from_js(&stored).filter(|s| s.expires_at_ms > self.now_ms))
    }

    /// A user's index entry in KV. A person's entry finds all their grants (it names their
    /// partition), so it is written again only when it would not outlive what is asked, and then
    /// for [`INDEX_SLACK`](crate::oauth::grant::INDEX_SLACK) longer: a person's next grants
    /// within that time write nothing to KV. Until when it lives is noted beside the records
    /// (`index:<key>`, which the alarm clears with them); nothing else writes or deletes it.
    async fn index(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError> {
        let note = format!("index:{key}");
        if self.live(&note).await?.is_some_and(|n| n.expires_at_ms >= self.now_ms + ttl_secs * 1000) {
            return Ok(());
        }
        let ttl_secs = ttl_secs + crate::oauth::grant::INDEX_SLACK;
        self.kv.put(key, value, ttl_secs).await?;
        self.keep(&note, "", ttl_secs).await
    }

    /// The object's alarm at `at_ms` at the latest (see [`crate::alarm`]).
    async fn alarm_by(&self, at_ms: u64) -> Result<(), StoreError> {
        let set = super::js::call(self.storage.as_raw(), "getAlarm", &[]).await.map_err(StoreError)?;
        if !crate::alarm::needs_alarm(set.as_f64(), at_ms) {
            return Ok(());
        }
        let after = std::time::Duration::from_millis(at_ms.saturating_sub(self.now_ms));
        self.storage.set_alarm(after).await.map_err(err)
    }
}

/// The alarm's work in a grant object's `storage` (see [`crate::alarm::sweep`]): the records past
/// their end deleted; when to ring next, if anything is left.
pub async fn clear_expired(storage: &worker::Storage, now_ms: u64) -> Result<Option<u64>, String> {
    let all = js_sys::Array::from(&super::js::call(storage.as_raw(), "list", &[]).await?);
    let records = all.iter().filter_map(|entry| {
        let key = js_sys::Reflect::get_u32(&entry, 0).ok()?.as_string()?;
        let end = js_sys::Reflect::get_u32(&entry, 1).ok().as_ref().and_then(Stored::from_js).map(|s| s.expires_at_ms);
        Some((key, end))
    });
    let (expired, next) = crate::alarm::sweep(records, now_ms);
    for batch in expired.chunks(crate::alarm::DELETE_BATCH) {
        let keys: js_sys::Array = batch.iter().map(|k| JsValue::from_str(k)).collect();
        super::js::call(storage.as_raw(), "delete", &[keys.into()]).await?;
    }
    Ok(next)
}

impl Store for GuardedStore {
    type Shared = KvStore;
    fn shared(&self) -> &KvStore {
        &self.kv
    }
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        if keys::grant_id_of_key(key).is_none() {
            return self.kv.get(key).await;
        }
        Ok(self.live(key).await?.map(|s| s.value))
    }

    async fn put(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError> {
        if key.starts_with(keys::USER_GRANTS_PREFIX) {
            return self.index(key, value, ttl_secs).await;
        }
        if keys::grant_id_of_key(key).is_none() {
            return self.kv.put(key, value, ttl_secs).await;
        }
        // The record (the truth) with its alarm, and the mirror, at once; either failing fails
        // the operation, and a record written beside a failed mirror is kept. (A code's
        // redemption uses `put_or_nothing`, a refresh `put_record`.)
        let (stored, mirrored) = join(self.keep(key, value, ttl_secs), self.kv.put(key, value, ttl_secs)).await;
        stored?;
        mirrored
    }

    /// As `put`, standing on the record alone: a failed mirror (logged by KV's store) lags.
    async fn put_record(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError> {
        if keys::grant_id_of_key(key).is_none() {
            return self.put(key, value, ttl_secs).await;
        }
        join(self.keep(key, value, ttl_secs), self.kv.put(key, value, ttl_secs)).await.0
    }

    /// The mirror first, then the record, which a failure leaves as it was: the exchange's
    /// retry redeems its code (a code left marked used read as a replay and revoked the grant).
    async fn put_or_nothing(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError> {
        if keys::grant_id_of_key(key).is_none() {
            return self.put(key, value, ttl_secs).await;
        }
        self.kv.put(key, value, ttl_secs).await?;
        self.keep(key, value, ttl_secs).await
    }

    /// A new grant: its record and alarm, and the `also` entries (its user's index), but no
    /// mirror (see the module's notes). Looking through grants finds it by the index, in the
    /// object ([`AppStore::mirror_first`]).
    async fn put_new(
        &self,
        key: &str,
        value: &str,
        ttl_secs: u64,
        also: &[(&str, &str)],
        also_ttl_secs: u64,
    ) -> Result<bool, StoreError> {
        if keys::grant_id_of_key(key).is_none() {
            return Err(StoreError(format!("put_new of {key}: only grant records are created here")));
        }
        put_new_with(self, key, self.keep(key, value, ttl_secs), also, also_ttl_secs).await
    }

    /// The mirror first, then the record: if the mirror's delete fails, the record is still
    /// there and a retry (which starts from the record) deletes both. The other way round, a
    /// failed mirror delete left a copy no retry reached, and the bearer check, which reads the
    /// copy, let the grant's tokens pass. (The object runs one operation at a time.)
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        if keys::grant_id_of_key(key).is_none() {
            return self.kv.delete(key).await;
        }
        self.kv.delete(key).await?;
        self.storage.delete(key).await.map(|_| ()).map_err(err)
    }

    /// A partition's grant keys from the object's own storage (this object's grants; it reads
    /// each record with its key, so no further than `limit`); the rest from KV.
    async fn list(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        if partition_of(prefix).is_none() {
            return self.kv.list(prefix, limit).await;
        }
        let mut options = vec![("prefix", prefix.into())];
        options.extend((limit < usize::MAX).then(|| ("limit", (limit as f64).into())));
        let options = super::js::object(&options);
        let found = super::js::call(self.storage.as_raw(), "list", &[options]).await.map_err(StoreError)?;
        let keys = super::js::call(&found, "keys", &[]).await.map_err(StoreError)?;
        Ok(js_sys::Array::from(&keys).iter().filter_map(|k| k.as_string()).collect())
    }
}
