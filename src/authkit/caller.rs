//! The caller behind a verified AuthKit token, as the tools see it (the same [`Principal`] as in
//! the Worker's own mode). What the token says wins; what it leaves out (Connect tokens carry
//! `org_id` but, by default, no role, permissions, email or name) comes from WorkOS's
//! management API through [`super::org_access`].
use super::org_access::{self, OrgAccess, OrgAccessCache, Unavailable};
use super::shared::SharedKeys;
use super::tokens::{verify_token, AuthkitClaims, AuthkitKeys, AuthkitTokenError, Expectations};
use crate::context::Ctx;
use crate::oauth::access::{bearer_token, BearerError};
use crate::oauth::metadata::resource_suffix;
use crate::outbound::HttpClient;
use crate::principal::{other_roles, Principal};
use crate::store::Store;
use crate::workos::WorkosClient;
use std::cell::RefCell;

/// A refused bearer token: what the client is told, and what only the log hears (never token
/// contents).
#[derive(Debug, Clone, PartialEq)]
pub struct Denied {
    pub error: BearerError,
    pub log: Option<String>,
}

impl From<BearerError> for Denied {
    fn from(error: BearerError) -> Denied {
        Denied { error, log: None }
    }
}

/// The per-isolate state an AuthKit bearer check uses.
pub struct AuthkitCaches<'a, C: SharedKeys> {
    /// The JWKS copy shared between isolates (the Worker: the Cache API).
    pub shared: &'a C,
    pub keys: &'a RefCell<AuthkitKeys>,
    pub org_access: &'a RefCell<OrgAccessCache>,
}

/// AuthKit mode's bearer check for a request to `path`: the token must be an AuthKit access
/// token for this server — `iss` the AuthKit domain, `aud` this server's origin, the resource
/// the endpoint belongs to (`…/mcp`, `…/sse`) or the configured audience (WorkOS's default when
/// no Resource Indicator is configured) — and then its caller is [`resolve`]d. With the caller,
/// the client the token was issued to (its `client_id` claim): an SSE session is bound to it,
/// and the audit log names it.
pub async fn authenticate<S: Store, H: HttpClient, C: SharedKeys>(
    ctx: &Ctx<'_, S, H>,
    caches: &AuthkitCaches<'_, C>,
    issuer: &str,
    audience: Option<&str>,
    authorization: Option<&str>,
    path: &str,
) -> Result<(Principal, Option<String>), Denied> {
    let token = bearer_token(authorization).ok_or(BearerError::Missing)?;
    let mut audiences = vec![ctx.origin.to_string(), format!("{}{}", ctx.origin, resource_suffix(path))];
    audiences.extend(audience.map(str::to_string));
    let expect = Expectations { issuer, audiences: &audiences };
    let jwks_url = format!("{issuer}/oauth2/jwks");
    let claims =
        verify_token(ctx.http, caches.shared, caches.keys, &jwks_url, token, &expect, ctx.now).await.map_err(|e| {
            let error = match e {
                AuthkitTokenError::JwksUnavailable(_) | AuthkitTokenError::NoKeys => BearerError::Unavailable,
                _ => BearerError::Invalid,
            };
            Denied { error, log: Some(format!("authkit token refused: {e}")) }
        })?;
    let required = ctx.config.organization_id.as_deref();
    let client_id = claims.client_id.clone();
    let principal = resolve(claims, required, ctx.store, &ctx.workos(), caches.org_access, ctx.now).await;
    principal.map(|p| (p, client_id)).map_err(|e| match e {
        Refused::Unavailable(e) => Denied {
            error: BearerError::Unavailable,
            log: Some(format!("organization lookup failed and no copy is cached: {}", e.0)),
        },
        Refused::OutsideOrganization => BearerError::OutsideOrganization.into(),
    })
}

/// Why a verified AuthKit token does not make a caller.
#[derive(Debug, Clone, PartialEq)]
pub enum Refused {
    /// WorkOS could not be asked and no copy exists.
    Unavailable(Unavailable),
    /// `WORKOS_ORGANIZATION_ID` is set and the token is for another organization (or none), or
    /// the user is not an active member of it.
    OutsideOrganization,
}

