//! What a user may do in an organization, read from WorkOS's management API — for AuthKit
//! (Connect) access tokens, which by default carry `org_id` but no role or permissions
//!, so that tool gating works the same in both modes.
//!
//! Lookup: the user's membership in the organization (`GET /user_management/organization_memberships`),
//! then the permissions of each of its roles (`GET /authorization/roles/{slug}`, falling back to
//! the organization's custom role). The answer is cached twice:
//! - per isolate for [`MEMORY_SECS`] — a steady-state request makes no network call at all;
//! - in KV for [`KV_FRESH_SECS`] (key `authz:org:<org>:<user>`), shared by all isolates of a location.
//!
//! A role change in WorkOS therefore reaches tool calls within about [`KV_FRESH_SECS`] + [`MEMORY_SECS`]
//! (the lifetime of a WorkOS access token, whose permission claims are as old). While WorkOS is
//! unreachable, an answer up to [`STALE_SECS`] old, read after every event's mark, is used; with
//! none, the caller answers 503.
//! A lookup that failed is not tried again by the isolate for [`FAILURE_SECS`].
use crate::oauth::access::{marked_at, marks_of};
use crate::outbound::HttpClient;
use crate::store::{keys, Store, KV_MIN_TTL};
pub use crate::workos::access::{fetch, OrgAccess};
use crate::workos::{WorkosClient, WorkosError};
use futures_util::future::join3;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::HashMap;

/// How long an isolate trusts its own copy.
pub const MEMORY_SECS: u64 = 60;
/// How long a KV copy counts as fresh.
pub const KV_FRESH_SECS: u64 = 300;
/// How old a copy may be when WorkOS cannot be asked (also the KV entry's lifetime).
pub const STALE_SECS: u64 = 900;
/// Entries an isolate keeps (each is a few hundred bytes).
const MAX_ENTRIES: usize = 1024;
/// After a lookup failed, how long the isolate answers with that failure instead of asking WorkOS
/// again (the `Retry-After` of the caller's 503). A standing WorkOS refuses for good (a role slug
/// it knows in neither scope) would otherwise cost up to four calls per request.
pub const FAILURE_SECS: u64 = crate::oauth::access::BearerError::RETRY_AFTER_SECS;
/// Failures an isolate remembers.
const MAX_FAILURES: usize = 64;

/// A lookup result as cached: `access` is `None` when the user holds no active membership.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry {
    fetched_at: u64,
    access: Option<OrgAccess>,
}

impl Entry {
    fn younger_than(&self, secs: u64, now: u64) -> bool {
        now < self.fetched_at.saturating_add(secs)
    }
}

/// The per-isolate cache: each entry with when this isolate last checked it (its own fetch or
/// its read of KV's copy); `fetched_at` stays WorkOS's answer time, for the outage limit.
#[derive(Default)]
pub struct OrgAccessCache {
    entries: HashMap<String, (u64, Entry)>,
    /// Lookups that failed lately: the key, when, and why.
    failures: Vec<(String, u64, WorkosError)>,
    /// Whether the last lookup that found no copy to answer an outage with saw the mark of a
    /// WorkOS event about its user (or could not read it): their membership may have ended, and
    /// a token's own claims with it. Read by the caller right after that lookup.
    pub last_outage_marked: bool,
}

impl OrgAccessCache {
    fn get(&self, key: &str) -> Option<&(u64, Entry)> {
        self.entries.get(key)
    }

    fn remember(&mut self, key: String, entry: Entry, now: u64) {
        if self.entries.len() >= MAX_ENTRIES && !self.entries.contains_key(&key) {
            self.entries.retain(|_, (_, e)| e.younger_than(STALE_SECS, now));
            if self.entries.len() >= MAX_ENTRIES {
                self.entries.clear();
            }
        }
        self.entries.insert(key, (now, entry));
    }

    fn failed_lately(&self, key: &str, now: u64) -> Option<WorkosError> {
        let lately = self.failures.iter().find(|(k, at, _)| k == key && now < at + FAILURE_SECS);
        lately.map(|(_, _, e)| e.clone())
    }

    fn note_failure(&mut self, key: &str, error: &WorkosError, now: u64) {
        self.failures.retain(|(k, at, _)| k != key && now < at + FAILURE_SECS);
        if self.failures.len() >= MAX_FAILURES {
            self.failures.remove(0);
        }
        self.failures.push((key.to_string(), now, error.clone()));
    }
}

