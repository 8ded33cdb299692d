//! WorkOS webhooks: the `WorkOS-Signature` check and the events that change someone's access.
//!
//! The header is `t=<unix ms>, v1=<hex HMAC-SHA256>`; the signed text is `<t>.<raw body>` under
//! the endpoint's secret (`WORKOS_WEBHOOK_SECRET`), as WorkOS's own SDKs verify it. A request
//! whose timestamp is more than [`TOLERANCE_MS`] away from now, or whose signature differs (in
//! constant time), is refused before its body is read as JSON.
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How far a signature's timestamp may be from now (WorkOS's SDKs allow three minutes).
pub const TOLERANCE_MS: u64 = 180_000;
/// Webhook bodies above this are refused unread (WorkOS events are a few KB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Why a delivery was refused (each is a 401; the reason goes to the log only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No header, or not `t=…, v1=…`.
    Malformed,
    /// The timestamp is too old or too far ahead (a replay, or a clock far off).
    Stale,
    /// The signature is not the secret's.
    Forged,
}

/// Check `WorkOS-Signature` for `body`, at `now_ms`.
pub fn verify(header: Option<&str>, body: &[u8], secret: &str, now_ms: u64) -> Result<(), Refusal> {
    let (t, signatures) = parse_header(header.ok_or(Refusal::Malformed)?)?;
    let at: u64 = t.parse().map_err(|_| Refusal::Malformed)?;
    if at.abs_diff(now_ms) > TOLERANCE_MS {
        return Err(Refusal::Stale);
    }
    let expected = signature(secret, t, body);
    if signatures.iter().any(|s| bool::from(s.to_ascii_lowercase().as_bytes().ct_eq(expected.as_bytes()))) {
        Ok(())
    } else {
        Err(Refusal::Forged)
    }
}

/// `t` and every `v1` of the header (a rotated secret may send two).
fn parse_header(header: &str) -> Result<(&str, Vec<&str>), Refusal> {
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) if t.is_none() && !value.is_empty() => t = Some(value),
            Some(("v1", value)) if !value.is_empty() => v1.push(value),
            Some(_) => {}
            None => return Err(Refusal::Malformed),
        }
    }
    match t {
        Some(t) if !v1.is_empty() && v1.len() <= 4 => Ok((t, v1)),
        _ => Err(Refusal::Malformed),
    }
}

/// Lowercase hex HMAC-SHA256 of `<t>.<body>`.
pub fn signature(secret: &str, t: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length; were it ever to refuse one, the empty answer matches nothing.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) else { return String::new() };
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// A delivered event: its id (WorkOS retries deliver the same id again), type and data.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    pub id: String,
    pub event: String,
    #[serde(default)]
    pub data: Value,
}

/// What an event means for access granted here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessChange {
    /// The user is gone: every grant of theirs ends.
    UserDeleted { user_id: String },
    /// The membership changed (role, status) or was deleted: re-read it (a deletion's retry may
    /// arrive after the person was added again).
    MembershipChanged { user_id: String, organization_id: String },
    /// A WorkOS session was revoked: the grants that came from it end.
    SessionRevoked { session_id: String, user_id: Option<String> },
    /// A role's permissions changed, or the role was deleted (an environment role, or one
    /// organization's custom role): its holders are re-read.
    RoleUpdated { slug: String, organization_id: Option<String> },
    /// A permission was deleted (from every role): the grants that held it are re-read.
    PermissionDeleted { slug: String },
    /// An organization was deleted (for good): every grant in it ends.
    OrganizationDeleted { organization_id: String },
    /// Nothing here depends on it.
    None,
}

impl AccessChange {
    /// The one user whose access the change is about (a role's change is about its holders).
    pub fn user(&self) -> Option<&str> {
        match self {
            AccessChange::UserDeleted { user_id }
            | AccessChange::MembershipChanged { user_id, .. }
            | AccessChange::SessionRevoked { user_id: Some(user_id), .. } => Some(user_id),
            AccessChange::SessionRevoked { user_id: None, .. }
            | AccessChange::RoleUpdated { .. }
            | AccessChange::PermissionDeleted { .. }
            | AccessChange::OrganizationDeleted { .. }
            | AccessChange::None => None,
        }
    }
}

impl Event {
    /// Parse a verified body.
    pub fn parse(body: &[u8]) -> Option<Event> {
        crate::json::from_bytes::<Event>(body).filter(|e| !e.id.is_empty() && e.id.len() <= 128)
    }

