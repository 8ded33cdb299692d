//! Copies of KV records an isolate has already read or written, for records that do not change
//! once written (a registered client's: only its `renewed_at` moves, at most daily), so the
//! hops of one authorization read such a record from KV once per isolate. The caller says how
//! long a copy may be used: never past the record's own lifetime in KV.

/// How long a copy is used without reading KV again, at most (as long as a bearer check's copy
/// of a grant).
pub const FRESH_SECS: u64 = 60;
/// Copies an isolate keeps; past this many, the oldest goes.
const MAX_ENTRIES: usize = 64;

#[derive(Default)]
pub struct KvCopies {
    /// (key, value, used until), oldest first.
    entries: Vec<(String, String, u64)>,
}

impl KvCopies {
    pub fn get(&self, key: &str, now: u64) -> Option<&str> {
        self.entries.iter().find(|(k, _, until)| k == key && now < *until).map(|(_, v, _)| v.as_str())
    }

    /// Keep `value` of `key` until `until` (capped at [`FRESH_SECS`] from `now`).
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
    fn a_copy_is_used_for_a_minute_at_most_and_never_past_its_own_end() {
        let mut copies = KvCopies::default();
        assert_eq!(copies.get("k1", 100), None);
        copies.remember("k1", "v1", u64::MAX, 100);
        assert_eq!(copies.get("k1", 100 + FRESH_SECS - 1), Some("v1"));
        assert_eq!(copies.get("k1", 100 + FRESH_SECS), None, "read again after FRESH_SECS");
        assert_eq!(copies.get("k2", 100), None);
        // A record near the end of its KV lifetime: the copy ends with it.
        copies.remember("k1", "v2", 1_010, 1_000);
        assert_eq!(copies.get("k1", 1_009), Some("v2"), "a newer copy replaces the old");
        assert_eq!(copies.get("k1", 1_010), None, "KV has dropped it by now");
    }

    #[test]
    fn copies_stay_bounded_and_the_oldest_goes() {
        let mut copies = KvCopies::default();
        for i in 0..MAX_ENTRIES {
            copies.remember(&format!("k{i}"), "v", u64::MAX, 10);
        }
        copies.remember("k0", "again", u64::MAX, 11);
        copies.remember("new", "v", u64::MAX, 12);
        assert_eq!(copies.entries.len(), MAX_ENTRIES);
        assert_eq!(copies.get("k0", 12), Some("again"));
        assert_eq!(copies.get("new", 12), Some("v"));
        assert_eq!(copies.get("k1", 12), None, "the oldest went");
        assert_eq!(copies.get("k2", 12), Some("v"));
    }
}