/// WorkOS could not be asked and no usable copy exists.
#[derive(Debug, Clone, PartialEq)]
pub struct Unavailable(pub WorkosError);

/// The member's standing in `org_id` (`Ok(None)`: not an active member). See the module docs
/// for the cache order. The RefCell is never borrowed across an `.await`.
pub async fn resolve<S: Store, H: HttpClient>(
    store: &S,
    workos: &WorkosClient<'_, H>,
    cache: &RefCell<OrgAccessCache>,
    user_id: &str,
    org_id: &str,
    now: u64,
) -> Result<Option<OrgAccess>, Unavailable> {
    let key = keys::org_access(org_id, user_id);
    // The hot path: a fresh entry of this isolate's, answered from inside the borrow.
    let mine = match cache.borrow().get(&key) {
        Some((checked_at, entry)) if now < checked_at.saturating_add(MEMORY_SECS) => return Ok(entry.access.clone()),
        other => other.map(|(_, entry)| entry.clone()),
    };
    // A KV failure only costs the shared copy: WorkOS is asked instead. So does a copy read from
    // WorkOS before an event about the user or one of their roles, or a deleted permission (a
    // lookup's write-back can land after the event).
    let user_mark = keys::access_changed(user_id);
    let (shared, user_changed, permission_deleted) =
        join3(store.get(&key), marked_at(store, &user_mark), marked_at(store, keys::PERMISSION_DELETED)).await;
    let user_marked = !matches!(user_changed, Ok(None));
    // The latest mark about the user (`None` inside: none; `None`: unreadable, and no copy counts).
    let latest = match (user_changed, permission_deleted) {
        (Ok(changed), Ok(deleted)) => Some(changed.max(deleted)),
        _ => None,
    };
    let shared = shared.ok().flatten().and_then(|text| crate::json::from_str::<Entry>(&text).ok());
    let shared = unmarked(store, shared, latest).await;
    if let Some(entry) = shared.as_ref().filter(|e| e.younger_than(KV_FRESH_SECS, now)) {
        cache.borrow_mut().remember(key, entry.clone(), now);
        return Ok(entry.access.clone());
    }
    // A failure of the last few seconds answers for WorkOS (requests that arrive together before
    // it is known all ask).
    let failed = cache.borrow().failed_lately(&key, now);
    let fetched = match failed {
        Some(e) => Err(e),
        None => fetch(workos, user_id, org_id).await.inspect_err(|e| cache.borrow_mut().note_failure(&key, e, now)),
    };
    match fetched {
        Ok(access) => {
            let entry = Entry { fetched_at: now, access };
            if let Ok(text) = serde_json::to_string(&entry) {
                // Best effort: without it the next isolate asks WorkOS again.
                let _ = store.put(&key, &text, STALE_SECS.max(KV_MIN_TTL)).await;
            }
            let access = entry.access.clone();
            cache.borrow_mut().remember(key, entry, now);
            Ok(access)
        }
        Err(e) => {
            // This isolate's copy stands in for WorkOS only as KV's does: read after every mark.
            let mine = unmarked(store, mine, latest).await;
            let newest = [mine, shared]
                .into_iter()
                .flatten()
                .filter(|e| e.younger_than(STALE_SECS, now))
                .max_by_key(|e| e.fetched_at);
            cache.borrow_mut().last_outage_marked = user_marked;
            newest.map(|e| e.access).ok_or(Unavailable(e))
        }
    }
}

/// `entry` if it was read from WorkOS after every mark (`latest`, as [`changed_since`] takes it;
/// `None`: the marks could not be read, and no copy counts).
async fn unmarked<S: Store>(store: &S, entry: Option<Entry>, latest: Option<Option<u64>>) -> Option<Entry> {
    match (entry, latest) {
        (Some(entry), Some(latest)) if !changed_since(store, &entry, latest).await => Some(entry),
        _ => None,
    }
}

/// Whether `entry` was read from WorkOS before the latest mark (`latest`: its user's or a deleted
/// permission's; or one of its roles'; the same second counts as before); a mark that cannot be
/// read counts as one.
async fn changed_since<S: Store>(store: &S, entry: &Entry, latest: Option<u64>) -> bool {
    let roles = entry.access.iter().flat_map(|a| a.role.iter().chain(&a.other_roles)).map(String::as_str);
    match marks_of(store, roles, latest).await {
        Ok(latest) => latest.is_some_and(|ms| ms >= entry.fetched_at * 1000),
        Err(_) => true,
    }
}

#[cfg(test)]
#[path = "org_access_tests.rs"]
mod tests;
