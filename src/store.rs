//! The KV boundary. Every key the Worker writes is built here (docs/architecture.md's KV table mirrors
//! this module), and every flow talks to a [`Store`], so flows are tested with [`MemoryStore`].
use std::cell::RefCell;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "storage error: {}", self.0)
    }
}

#[allow(async_fn_in_trait)]
pub trait Store {
    /// Where the keys that are neither a grant's nor a user's index entry live: KV behind the
    /// Worker's and the grant objects' stores (whose `get`, `put` and `delete` send such keys
    /// there anyway), or the store itself. Code that touches only such keys that way (the client
    /// registry) goes through it, and is built once for every store.
    type Shared: Store;
    fn shared(&self) -> &Self::Shared;
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// `ttl_secs` is at least 60 (KV's minimum); callers pass real lifetimes.
    async fn put(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError>;
    /// [`Self::put`], for a write that must change nothing when it fails: a code's redemption
    /// (an exchange that answered an error must leave its code redeemable). Where a record has
    /// a copy elsewhere (a grant's mirror in KV), `put` writes both at once, so a failed copy
    /// leaves the record changed behind the error; this writes the copy first.
    async fn put_or_nothing(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError> {
        self.put(key, value, ttl_secs).await
    }
    /// [`Self::put`], for a write that stands once the record holds it: a refresh's rotation.
    /// Where a record has a copy elsewhere (a grant's mirror in KV), the copy failing alone is
    /// not an error: the copy lags behind the record, as KV's copies may anyway.
    async fn put_record(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError> {
        self.put(key, value, ttl_secs).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Write `key` only if nothing is there, and with it (at the same time) the `also` entries,
    /// which live `also_ttl_secs`; false, writing nothing, when `key` is taken. Atomic where the
    /// store runs one operation at a time (a grant's object, the in-memory store); this default's
    /// read-then-write is not, so KV is never asked for a key that must not be overwritten.
    async fn put_new(
        &self,
        key: &str,
        value: &str,
        ttl_secs: u64,
        also: &[(&str, &str)],
        also_ttl_secs: u64,
    ) -> Result<bool, StoreError> {
        put_new_with(self, key, self.put(key, value, ttl_secs), also, also_ttl_secs).await
    }
    /// The first `limit` keys (in order) that start with `prefix` (KV lists are eventually
    /// consistent: a key written a moment ago elsewhere may be missing for up to a minute).
    async fn list(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StoreError>;
}

/// `put_new`'s steps with the record written by `record` (a future not started until the key is
/// found free): unless `key` is taken, the record and the `also` entries (put with
/// `also_ttl_secs`) at the same time.
pub async fn put_new_with<S: Store + ?Sized>(
    store: &S,
    key: &str,
    record: impl std::future::Future<Output = Result<(), StoreError>>,
    also: &[(&str, &str)],
    also_ttl_secs: u64,
) -> Result<bool, StoreError> {
    if store.get(key).await?.is_some() {
        return Ok(false);
    }
    let companions = async {
        for (k, v) in also {
            store.put(k, v, also_ttl_secs).await?;
        }
        Ok::<(), StoreError>(())
    };
    let (record, companions) = futures_util::future::join(record, companions).await;
    record?;
    companions?;
    Ok(true)
}

/// KV key layout — one function per kind of record.
pub mod keys {
    /// One-time sign-in state (10 minutes).
    pub fn signin_state(state: &str) -> String {
        format!("signin:state:{state}")
    }
    /// The mark that a sign-in state was used (10 minutes): a key of its own, since KV takes one
    /// write to a key per second and `/callback` often follows the state's write within one.
    pub fn signin_state_used(state: &str) -> String {
        format!("signin:used:{state}")
    }
    /// A sign-in paused for the organization picker (10 minutes; WorkOS's token sealed).
    pub fn signin_pick(id: &str) -> String {
        format!("signin:pick:{id}")
    }
    /// A browser session (the session cookie holds the id, sealed).
    pub fn session(session_id: &str) -> String {
        format!("session:{session_id}")
    }
    /// A registered OAuth client (DCR), secret hashed.
    pub fn oauth_client(client_id: &str) -> String {
        format!("oauth:client:{client_id}")
    }
    /// A cached Client ID Metadata Document, by the SHA-256 of its URL.
    pub fn oauth_client_metadata(url_hash: &str) -> String {
        format!("oauth:cimd:{url_hash}")
    }
    /// Why a Client ID Metadata Document could not be used, by the SHA-256 of its URL (1 min).
    pub fn oauth_client_metadata_failure(url_hash: &str) -> String {
        format!("oauth:cimd-failed:{url_hash}")
    }
    /// An authorization grant: code / refresh-token hashes and the sealed principal.
    pub fn oauth_grant(grant_id: &str) -> String {
        format!("{GRANT_PREFIX}{grant_id}")
    }
    const GRANT_PREFIX: &str = "oauth:grant:";
    /// The grant id of a grant key (grant records are kept by their grant's Durable Object).
    pub fn grant_id_of_key(key: &str) -> Option<&str> {
        key.strip_prefix(GRANT_PREFIX).filter(|id| !id.is_empty())
    }
    /// A user's index entry, for the account page and WorkOS's events (never read by the bearer
    /// check): `named` is a partition (a person's entry, written by their grants' object) or,
    /// for a grant from before partitions, the grant's id.
    pub fn user_grant(user_id: &str, named: &str) -> String {
        format!("{}{named}", user_grants_prefix(user_id))
    }
    pub fn user_grants_prefix(user_id: &str) -> String {
        format!("{USER_GRANTS_PREFIX}{user_id}:")
    }
    /// When the person last revoked a grant of the client on the account page (unix seconds):
    /// the approvals any of their browsers remembers for it from before then no longer stand.
    /// (`client`: a hash of the client id, which may be a 2,000-byte URL.)
    pub fn consent_withdrawn(user_id: &str, client: &str) -> String {
        format!("oauth:consent-withdrawn:{user_id}:{client}")
    }
    /// Every user's grants (a role change looks through them).
    pub const USER_GRANTS_PREFIX: &str = "oauth:user-grant:";
    /// (user id, grant id) of a [`user_grant`] key.
    pub fn user_grant_parts(key: &str) -> Option<(&str, &str)> {
        key.strip_prefix(USER_GRANTS_PREFIX)?.rsplit_once(':').filter(|(u, g)| !u.is_empty() && !g.is_empty())
    }
    /// A WorkOS event already applied (its id; a day).
    pub fn webhook_event(event_id: &str) -> String {
        format!("webhook:event:{event_id}")
    }
    /// When a WorkOS event about the user last arrived (unix ms; not an ended session's in
    /// AuthKit mode, nor one whose event names no user): the bearer check
    /// refuses the user's tokens whose standing was read before then and that the event did not
    /// reach (a grant made, or not yet listed, while it was applied). In AuthKit mode the user's
    /// older shared standings ([`org_access`]) are set aside.
    pub fn access_changed(user_id: &str) -> String {
        format!("oauth:access-changed:{user_id}")
    }
    /// When a WorkOS event last changed the role `slug`'s permissions (unix ms): the same rule
    /// for the tokens issued with that role (an environment role's slug, or an organization's),
    /// and in AuthKit mode for the shared standings that hold it.
    pub fn role_changed(slug: &str) -> String {
        format!("oauth:role-changed:{slug}")
    }
    /// When a WorkOS event last deleted a permission (unix ms; AuthKit mode): every shared
    /// standing ([`org_access`]) read from WorkOS before then is set aside.
    pub const PERMISSION_DELETED: &str = "oauth:permission-deleted";
    /// A user's role and permissions in an organization, read from WorkOS (AuthKit mode).
    pub fn org_access(org_id: &str, user_id: &str) -> String {
        format!("authz:org:{org_id}:{user_id}")
    }
}

/// KV refuses expirations under 60 s.
pub const KV_MIN_TTL: u64 = 60;

/// KV takes one write to a key per second: a second write (or delete) of the key within the
/// second is refused with 429 (Cloudflare's documented limit, which local KV does not enforce).
/// Flows do write a key again moments later (the sign-in's state is deleted when WorkOS sends
/// the browser back; a grant's KV copy is written when its code is issued and again when the code
/// is redeemed), so such a refusal is waited out: the write is tried once more after this long.
pub const SAME_KEY_RETRY_MS: u64 = 1_100;

/// Whether KV refused a write for writing the key again within the second (the runtime's message
/// names the status, e.g. "KV PUT failed: 429 Too Many Requests").
pub fn refused_same_key_write(e: &StoreError) -> bool {
    e.0.contains("429 Too Many Requests") || e.0.contains("failed: 429")
}

/// `write()`, and once more after `sleep(SAME_KEY_RETRY_MS)` when KV refused it for writing the
/// same key twice within a second; any other failure is returned at once.
pub async fn waiting_out_same_key<W, F, S, G>(write: W, sleep: S) -> Result<(), StoreError>
where
    W: Fn() -> F,
    F: std::future::Future<Output = Result<(), StoreError>>,
    S: FnOnce(u64) -> G,
    G: std::future::Future<Output = ()>,
{
    match write().await {
        Err(e) if refused_same_key_write(&e) => {
            sleep(SAME_KEY_RETRY_MS).await;
            write().await
        }
        done => done,
    }
}

/// In-memory store for native tests (ignores TTLs; tests control time explicitly).
#[derive(Default)]
pub struct MemoryStore {
    pub map: RefCell<HashMap<String, (String, u64)>>,
    /// When set, every call fails (storage-outage tests).
    pub fail: RefCell<bool>,
    /// When set, writes of keys with this prefix fail with this error ([`Self::refuse_puts`]).
    refused_puts: RefCell<Option<(String, String)>>,
    /// When set, records with this prefix have a mirror that cannot be written
    /// ([`Self::fail_mirrors`]).
    failed_mirrors: RefCell<Option<String>>,
    /// What KV's mirror still holds of a record whose mirror could not be written (`None`:
    /// nothing), read instead of the record inside [`Self::through_mirrors`].
    stale_mirrors: RefCell<HashMap<String, Option<String>>>,
    reading_mirrors: std::cell::Cell<bool>,
    /// When set, reads of keys with this prefix fail ([`Self::refuse_gets`]).
    refused_gets: RefCell<Option<String>>,
    /// How many keys `list` has answered with, all calls together.
    pub keys_listed: RefCell<usize>,
}

impl MemoryStore {
    /// From now on, reads of keys starting with `prefix` fail; everything else works.
    pub fn refuse_gets(&self, prefix: &str) {
        *self.refused_gets.borrow_mut() = Some(prefix.to_string());
    }
    /// From now on, writes of keys starting with `prefix` fail with `error` (an index that is
    /// down, KV refusing a key's second write within a second); everything else works.
    pub fn refuse_puts(&self, prefix: &str, error: &str) {
        *self.refused_puts.borrow_mut() = Some((prefix.to_string(), error.to_string()));
    }

    /// Writes work again (after [`Self::refuse_puts`] or [`Self::fail_mirrors`]).
    pub fn accept_puts(&self) {
        self.refused_puts.borrow_mut().take();
        self.failed_mirrors.borrow_mut().take();
    }

    /// From now on, records under `prefix` behave as a grant's record beside a KV mirror that
    /// cannot be written (`platform::grants`): `put` writes the record, then fails (both are
    /// written at once); `put_or_nothing` fails and writes nothing (the mirror goes first).
    pub fn fail_mirrors(&self, prefix: &str) {
        *self.failed_mirrors.borrow_mut() = Some(prefix.to_string());
    }

    /// `read()` as a reader of KV's mirrors alone sees the store (the bearer check): a record
    /// whose mirror failed reads as the mirror left it.
    pub fn through_mirrors<T>(&self, read: impl FnOnce() -> T) -> T {
        self.reading_mirrors.set(true);
        let value = read();
        self.reading_mirrors.set(false);
        value
    }

    /// The record written (unless writes are refused), and whether its mirror was too; a mirror
    /// that fails keeps what it held before its first failed write.
    fn write(&self, key: &str, value: &str, ttl_secs: u64) -> Result<bool, StoreError> {
        self.check()?;
        if let Some((_, error)) = self.refused_puts.borrow().as_ref().filter(|(prefix, _)| key.starts_with(prefix)) {
            return Err(StoreError(error.clone()));
        }
        let before = self.map.borrow_mut().insert(key.to_string(), (value.to_string(), ttl_secs.max(KV_MIN_TTL)));
        let mut stale = self.stale_mirrors.borrow_mut();
        if self.mirror_fails(key) {
            stale.entry(key.to_string()).or_insert(before.map(|(v, _)| v));
            return Ok(false);
        }
        stale.remove(key);
        Ok(true)
    }

    fn mirror_fails(&self, key: &str) -> bool {
        self.failed_mirrors.borrow().as_deref().is_some_and(|prefix| key.starts_with(prefix))
    }

    pub fn keys_with_prefix(&self, prefix: &str) -> Vec<String> {
        let mut v: Vec<String> = self.map.borrow().keys().filter(|k| k.starts_with(prefix)).cloned().collect();
        v.sort();
        v
    }
    fn check(&self) -> Result<(), StoreError> {
        if *self.fail.borrow() {
            Err(StoreError("injected failure".into()))
        } else {
            Ok(())
        }
    }
}

impl Store for MemoryStore {
    type Shared = Self;
    fn shared(&self) -> &Self {
        self
    }
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.check()?;
        if self.refused_gets.borrow().as_ref().is_some_and(|prefix| key.starts_with(prefix)) {
            return Err(StoreError("injected read failure".into()));
        }
        if let Some(mirror) = self.stale_mirrors.borrow().get(key).filter(|_| self.reading_mirrors.get()) {
            return Ok(mirror.clone());
        }
        Ok(self.map.borrow().get(key).map(|(v, _)| v.clone()))
    }
    async fn put(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError> {
        match self.write(key, value, ttl_secs)? {
            true => Ok(()),
            false => Err(StoreError("the mirror could not be written (injected)".into())),
        }
    }
    async fn put_record(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError> {
        self.write(key, value, ttl_secs).map(|_mirrored| ())
    }
    async fn put_or_nothing(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError> {
        if self.mirror_fails(key) {
            return Err(StoreError("the mirror could not be written (injected)".into()));
        }
        self.put(key, value, ttl_secs).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.check()?;
        self.map.borrow_mut().remove(key);
        self.stale_mirrors.borrow_mut().remove(key);
        Ok(())
    }
    async fn list(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        self.check()?;
        let mut keys = self.keys_with_prefix(prefix);
        keys.truncate(limit);
        *self.keys_listed.borrow_mut() += keys.len();
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_kvs_same_key_refusal_is_waited_out() {
        // What the runtime's KV binding throws for a second write of a key within the second.
        for refused in ["KV PUT failed: 429 Too Many Requests", "KV DELETE failed: 429 Too Many Requests"] {
            assert!(refused_same_key_write(&StoreError(refused.into())), "{refused}");
        }
        // Anything else fails at once, as before: an outage, a value too large, a bad key.
        for other in [
            "KV PUT failed: 500 Internal Server Error",
            "KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400.",
            "KV PUT failed: 414 UTF-8 encoded length of 600 exceeds key length limit of 512.",
            "put is not a function of the binding",
            "injected failure",
        ] {
            assert!(!refused_same_key_write(&StoreError(other.into())), "{other}");
        }
        // Waited out: more than the second the limit counts in, but not much more.
        assert!((1_000..2_000).contains(&SAME_KEY_RETRY_MS));
    }

    /// A write whose first `refusals` attempts fail with `error`; the attempts and the sleeps.
    fn attempts(refusals: usize, error: &str) -> (Result<(), StoreError>, usize, Vec<u64>) {
        let tried = RefCell::new(0);
        let slept = RefCell::new(Vec::new());
        let write = || {
            *tried.borrow_mut() += 1;
            let failed = *tried.borrow() <= refusals;
            let error = StoreError(error.to_string());
            async move {
                if failed {
                    Err(error)
                } else {
                    Ok(())
                }
            }
        };
        let sleep = |ms| {
            slept.borrow_mut().push(ms);
            async {}
        };
        let done = futures_executor::block_on(waiting_out_same_key(write, sleep));
        (done, tried.into_inner(), slept.into_inner())
    }

    #[test]
    fn a_write_refused_for_the_same_key_is_tried_once_more_a_second_later() {
        const REFUSED: &str = "KV PUT failed: 429 Too Many Requests";
        assert_eq!(attempts(0, REFUSED), (Ok(()), 1, vec![]));
        assert_eq!(attempts(1, REFUSED), (Ok(()), 2, vec![SAME_KEY_RETRY_MS]));
        // Refused again: the second refusal is the answer (no third attempt, no longer wait).
        assert_eq!(attempts(2, REFUSED), (Err(StoreError(REFUSED.into())), 2, vec![SAME_KEY_RETRY_MS]));
        // Another failure is not waited on.
        let outage = "KV PUT failed: 500 Internal Server Error";
        assert_eq!(attempts(1, outage), (Err(StoreError(outage.into())), 1, vec![]));
    }
}
