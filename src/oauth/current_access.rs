//! What a WorkOS event reported about a grant's user (their role or its permissions changed
//! after the grant's tokens' standing was read from WorkOS), recorded on the grant.
use crate::principal::Principal;
use serde::{Deserialize, Serialize};

/// What WorkOS last reported the user may do: a WorkOS event's reading (their role or its
/// permissions changed after the grant's tokens' standing was read), or the last refresh's. The
/// bearer check applies it over the copy of tokens whose standing is older; of two readings the
/// later stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentAccess {
    pub role: Option<String>,
    /// The membership's other roles ([`crate::principal::Principal::other_roles`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_roles: Vec<String>,
    pub permissions: Vec<String>,
    /// [`at_ms`](Self::at_ms) in unix seconds: all that grants written before `at_ms` was kept
    /// carry, and still written, for a version that reads only it (during a deployment).
    pub at: u64,
    /// When the event that reported it arrived, or when the refresh asked WorkOS (unix ms):
    /// tokens whose standing was read from WorkOS before then carry the old access, and of two
    /// readings the later one stands.
    /// 0 in grants written before it was kept.
    #[serde(default)]
    pub at_ms: u64,
}

impl CurrentAccess {
    /// What an event that arrived at `at_ms` (unix ms) reported.
    pub fn new(role: Option<String>, other_roles: Vec<String>, permissions: Vec<String>, at_ms: u64) -> Self {
        CurrentAccess { role, other_roles, permissions, at: at_ms / 1000, at_ms }
    }

    /// What a refresh read from WorkOS at `at_ms` (unix ms): the principal its tokens carry.
    pub fn of(principal: &Principal, at_ms: u64) -> Self {
        let p = principal;
        Self::new(p.role.clone(), p.other_roles.clone(), p.permissions.clone(), at_ms)
    }

    /// When the event arrived, in unix ms; for a grant written before that was kept, the start
    /// of its second (so a token read later in that second keeps its own, newer copy).
    pub fn dated_ms(&self) -> u64 {
        match self.at_ms {
            0 => self.at.saturating_mul(1000),
            at_ms => at_ms,
        }
    }

    /// Whether this is the reading of the event that left a mark at `mark_ms` (unix ms), or of
    /// a later one. A grant written before `at_ms` was kept (by this version or, during a
    /// deployment, by the one before) counts to the end of its second, as it did then: its
    /// tokens are not refused for a mark its own event left.
    pub fn reaches(&self, mark_ms: u64) -> bool {
        match self.at_ms {
            0 => self.at >= mark_ms / 1000,
            at_ms => at_ms >= mark_ms,
        }
    }

    /// Every role it reports, the primary one first.
    pub fn roles(&self) -> impl Iterator<Item = &str> {
        crate::principal::roles(&self.role, &self.other_roles)
    }

    /// Applied over a principal's own copy (a token's, a grant's).
    pub fn apply_to(&self, principal: &mut Principal) {
        principal.role.clone_from(&self.role);
        principal.other_roles.clone_from(&self.other_roles);
        principal.permissions.clone_from(&self.permissions);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_written_before_milliseconds_were_kept_still_read_and_are_still_readable() {
        let old: CurrentAccess = serde_json::from_str(r#"{"role":"member","permissions":[],"at":1795000002}"#).unwrap();
        assert_eq!(old.dated_ms(), 1_795_000_002_000, "the start of its second");
        let new = CurrentAccess::new(Some("admin".into()), vec![], vec![], 1_795_000_002_700);
        let written = serde_json::to_value(&new).unwrap();
        assert_eq!((written["at"].as_u64(), written["at_ms"].as_u64()), (Some(1_795_000_002), Some(1_795_000_002_700)));
        assert_eq!(new.dated_ms(), 1_795_000_002_700);
        // The mark its own event left, in that second: reached either way.
        assert!(old.reaches(1_795_000_002_500) && !old.reaches(1_795_000_003_000));
        assert!(new.reaches(1_795_000_002_700) && !new.reaches(1_795_000_002_701));
    }
}
