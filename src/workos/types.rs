//! Request/response shapes of the WorkOS endpoints we call (serde; unknown fields ignored).
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct User {
    pub id: String,
    pub email: String,
    #[serde(default)] pub first_name: Option<String>,
    #[serde(default)] pub last_name: Option<String>,
    #[serde(default)] pub email_verified: Option<bool>,
    #[serde(default)] pub profile_picture_url: Option<String>,
}

impl User {
    /// "First Last", or the email when WorkOS has no name.
    pub fn display_name(&self) -> String {
        let part = |p: &Option<String>| p.as_deref().map(str::trim).unwrap_or("").to_string();
        let full = [part(&self.first_name), part(&self.last_name)]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if full.is_empty() { self.email.clone() } else { full }
    }
}

/// `POST /user_management/authenticate` 200 body (code and refresh grants).
/// `Debug` is written by hand so the tokens never reach a log.
#[derive(Clone, Deserialize)]
pub struct AuthResponse {
    pub user: User,
    #[serde(default)] pub organization_id: Option<String>,
    pub access_token: String,
    pub refresh_token: String,
    #[serde(default)] pub authentication_method: Option<String>,
}

impl std::fmt::Debug for AuthResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthResponse")
            .field("user", &self.user)
            .field("organization_id", &self.organization_id)
            .field("access_token", &"[redacted]")
            .field("refresh_token", &"[redacted]")
            .field("authentication_method", &self.authentication_method)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct RoleRef { pub slug: String }

/// An item of `GET /user_management/organization_memberships`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Membership {
    pub id: String,
    pub user_id: String,
    pub organization_id: String,
    #[serde(default)] pub organization_name: Option<String>,
    /// `active`, `inactive` or `pending`.
    pub status: String,
    #[serde(default)] pub role: Option<RoleRef>,
    /// All role slugs (multiple roles); older API versions and the emulator send only `role`.
    #[serde(default)] pub roles: Option<Vec<RoleRef>>,
    /// The member (the spec marks it required; the emulator leaves it out).
    #[serde(default)] pub user: Option<User>,
}

impl Membership {
    /// Role slugs, highest priority first: `roles` when WorkOS sent them, else `role`.
    pub fn role_slugs(&self) -> Vec<&str> {
        match &self.roles {
            Some(roles) if !roles.is_empty() => roles.iter().map(|r| r.slug.as_str()).collect(),
            _ => self.role.iter().map(|r| r.slug.as_str()).collect(),
        }
    }
}

/// `GET /authorization/roles/{slug}` and `/authorization/organizations/{id}/roles/{slug}` (only
/// the fields we use). WorkOS always includes `permissions`; the emulator leaves it out.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Role {
    pub slug: String,
    #[serde(default)] pub permissions: Option<Vec<String>>,
}

/// An item of a role's permission list (`…/roles/{slug}/permissions`, the emulator's shape).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PermissionRef { pub slug: String }

/// `GET /organizations/{id}` (only the fields we use).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
}

/// What our audit event says (serialised by the client into the spec's
/// `{organization_id, event: {action, occurred_at, version, actor, targets, context}}`).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub organization_id: String,
    pub action: String,
    /// RFC 3339 / ISO-8601 UTC, e.g. `2026-11-22T10:00:00.000Z`.
    pub occurred_at: String,
    pub actor_id: String,
    pub actor_name: Option<String>,
    pub target_id: String,
    pub target_name: Option<String>,
    /// Client IP (required by WorkOS).
    pub location: String,
    pub user_agent: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(first: Option<&str>, last: Option<&str>) -> User {
        User {
            id: "user_1".into(),
            email: "a@example.com".into(),
            first_name: first.map(Into::into),
            last_name: last.map(Into::into),
            email_verified: None,
            profile_picture_url: None,
        }
    }

    #[test]
    fn display_name_prefers_names_then_email() {
        assert_eq!(user(Some("Marcelina"), Some("Davis")).display_name(), "Marcelina Davis");
        assert_eq!(user(Some("Marcelina"), None).display_name(), "Marcelina");
        assert_eq!(user(None, Some(" Davis ")).display_name(), "Davis");
        assert_eq!(user(Some("  "), Some("")).display_name(), "a@example.com");
        assert_eq!(user(None, None).display_name(), "a@example.com");
    }

    #[test]
    fn auth_response_debug_hides_tokens() {
        let json = r#"{"user":{"id":"u","email":"e"},"access_token":"eyJ.secret.at","refresh_token":"rt_secret_value"}"#;
        let auth: AuthResponse = serde_json::from_str(json).unwrap();
        let shown = format!("{auth:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn parses_the_reference_user_and_ignores_unknown_fields() {
        let json = r#"{"object":"user","id":"user_01E4ZCR3C56J083X43JQXF3JK5","email":"marcelina.davis@example.com",
            "email_verified":true,"first_name":"Marcelina","last_name":null,"profile_picture_url":null,
            "metadata":{"department":"Engineering"},"created_at":"2026-01-15T12:00:00.000Z"}"#;
        let u: User = serde_json::from_str(json).unwrap();
        assert_eq!(u.last_name, None);
        assert_eq!(u.email_verified, Some(true));
        assert_eq!(u.display_name(), "Marcelina");
    }
}