/// `claims` plus, when it names an organization, the user's standing there. Without a
/// required organization it fails only when the token carries no permissions and WorkOS cannot
/// be asked (no copy either): a caller must not be shown as permission-less because of an
/// outage. With `required_org` (`WORKOS_ORGANIZATION_ID`) the token's `org_id` must be it and
/// the user an active member there — checked, not taken from the token.
pub async fn resolve<S: Store, H: HttpClient>(
    claims: AuthkitClaims,
    required_org: Option<&str>,
    store: &S,
    workos: &WorkosClient<'_, H>,
    cache: &RefCell<OrgAccessCache>,
    now: u64,
) -> Result<Principal, Refused> {
    let Some(org_id) = claims.org_id.clone() else {
        return match required_org {
            Some(_) => Err(Refused::OutsideOrganization),
            None => Ok(combine(claims, None)),
        };
    };
    if required_org.is_some_and(|r| r != org_id) {
        return Err(Refused::OutsideOrganization);
    }
    match org_access::resolve(store, workos, cache, &claims.sub, &org_id, now).await {
        Ok(None) if required_org.is_some() => Err(Refused::OutsideOrganization),
        Ok(access) => Ok(combine(claims, Some(access))),
        // The token's own permissions still hold (only the organization's name is missing),
        // unless a WorkOS event about the user left a mark (their removal, say): an outage does
        // not outlast an event.
        Err(_) if claims.permissions.is_some() && required_org.is_none() && !cache.borrow().last_outage_marked => {
            Ok(combine(claims, None))
        }
        Err(e) => Err(Refused::Unavailable(e)),
    }
}

