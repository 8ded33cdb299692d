//! Organization names an isolate has already read from WorkOS. A name is only shown (consent
//! page, tools' `whoami`), so a copy up to [`FRESH_SECS`] old is good enough, and with it a
//! sign-in WorkOS scoped to an organization needs no call beyond the code exchange.

/// How long a name is used without asking WorkOS again.
pub const FRESH_SECS: u64 = 600;

/// Names by organization id (at most 64, the oldest read forgotten first: see `crate::copies`).
pub type OrgNames = crate::copies::Copies<FRESH_SECS>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_used_for_ten_minutes_then_read_again() {
        let mut names = OrgNames::default();
        names.remember("org_1", "Acme", u64::MAX, 100);
        assert_eq!(names.get("org_1", 100 + FRESH_SECS - 1), Some("Acme"));
        assert_eq!(names.get("org_1", 100 + FRESH_SECS), None, "stale after FRESH_SECS");
        names.remember("org_1", "Acme Corp", u64::MAX, 200);
        assert_eq!(names.get("org_1", 201), Some("Acme Corp"), "a newer read replaces the old");
    }
}
