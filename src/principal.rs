//! Who is calling: the signed-in person as every layer sees them — sign-in sessions, OAuth grants
//! and access tokens, AuthKit tokens, the MCP tools. Built by `signin::resolve` (the Worker's own
//! sign-in) or `authkit::caller` (AuthKit's tokens); the tools gate on its permissions.
use crate::ids::UserId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// The caller, with the organization standing the tools are gated on.
pub struct Principal {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub organization_id: Option<String>,
    pub organization_name: Option<String>,
    pub role: Option<String>,
    /// The membership's other roles when it has several (WorkOS's multiple roles): every role
    /// slug but the primary `role`, in WorkOS's order. Empty for one role, the usual case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_roles: Vec<String>,
    pub permissions: Vec<String>,
    /// WorkOS session id (`sid`), used to end the WorkOS session at logout.
    pub workos_session_id: Option<String>,
}

impl Principal {
    /// Every role the caller holds in the organization, the primary one first.
    pub fn roles(&self) -> impl Iterator<Item = &str> {
        roles(&self.role, &self.other_roles)
    }

    /// True when the caller holds WorkOS permission `slug` (in the organization they signed in to).
    pub fn has_permission(&self, slug: &str) -> bool {
        self.permissions.iter().any(|p| p == slug)
    }

    /// What the caller's session-like state (an SSE session, an input round's `requestState`) is
    /// bound to besides the user: the MCP client (`client_id`: the Worker's own tokens name it),
    /// else the WorkOS session the token came from (an AuthKit token without `client_id`). Each
    /// kind is named, so a client id that reads like a session id is still another holder.
    pub fn bound_to(&self, client_id: Option<&str>) -> Option<String> {
        match (client_id, self.workos_session_id.as_deref()) {
            (Some(client), _) => Some(["client:", client].concat()),
            (None, Some(session)) => Some(["workos-session:", session].concat()),
            (None, None) => None,
        }
    }
}

/// A primary role and the others, the primary one first (a principal's, or what a WorkOS event
/// reported).
pub fn roles<'a>(primary: &'a Option<String>, others: &'a [String]) -> impl Iterator<Item = &'a str> {
    primary.as_deref().into_iter().chain(others.iter().map(String::as_str))
}

/// The slugs of `all` but `primary`, in order, each once: a principal's `other_roles`.
pub fn other_roles<'a>(primary: Option<&str>, all: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut others: Vec<String> = Vec::new();
    for slug in all {
        if Some(slug) != primary && !others.iter().any(|o| o == slug) {
            others.push(slug.to_string());
        }
    }
    others
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_roles_are_the_rest_in_order_once() {
        assert_eq!(other_roles(Some("admin"), ["admin"]), Vec::<String>::new());
        assert_eq!(other_roles(Some("member"), ["imager", "member", "imager", "auditor"]), ["imager", "auditor"]);
        assert_eq!(other_roles(None, ["a", "b"]), ["a", "b"]);
        let p = Principal {
            role: Some("member".into()),
            other_roles: vec!["imager".into()],
            ..crate::tools::testing::alice()
        };
        assert_eq!(p.roles().collect::<Vec<_>>(), ["member", "imager"]);
        // A token sealed before the field existed reads as holding its one role.
        let old = serde_json::to_value(crate::tools::testing::alice()).unwrap();
        assert!(old.get("other_roles").is_none(), "not written when empty");
        let read: Principal = serde_json::from_value(old).unwrap();
        assert_eq!(read.roles().collect::<Vec<_>>(), ["admin"]);
    }
}