/// `lookup`: `None` when not looked up, `Some(None)` when the user is not an active member —
/// then no role and no permissions, whatever the token still says (it was issued before the
/// person left the organization or was deactivated there).
pub fn combine(claims: AuthkitClaims, lookup: Option<Option<OrgAccess>>) -> Principal {
    let member = !matches!(lookup, Some(None));
    let access = lookup.flatten();
    let from_access = |f: fn(&OrgAccess) -> Option<String>| access.as_ref().and_then(f);
    let email = claims.email.clone().or_else(|| from_access(|a| a.email.clone()));
    let name = claims.name.clone().or_else(|| from_access(|a| a.name.clone())).filter(|n| !n.trim().is_empty());
    // The primary role: the token's `role`, else the membership's, else the first of `roles`.
    // (A non-member has no membership to read: only the token's claims are set aside.)
    let role = claims
        .role
        .clone()
        .or_else(|| from_access(|a| a.role.clone()))
        .or_else(|| claims.roles.first().cloned())
        .filter(|_| member);
    // The others: the token's `roles`, else the membership's.
    let other_roles = match (&access, claims.roles.is_empty()) {
        _ if !member => Vec::new(),
        (Some(a), true) => other_roles(role.as_deref(), a.role.iter().chain(&a.other_roles).map(String::as_str)),
        _ => other_roles(role.as_deref(), claims.roles.iter().map(String::as_str)),
    };
    Principal {
        name: name.or_else(|| email.clone()).unwrap_or_else(|| claims.sub.clone()),
        email: email.unwrap_or_default(),
        user_id: claims.sub.into(),
        organization_name: from_access(|a| a.organization_name.clone()),
        organization_id: claims.org_id,
        role,
        other_roles,
        permissions: claims
            .permissions
            .filter(|_| member)
            .or_else(|| access.map(|a| a.permissions))
            .unwrap_or_default(),
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
            other_roles: vec![],
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
    fn the_role_shown_is_the_primary_one() {
        let mut c = claims();
        c.roles = vec!["editor".into(), "member".into()];
        assert_eq!(
            combine(c.clone(), Some(Some(access()))).role.as_deref(),
            Some("admin"),
            "the membership's primary role, not roles[0]"
        );
        assert_eq!(
            combine(c.clone(), None).role.as_deref(),
            Some("editor"),
            "the first of roles serves when nothing else says"
        );
        // The others: the token's `roles` but the primary one, else the membership's.
        assert_eq!(combine(c.clone(), Some(Some(access()))).other_roles, ["editor", "member"]);
        assert_eq!(combine(c.clone(), None).other_roles, ["member"]);
        let (mut several, mut bare) = (access(), claims());
        several.other_roles = vec!["imager".into()];
        bare.roles = vec![];
        assert_eq!(combine(bare, Some(Some(several))).roles().collect::<Vec<_>>(), ["admin", "imager"]);
        assert!(combine(c, Some(None)).other_roles.is_empty(), "a non-member holds none");
    }

    #[test]
    fn a_non_member_has_no_permissions_or_role() {
        let p = combine(claims(), Some(None));
        assert!(p.permissions.is_empty());
        assert_eq!((p.role, p.organization_name), (None, None));
        assert_eq!(p.name, "user_01ALICE", "with no email or name, the subject");
        assert_eq!(p.email, "");
        // A token issued before the person left still names their role and permissions.
        let mut c = claims();
        c.permissions = Some(vec!["image_generation".into()]);
        c.role = Some("admin".into());
        c.roles = vec!["admin".into()];
        let p = combine(c, Some(None));
        assert!(p.permissions.is_empty(), "the token's list does not outlive the membership");
        assert_eq!(p.role, None);
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

    fn resolve_during_outage(c: AuthkitClaims) -> (Result<Principal, Refused>, usize) {
        resolve_with(c, None, 503, serde_json::json!({}))
    }

    /// `resolve` against a WorkOS that answers every call with `status` and `body`.
    fn resolve_with(
        c: AuthkitClaims,
        required: Option<&str>,
        status: u16,
        body: serde_json::Value,
    ) -> (Result<Principal, Refused>, usize) {
        resolve_in(crate::store::MemoryStore::default(), c, required, status, body)
    }

    /// The same, with KV as `store` holds it.
    fn resolve_in(
        store: crate::store::MemoryStore,
        c: AuthkitClaims,
        required: Option<&str>,
        status: u16,
        body: serde_json::Value,
    ) -> (Result<Principal, Refused>, usize) {
        use crate::testing::{json_response, ScriptedHttp};
        let http = ScriptedHttp::new(move |_: &crate::outbound::HttpRequest| Ok(json_response(status, body.clone())));
        let workos = WorkosClient {
            http: &http,
            base_url: "https://api.workos.test",
            client_id: "client_1",
            api_key: "sk_test_1",
            now: 0,
        };
        let cache = RefCell::new(OrgAccessCache::default());
        let out = futures_executor::block_on(resolve(c, required, &store, &workos, &cache, 1_800_000_000));
        let calls = http.requests.borrow().len();
        (out, calls)
    }

    #[test]
    fn with_a_required_organization_only_its_active_members_get_in() {
        let acme = Some("org_01ACME");
        // A token for another organization, or for none: refused before any lookup, whatever it carries.
        for org in [Some("org_01OTHER"), None] {
            let mut c = claims();
            c.org_id = org.map(str::to_string);
            c.permissions = Some(vec!["image_generation".into()]);
            let (out, calls) = resolve_with(c, acme, 200, serde_json::json!({}));
            assert_eq!(out.unwrap_err(), Refused::OutsideOrganization, "{org:?}");
            assert_eq!(calls, 0);
        }
        // The right organization but no active membership there (even with permissions in the token).
        let mut c = claims();
        c.permissions = Some(vec!["image_generation".into()]);
        let none = serde_json::json!({"object":"list","data":[],"list_metadata":{"before":null,"after":null}});
        assert_eq!(resolve_with(c, acme, 200, none).0.unwrap_err(), Refused::OutsideOrganization);
        // During an outage the membership cannot be checked: 503, not a guess.
        let mut c = claims();
        c.permissions = Some(vec!["image_generation".into()]);
        assert!(matches!(resolve_with(c, acme, 503, serde_json::json!({})).0, Err(Refused::Unavailable(_))));
    }

    #[test]
    fn an_outage_refuses_a_token_without_permissions_rather_than_strip_them() {
        let (out, calls) = resolve_during_outage(claims());
        assert!(matches!(out, Err(Refused::Unavailable(_))), "{out:?}");
        assert_eq!(calls, 2, "the membership lookup and its one retry");
    }

    #[test]
    fn an_outage_does_not_stop_a_token_that_carries_its_permissions() {
        let mut c = claims();
        c.permissions = Some(vec!["image_generation".into()]);
        let p = resolve_during_outage(c).0.expect("the token's permissions hold");
        assert_eq!((p.permissions, p.organization_name), (vec!["image_generation".to_string()], None));
    }

    /// After a WorkOS event about the user (their removal, say) the token's own permissions may be
    /// what the event took away: an outage then gets 503. (A member's token keeps its claims over
    /// a role's or permission's change anyway.)
    #[test]
    fn an_outage_after_an_event_about_the_user_refuses_the_tokens_permissions() {
        use crate::store::keys;
        let with_mark = |mark: Option<String>| {
            let store = crate::store::MemoryStore::default();
            if let Some(mark) = mark {
                futures_executor::block_on(store.put(&mark, "1799999990000", 4260)).unwrap();
            }
            let mut c = claims();
            c.permissions = Some(vec!["image_generation".into()]);
            resolve_in(store, c, None, 503, serde_json::json!({})).0
        };
        assert!(matches!(with_mark(Some(keys::access_changed("user_01ALICE"))), Err(Refused::Unavailable(_))));
        assert!(with_mark(Some(keys::access_changed("user_01BOB"))).is_ok(), "another user's mark");
        assert!(with_mark(Some(keys::PERMISSION_DELETED.into())).is_ok(), "a member keeps the claims");
        assert!(with_mark(None).is_ok());
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
