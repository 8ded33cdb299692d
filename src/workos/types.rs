//! Request/response shapes of the WorkOS endpoints we call (serde; unknown fields ignored).
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct User {
    pub id: String,
    pub email: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub email_verified: Option<bool>,
    #[serde(default)]
    pub profile_picture_url: Option<String>,
    /// The application's own id for this person (set by the app, or by our AuthKit bridge).
    #[serde(default)]
    pub external_id: Option<String>,
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
        if full.is_empty() {
            self.email.clone()
        } else {
            full
        }
    }
}

/// `POST /user_management/authenticate` 200 body (code and refresh grants).
/// The tokens are [`Secret`]s: they never reach a log.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthResponse {
    pub user: User,
    #[serde(default)]
    pub organization_id: Option<String>,
    pub access_token: Secret<String>,
    pub refresh_token: Secret<String>,
    #[serde(default)]
    pub authentication_method: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct RoleRef {
    pub slug: String,
}

/// An item of `GET /user_management/organization_memberships`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Membership {
    pub id: String,
    pub user_id: String,
    pub organization_id: String,
    #[serde(default)]
    pub organization_name: Option<String>,
    /// `active`, `inactive` or `pending`.
    pub status: String,
    #[serde(default)]
    pub role: Option<RoleRef>,
    /// All role slugs (multiple roles); older API versions and the emulator send only `role`.
    #[serde(default)]
    pub roles: Option<Vec<RoleRef>>,
    /// The member (the spec marks it required; the emulator leaves it out).
    #[serde(default)]
    pub user: Option<User>,
}

impl Membership {
    /// Every role slug (for the union of their permissions): `roles` when WorkOS sent them,
    /// else `role`; the primary `role` is always among them.
    pub fn role_slugs(&self) -> Vec<&str> {
        let mut slugs: Vec<&str> = self.roles.iter().flatten().map(|r| r.slug.as_str()).collect();
        if let Some(primary) = &self.role {
            if !slugs.contains(&primary.slug.as_str()) {
                slugs.insert(0, primary.slug.as_str());
            }
        }
        slugs
    }

    /// The role to show: the membership's primary `role` (WorkOS's choice among several),
    /// else the first of `roles`.
    pub fn primary_role(&self) -> Option<&str> {
        self.role.as_ref().or_else(|| self.roles.iter().flatten().next()).map(|r| r.slug.as_str())
    }

    pub fn is_active(&self) -> bool {
        self.status == "active"
    }
}

/// `GET /authorization/roles/{slug}` and `/authorization/organizations/{id}/roles/{slug}` (only
/// the fields we use; `permissions` is required by the spec).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Role {
    pub slug: String,
    pub permissions: Vec<String>,
}

/// One organization offered by `organization_selection_required`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationChoice {
    pub id: String,
    #[serde(default)]
    pub name: String,
}

/// `GET /organizations/{id}` (only the fields we use).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
}

/// What our audit event says ([`AuditEvent::request_body`] writes it in the spec's shape).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub organization_id: String,
    pub action: String,
    /// RFC 3339 / ISO-8601 UTC, e.g. `2026-11-22T10:00:00.000Z`.
    pub occurred_at: String,
    pub actor_id: String,
    pub actor_name: Option<String>,
    /// The target's type as the action's schema in the WorkOS dashboard names it (`user`, `tool`).
    pub target_type: String,
    pub target_id: String,
    pub target_name: Option<String>,
    /// Client IP (required by WorkOS).
    pub location: String,
    pub user_agent: Option<String>,
    /// The event's own metadata (string values; WorkOS allows 50 keys of ≤ 40 characters).
    pub metadata: Vec<(String, String)>,
}

impl AuditEvent {
    /// `POST /audit_logs/events`'s body (reference §5):
    /// `{organization_id, event: {action, occurred_at, version, actor, targets, context}}`.
    pub fn request_body(&self) -> Value {
        let target = |kind: &str, id: &str, name: Option<&str>| {
            let mut m = Map::new();
            m.insert("id".into(), id.into());
            m.insert("type".into(), kind.into());
            if let Some(n) = name.filter(|n| !n.is_empty()) {
                m.insert("name".into(), n.into());
            }
            Value::Object(m)
        };
        let mut context = Map::new();
        context.insert("location".into(), self.location.as_str().into());
        if let Some(agent) = self.user_agent.as_deref().filter(|a| !a.is_empty()) {
            context.insert("user_agent".into(), agent.into());
        }
        let mut event = json!({
            "action": self.action,
            "occurred_at": self.occurred_at,
            "version": 1,
            "actor": target("user", &self.actor_id, self.actor_name.as_deref()),
            "targets": [target(&self.target_type, &self.target_id, self.target_name.as_deref())],
            "context": context,
        });
        if let (false, Some(obj)) = (self.metadata.is_empty(), event.as_object_mut()) {
            // Inserted one by one: collecting into a map sorts first (a sort linked for nothing).
            let mut metadata = Map::new();
            for (k, v) in &self.metadata {
                metadata.insert(k.clone(), Value::from(v.as_str()));
            }
            obj.insert("metadata".into(), Value::Object(metadata));
        }
        json!({ "organization_id": self.organization_id, "event": event })
    }

    /// One log line for an event WorkOS did not record. WorkOS validates every event against
    /// the action's schema configured in its dashboard, and refuses one without a schema
    /// (400 `invalid_audit_log_event`): that line names the dashboard step.
    pub fn failure_log_line(&self, e: &super::WorkosError) -> String {
        let schema_refused =
            matches!(e, super::WorkosError::Api { status: 400, code: Some(c), .. } if c == "invalid_audit_log_event");
        if schema_refused {
            format!(
                "audit log event {} not recorded: WorkOS refused it (invalid_audit_log_event) — create the action \"{}\" with target type \"{}\" \
                 in the WorkOS dashboard (Audit Logs → Configuration → Create event), see README \"WorkOS dashboard\": {e}",
                self.action, self.action, self.target_type
            )
        } else {
            format!("audit log event {} for {} not recorded: {e}", self.action, self.actor_id)
        }
    }
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
            external_id: None,
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
        let json =
            r#"{"user":{"id":"u","email":"e"},"access_token":"eyJ.secret.at","refresh_token":"rt_secret_value"}"#;
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
