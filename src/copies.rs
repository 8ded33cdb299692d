//! Copies an isolate keeps of what it has already read (or written), each used for at most
//! `FRESH_SECS` and never past the end the caller gives it: KV records that do not change once
//! written, such as a registered client's ([`KvCopies`]), and names read from WorkOS
//! (`workos::OrgNames`). Past `MAX_ENTRIES` copies, the oldest goes (a list this short is
//! searched faster than it is hashed).

/// Copies an isolate keeps of one kind.
const MAX_ENTRIES: usize = 64;

/// KV records that do not change once written (a registered client's: only its `renewed_at`
/// moves, at most daily), so the hops of one authorization read such a record from KV once per
/// isolate: a copy is used for a minute at most (as long as a bearer check's copy of a grant).
pub type KvCopies = Copies<60>;

#[derive(Default)]
pub struct Copies<const FRESH_SECS: u64> {
    /// (key, value, used until), oldest first.
    entries: Vec<(String, String, u64)>,
}

impl<const FRESH_SECS: u64> Copies<FRESH_SECS> {
    /// How long a copy is used without reading again, at most.
    pub const FRESH_SECS: u64 = FRESH_SECS;

    pub fn get(&self, key: &str, now: u64) -> Option<&str> {
        self.entries.iter().find(|(k, _, until)| k == key && now < *until).map(|(_, v, _)| v.as_str())
    }

    /// Keep `value` of `key` until `until` (capped at `FRESH_SECS` from `now`).
    pub fn remember(&mut self, key: &str, value: &str, until: u64, now: u64) {
        self.entries.retain(|(k, _, _)| k != key);
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.remove(0);
        }
        self.entries.push((key.to_string(), value.to_string(), until.min(now.saturating_add(FRESH_SECS))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_is_used_while_fresh_and_never_past_its_own_end() {
        let mut copies = KvCopies::default();
        let fresh = KvCopies::FRESH_SECS;
        assert_eq!(copies.get("k1", 100), None);
        copies.remember("k1", "v1", u64::MAX, 100);
        assert_eq!(copies.get("k1", 100 + fresh - 1), Some("v1"));
        assert_eq!(copies.get("k1", 100 + fresh), None, "read again after FRESH_SECS");
        assert_eq!(copies.get("k2", 100), None);
        // A record near the end of its KV lifetime: the copy ends with it.
        copies.remember("k1", "v2", 1_010, 1_000);
        assert_eq!(copies.get("k1", 1_009), Some("v2"), "a newer copy replaces the old");
        assert_eq!(copies.get("k1", 1_010), None, "KV has dropped it by now");
        assert_eq!(copies.entries.len(), 1);
    }

    #[test]
    fn copies_stay_bounded_and_the_oldest_goes() {
        let mut copies = KvCopies::default();
        for i in 0..MAX_ENTRIES {
            copies.remember(&format!("k{i}"), "v", u64::MAX, 10);
        }
        // Read again: k0 becomes the newest.
        copies.remember("k0", "again", u64::MAX, 11);
        copies.remember("new", "v", u64::MAX, 12);
        assert_eq!(copies.entries.len(), MAX_ENTRIES);
        assert_eq!(copies.get("k0", 12), Some("again"));
        assert_eq!(copies.get("new", 12), Some("v"));
        assert_eq!(copies.get("k1", 12), None, "the oldest went");
        assert_eq!(copies.get("k2", 12), Some("v"));
    }
}