    pub fn access_change(&self) -> AccessChange {
        let text = |k: &str| self.data.get(k).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_string);
        let membership = || Some((text("user_id")?, text("organization_id")?));
        match self.event.as_str() {
            "user.deleted" => text("id").map(|user_id| AccessChange::UserDeleted { user_id }),
            "organization_membership.deleted" | "organization_membership.updated" => membership()
                .map(|(user_id, organization_id)| AccessChange::MembershipChanged { user_id, organization_id }),
            "session.revoked" => {
                text("id").map(|session_id| AccessChange::SessionRevoked { session_id, user_id: text("user_id") })
            }
            "role.updated" | "role.deleted" => {
                text("slug").map(|slug| AccessChange::RoleUpdated { slug, organization_id: None })
            }
            "organization_role.updated" | "organization_role.deleted" => {
                text("slug").map(|slug| AccessChange::RoleUpdated { slug, organization_id: text("organization_id") })
            }
            "permission.deleted" => text("slug").map(|slug| AccessChange::PermissionDeleted { slug }),
            "organization.deleted" => {
                text("id").map(|organization_id| AccessChange::OrganizationDeleted { organization_id })
            }
            _ => None,
        }
        .unwrap_or(AccessChange::None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &str = "whsec_test_0123456789";
    const NOW: u64 = 1_795_000_000_000;

    fn header(t: u64, body: &[u8], secret: &str) -> String {
        format!("t={t}, v1={}", signature(secret, &t.to_string(), body))
    }

    #[test]
    fn a_signature_of_the_secret_within_the_tolerance_passes() {
        let body = br#"{"id":"event_1","event":"user.deleted","data":{"id":"user_1"}}"#;
        assert_eq!(verify(Some(&header(NOW, body, SECRET)), body, SECRET, NOW), Ok(()));
        assert_eq!(verify(Some(&header(NOW - TOLERANCE_MS, body, SECRET)), body, SECRET, NOW), Ok(()));
        // Upper-case hex, no space after the comma, a second (rotated) v1 first.
        let sig = signature(SECRET, &NOW.to_string(), body).to_uppercase();
        assert_eq!(verify(Some(&format!("t={NOW},v1={}", "0".repeat(64) + ",v1=" + &sig)), body, SECRET, NOW), Ok(()));
    }

    #[test]
    fn anything_else_is_refused() {
        let body = br#"{"id":"event_1"}"#;
        let good = header(NOW, body, SECRET);
        assert_eq!(verify(None, body, SECRET, NOW), Err(Refusal::Malformed));
        for bad in ["", "t=1", "v1=ab", "garbage", "t=, v1=ab", "t=x, v1=ab", "t=1, v1="] {
            assert!(verify(Some(bad), body, SECRET, NOW).is_err(), "{bad}");
        }
        assert_eq!(verify(Some(&good), b"{\"id\":\"event_2\"}", SECRET, NOW), Err(Refusal::Forged), "another body");
        assert_eq!(verify(Some(&good), body, "another-secret", NOW), Err(Refusal::Forged));
        assert_eq!(verify(Some(&header(NOW - TOLERANCE_MS - 1, body, SECRET)), body, SECRET, NOW), Err(Refusal::Stale));
        assert_eq!(verify(Some(&header(NOW + TOLERANCE_MS + 1, body, SECRET)), body, SECRET, NOW), Err(Refusal::Stale));
        // Seconds instead of milliseconds: far in the past.
        assert_eq!(verify(Some(&header(NOW / 1000, body, SECRET)), body, SECRET, NOW), Err(Refusal::Stale));
    }

    #[test]
    fn events_that_change_access() {
        let e = |v: Value| Event::parse(v.to_string().as_bytes()).unwrap().access_change();
        assert_eq!(
            e(json!({"id":"event_1","event":"user.deleted","data":{"object":"user","id":"user_a"}})),
            AccessChange::UserDeleted { user_id: "user_a".into() }
        );
        let m = json!({"object":"organization_membership","id":"om_1","user_id":"user_a","organization_id":"org_1","status":"active","role":{"slug":"member"}});
        assert_eq!(
            e(json!({"id":"event_2","event":"organization_membership.deleted","data":m})),
            AccessChange::MembershipChanged { user_id: "user_a".into(), organization_id: "org_1".into() }
        );
        assert_eq!(
            e(json!({"id":"event_3","event":"organization_membership.updated","data":m})),
            AccessChange::MembershipChanged { user_id: "user_a".into(), organization_id: "org_1".into() }
        );
        assert_eq!(
            e(
                json!({"id":"event_4","event":"session.revoked","data":{"object":"session","id":"session_1","user_id":"user_a"}})
            ),
            AccessChange::SessionRevoked { session_id: "session_1".into(), user_id: Some("user_a".into()) }
        );
        assert_eq!(
            e(json!({"id":"event_5","event":"role.updated","data":{"object":"role","slug":"admin","permissions":[]}})),
            AccessChange::RoleUpdated { slug: "admin".into(), organization_id: None }
        );
        assert_eq!(
            e(
                json!({"id":"event_6","event":"organization_role.updated","data":{"slug":"ops","organization_id":"org_1"}})
            ),
            AccessChange::RoleUpdated { slug: "ops".into(), organization_id: Some("org_1".into()) }
        );
        assert_eq!(
            e(json!({"id":"event_9","event":"role.deleted","data":{"object":"role","slug":"admin"}})),
            AccessChange::RoleUpdated { slug: "admin".into(), organization_id: None }
        );
        assert_eq!(
            e(
                json!({"id":"event_10","event":"organization_role.deleted","data":{"slug":"ops","organization_id":"org_1"}})
            ),
            AccessChange::RoleUpdated { slug: "ops".into(), organization_id: Some("org_1".into()) }
        );
        assert_eq!(
            e(
                json!({"id":"event_11","event":"permission.deleted","data":{"object":"permission","slug":"image_generation"}})
            ),
            AccessChange::PermissionDeleted { slug: "image_generation".into() }
        );
        assert_eq!(
            e(json!({"id":"event_9","event":"organization.deleted","data":{"object":"organization","id":"org_1"}})),
            AccessChange::OrganizationDeleted { organization_id: "org_1".into() }
        );
        assert_eq!(e(json!({"id":"event_7","event":"user.created","data":{"id":"user_b"}})), AccessChange::None);
        assert_eq!(e(json!({"id":"event_8","event":"organization_membership.deleted","data":{}})), AccessChange::None);
        assert!(Event::parse(b"{\"event\":\"user.deleted\"}").is_none(), "an event needs its id");
        assert!(Event::parse(b"not json").is_none());
    }
}
