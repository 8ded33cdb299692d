//! A user's standing in one organization, read from WorkOS's management API: their active
//! membership, its primary role, and the permissions of all its roles. AuthKit mode reads it for
//! tokens that carry no permissions (cached in `authkit::org_access`); WorkOS events re-read it
//! when a membership or role changes.
use super::{WorkosClient, WorkosError};
use crate::outbound::HttpClient;
use serde::{Deserialize, Serialize};

/// An active member's standing in one organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgAccess {
    pub organization_name: Option<String>,
    /// The membership's primary role (its `role`).
    pub role: Option<String>,
    /// Its other roles, when it has several (see [`crate::principal::Principal::other_roles`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_roles: Vec<String>,
    /// Union of the permissions of all the member's roles, in first-seen order.
    pub permissions: Vec<String>,
    /// From the membership's `user` object, when WorkOS includes it.
    pub email: Option<String>,
    pub name: Option<String>,
}

/// Ask WorkOS: the active membership in `org_id`, then its roles' permissions.
pub async fn fetch<H: HttpClient>(
    workos: &WorkosClient<'_, H>,
    user_id: &str,
    org_id: &str,
) -> Result<Option<OrgAccess>, WorkosError> {
    let memberships = workos.list_memberships(user_id, Some(org_id)).await?;
    let Some(m) = memberships.iter().find(|m| m.organization_id == org_id && m.user_id == user_id && m.is_active())
    else {
        return Ok(None);
    };
    let slugs = m.role_slugs();
    let mut permissions: Vec<String> = Vec::new();
    for slug in &slugs {
        for p in workos.role_permissions(org_id, slug).await? {
            if !permissions.contains(&p) {
                permissions.push(p);
            }
        }
    }
    let organization_name = workos.organization_name(&m.organization_id, m.organization_name.as_deref()).await;
    // The member's email and name likewise (Connect tokens carry neither by default); only shown.
    let user = match &m.user {
        Some(user) => Some(user.clone()),
        None => workos.get_user(user_id).await.ok().filter(|u| u.id == user_id),
    };
    Ok(Some(OrgAccess {
        organization_name,
        role: m.primary_role().map(str::to_string),
        other_roles: crate::principal::other_roles(m.primary_role(), slugs.iter().copied()),
        permissions,
        email: user.as_ref().map(|u| u.email.clone()),
        name: user.as_ref().map(|u| u.display_name()),
    }))
}
