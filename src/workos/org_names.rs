//! Organization names an isolate has already read from WorkOS. A name is only shown (consent
//! page, tools' `whoami`), so a copy up to [`FRESH_SECS`] old is good enough, and with it a
//! sign-in WorkOS scoped to an organization needs no call beyond the code exchange.

/// How long a name is used without asking WorkOS again.
pub const FRESH_SECS: u64 = 600;
/// Names an isolate keeps: a deployment serves a handful of organizations; past this many, the
/// oldest read is forgotten (a list this short is searched faster than it is hashed).
const MAX_ENTRIES: usize = 64;

#[derive(Default)]
pub struct OrgNames {
    /// (organization id, name, when it was read), oldest read first.
    entries: Vec<(String, String, u64)>,
}

impl OrgNames {
    pub fn get(&self, organization_id: &str, now: u64) -> Option<String> {
        self.entries
            .iter()
            .find(|(id, _, read_at)| id == organization_id && now < read_at.saturating_add(FRESH_SECS))
            .map(|(_, name, _)| name.clone())
    }

    pub fn remember(&mut self, organization_id: &str, name: &str, now: u64) {
        self.entries.retain(|(id, _, _)| id != organization_id);
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.remove(0);
        }
        self.entries.push((organization_id.to_string(), name.to_string(), now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_used_while_fresh_then_forgotten() {
        let mut names = OrgNames::default();
        assert_eq!(names.get("org_1", 100), None);
        names.remember("org_1", "Acme", 100);
        assert_eq!(names.get("org_1", 100 + FRESH_SECS - 1).as_deref(), Some("Acme"));
        assert_eq!(names.get("org_1", 100 + FRESH_SECS), None, "stale after FRESH_SECS");
        assert_eq!(names.get("org_2", 100), None);
        names.remember("org_1", "Acme Corp", 200);
        assert_eq!(names.get("org_1", 201).as_deref(), Some("Acme Corp"), "a newer read replaces the old");
        assert_eq!(names.entries.len(), 1);
    }

    #[test]
    fn the_cache_stays_bounded_and_forgets_the_oldest_read() {
        let mut names = OrgNames::default();
        for i in 0..MAX_ENTRIES {
            names.remember(&format!("org_{i}"), &format!("n{i}"), i as u64);
        }
        // Read again: org_0 becomes the newest.
        names.remember("org_0", "n0", 100);
        names.remember("org_new", "New", 101);
        assert_eq!(names.entries.len(), MAX_ENTRIES);
        assert_eq!(names.get("org_new", 101).as_deref(), Some("New"));
        assert_eq!(names.get("org_0", 101).as_deref(), Some("n0"));
        assert_eq!(names.get("org_1", 101), None, "the oldest read went");
        assert_eq!(names.get("org_2", 101).as_deref(), Some("n2"));
    }
}
