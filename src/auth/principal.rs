//! The caller behind a verified AuthKit token, as the tools see it (the same [`Principal`] as in
//! the Worker's own mode). What the token says wins; what it leaves out (Connect tokens carry
//! `org_id` but, by default, no role, permissions, email or name) comes from WorkOS's
//! management API through [`super::org_access`].
use super::authkit::AuthkitClaims;
use super::org_access::{self, OrgAccess, OrgAccessCache, Unavailable};
use crate::http::HttpClient;
use crate::signin::Principal;
use crate::store::Store;
use crate::workos::WorkosClient;
use std::cell::RefCell;

/// `claims` plus, when it names an organization, the user's standing there. Fails only when
/// the token carries no permissions and WorkOS cannot be asked (no copy either): a caller
/// must not be shown as permission-less because of an outage.
pub async fn resolve<S: Store, H: HttpClient>(
    claims: AuthkitClaims,
    store: &S,
    workos: &WorkosClient<'_, H>,
    cache: &RefCell<OrgAccessCache>,
    now: u64,
) -> Result<Principal, Unavailable> {
    let Some(org_id) = claims.org_id.clone() else {
        return Ok(combine(claims, None));
    };
    match org_access::resolve(store, workos, cache, &claims.sub, &org_id, now).await {
        Ok(access) => Ok(combine(claims, Some(access))),
        // The token's own permissions still hold; only the organization's name is missing.
        Err(_) if claims.permissions.is_some() => Ok(combine(claims, None)),
        Err(e) => Err(e),
    }
}

/// `lookup`: `None` when not looked up, `Some(None)` when the user is not an active member.
pub fn combine(claims: AuthkitClaims, lookup: Option<Option<OrgAccess>>) -> Principal {
    let access = lookup.flatten();
    let from_access = |f: fn(&OrgAccess) -> Option<String>| access.as_ref().and_then(f);
    let email = claims.email.clone().or_else(|| from_access(|a| a.email.clone()));
    let name = claims.name.clone().or_else(|| from_access(|a| a.name.clone())).filter(|n| !n.trim().is_empty());
    Principal {
        name: name.or_else(|| email.clone()).unwrap_or_else(|| claims.sub.clone()),
        email: email.unwrap_or_default(),
        user_id: claims.sub,
        organization_name: from_access(|a| a.organization_name.clone()),
        organization_id: claims.org_id,
        role: claims.role.or_else(|| claims.roles.first().cloned()).or_else(|| from_access(|a| a.role.clone())),
        permissions: claims.permissions.or_else(|| access.map(|a| a.permissions)).unwrap_or_default(),
        workos_session_id: claims.sid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> AuthkitClaims {
        AuthkitClaims {
            sub: "user_01ALICE".into(),
            sid: Some("app_consent_1".into()),
            org_id: Some("org_01ACME".into()),
            role: None,
            roles: vec![],
            permissions: None,
            email: None,
            name: None,
            client_id: Some("client_1".into()),
            scope: Some("openid profile email offline_access".into()),
            expires_at: 2_000_000_000,
        }
    }

    fn access() -> OrgAccess {
        OrgAccess {
            organization_name: Some("Acme".into()),
            role: Some("admin".into()),
            permissions: vec!["image_generation".into()],
            email: Some("alice@example.com".into()),
            name: Some("Alice Liddell".into()),
        }
    }

    #[test]
    fn a_connect_token_without_permissions_takes_them_from_the_membership() {
        let p = combine(claims(), Some(Some(access())));
        assert_eq!(p.permissions, vec!["image_generation"]);
        assert_eq!(p.role.as_deref(), Some("admin"));
        assert_eq!(p.organization_id.as_deref(), Some("org_01ACME"));
        assert_eq!(p.organization_name.as_deref(), Some("Acme"));
        assert_eq!((p.email.as_str(), p.name.as_str()), ("alice@example.com", "Alice Liddell"));
        assert_eq!(p.workos_session_id.as_deref(), Some("app_consent_1"));
    }

    #[test]
    fn what_the_token_says_wins() {
        let mut c = claims();
        c.permissions = Some(vec![]);
        c.role = Some("member".into());
        c.email = Some("token@example.com".into());
        c.name = Some("Token Name".into());
        let p = combine(c, Some(Some(access())));
        assert!(p.permissions.is_empty(), "an explicit empty list is not filled in");
        assert_eq!(p.role.as_deref(), Some("member"));
        assert_eq!((p.email.as_str(), p.name.as_str()), ("token@example.com", "Token Name"));
        assert_eq!(p.organization_name.as_deref(), Some("Acme"));
    }

    #[test]
    fn the_first_of_roles_serves_when_role_is_absent() {
        let mut c = claims();
        c.roles = vec!["editor".into(), "member".into()];
        assert_eq!(combine(c, Some(Some(access()))).role.as_deref(), Some("editor"));
    }

    #[test]
    fn a_non_member_has_no_permissions_or_role() {
        let p = combine(claims(), Some(None));
        assert!(p.permissions.is_empty());
        assert_eq!((p.role, p.organization_name), (None, None));
        assert_eq!(p.name, "user_01ALICE", "with no email or name, the subject");
        assert_eq!(p.email, "");
    }

    #[test]
    fn without_an_organization_nothing_is_looked_up() {
        let mut c = claims();
        c.org_id = None;
        let p = combine(c, None);
        assert!(p.permissions.is_empty() && p.organization_id.is_none());
    }

    #[test]
    fn a_blank_name_falls_back_to_the_email() {
        let mut a = access();
        a.name = Some(" ".into());
        assert_eq!(combine(claims(), Some(Some(a))).name, "alice@example.com");
    }

    fn resolve_during_outage(c: AuthkitClaims) -> (Result<Principal, Unavailable>, usize) {
        use crate::testing::{json_response, ScriptedHttp};
        let http = ScriptedHttp::new(|_: &crate::http::HttpRequest| Ok(json_response(503, serde_json::json!({}))));
        let workos = WorkosClient { http: &http, base_url: "https://api.workos.test", client_id: "client_1", api_key: "sk_test_1", now: 0 };
        let store = crate::store::MemoryStore::default();
        let cache = RefCell::new(OrgAccessCache::default());
        let out = futures_executor::block_on(resolve(c, &store, &workos, &cache, 1_800_000_000));
        let calls = http.requests.borrow().len();
        (out, calls)
    }

    #[test]
    fn an_outage_refuses_a_token_without_permissions_rather_than_strip_them() {
        let (out, calls) = resolve_during_outage(claims());
        assert!(out.is_err());
        assert_eq!(calls, 2, "the membership lookup and its one retry");
    }

    #[test]
    fn an_outage_does_not_stop_a_token_that_carries_its_permissions() {
        let mut c = claims();
        c.permissions = Some(vec!["image_generation".into()]);
        let p = resolve_during_outage(c).0.expect("the token's permissions hold");
        assert_eq!((p.permissions, p.organization_name), (vec!["image_generation".to_string()], None));
    }

    #[test]
    fn a_token_without_an_organization_makes_no_call() {
        let mut c = claims();
        c.org_id = None;
        let (out, calls) = resolve_during_outage(c);
        assert!(out.is_ok());
        assert_eq!(calls, 0);
    }
}
