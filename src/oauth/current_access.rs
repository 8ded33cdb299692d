//! What a WorkOS event reported about a grant's user (their role or its permissions changed
//! after the grant's tokens were issued), recorded on the grant.
use crate::principal::Principal;
use serde::{Deserialize, Serialize};

/// What a WorkOS event reported the user may now do (their role or its permissions changed
/// after the grant's tokens were issued). The bearer check applies it over the tokens' own
/// copy; the next refresh reads the same from WorkOS and clears it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentAccess {
    pub role: Option<String>,
    /// The membership's other roles ([`crate::principal::Principal::other_roles`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_roles: Vec<String>,
    pub permissions: Vec<String>,
    /// Unix seconds: tokens issued before then carry the old access.
    pub at: u64,
}

impl CurrentAccess {
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
