//! Registered clients an isolate has already read (or written). A registration never changes
//! once made — only its `renewed_at` moves, at most daily — so an authorization's hops
//! (`/authorize`, the sign-in's answer, the consent form) read it from KV once per isolate. A copy
//! is used for at most [`FRESH_SECS`], and never past the registration's own lifetime in KV.
use super::client::ClientRecord;
use super::registry::CLIENT_TTL;

/// How long a copy is used without reading KV again (as long as a bearer check's copy of a grant).
pub const FRESH_SECS: u64 = 60;
/// Copies an isolate keeps; past this many, the oldest read is forgotten.
const MAX_ENTRIES: usize = 64;

struct Copy {
    record: ClientRecord,
    renewed_at: u64,
    read_at: u64,
}

#[derive(Default)]
pub struct ClientCopies {
    /// Oldest read first.
    entries: Vec<Copy>,
}

impl ClientCopies {
    /// The registration of `client_id` and when it was last renewed, if a fresh copy is here.
    pub fn get(&self, client_id: &str, now: u64) -> Option<(ClientRecord, u64)> {
        self.entries
            .iter()
            .find(|c| {
                c.record.client_id.as_str() == client_id
                    && now < c.read_at.saturating_add(FRESH_SECS)
                    && now < c.renewed_at.saturating_add(CLIENT_TTL)
            })
            .map(|c| (c.record.clone(), c.renewed_at))
    }

    pub fn remember(&mut self, record: &ClientRecord, renewed_at: u64, now: u64) {
        self.entries.retain(|c| c.record.client_id != record.client_id);
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.remove(0);
        }
        self.entries.push(Copy { record: record.clone(), renewed_at, read_at: now });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> ClientRecord {
        let body = br#"{"redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"none"}"#;
        super::super::client::register(body, 0, id, "secret").unwrap().record
    }

    #[test]
    fn a_copy_is_used_for_a_minute_and_never_past_the_registrations_lifetime() {
        let mut copies = ClientCopies::default();
        assert!(copies.get("c1", 100).is_none());
        copies.remember(&record("c1"), 90, 100);
        let (got, renewed_at) = copies.get("c1", 100 + FRESH_SECS - 1).unwrap();
        assert_eq!((got, renewed_at), (record("c1"), 90));
        assert!(copies.get("c1", 100 + FRESH_SECS).is_none(), "read again after FRESH_SECS");
        assert!(copies.get("c2", 100).is_none());
        // A registration near the end of its KV lifetime: the copy ends with it.
        let end = 1_000 + CLIENT_TTL;
        copies.remember(&record("c1"), 1_000, end - 10);
        assert!(copies.get("c1", end - 1).is_some());
        assert!(copies.get("c1", end).is_none(), "KV has dropped it by now");
    }

    #[test]
    fn copies_stay_bounded_and_the_oldest_read_goes() {
        let mut copies = ClientCopies::default();
        for i in 0..MAX_ENTRIES {
            copies.remember(&record(&format!("c{i}")), 0, 10);
        }
        copies.remember(&record("c0"), 5, 11);
        copies.remember(&record("new"), 0, 12);
        assert_eq!(copies.entries.len(), MAX_ENTRIES);
        assert_eq!(copies.get("c0", 12).map(|(_, at)| at), Some(5), "a newer read replaces the old");
        assert!(copies.get("new", 12).is_some());
        assert!(copies.get("c1", 12).is_none(), "the oldest read went");
        assert!(copies.get("c2", 12).is_some());
    }
}
