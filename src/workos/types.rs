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
    pub fn display_name(&self) -> String { todo!() }
}

/// `POST /user_management/authenticate` 200 body (code and refresh grants).
#[derive(Debug, Clone, Deserialize)]
pub struct AuthResponse {
    pub user: User,
    #[serde(default)] pub organization_id: Option<String>,
    pub access_token: String,
    pub refresh_token: String,
    #[serde(default)] pub authentication_method: Option<String>,
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
