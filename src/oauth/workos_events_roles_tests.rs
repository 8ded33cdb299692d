//! Events about roles and permissions: every grant that holds one is re-read.
use super::*;

#[test]
fn a_role_losing_a_permission_reaches_every_holder() {
    let w = world();
    let (_, t) = w.connected();
    w.up.admin_without_images.set(true);
    let got = deliver(&w, "event_7", "role.updated", json!({"object":"role","slug":"admin","permissions":[]})).unwrap();
    assert_eq!(got.changed.len(), 1);
    assert!(later_bearer(&w, t.access_token.as_str()).unwrap().principal.permissions.is_empty());
    // Another role's change touches no admin.
    let got = deliver(&w, "event_8", "role.updated", json!({"object":"role","slug":"viewer"})).unwrap();
    assert!(got.changed.is_empty());
}

/// A deleted permission: the grants that held it are re-read; a permission no grant holds
/// touches none.
#[test]
fn a_deleted_permission_reaches_the_grants_that_held_it() {
    let w = world();
    let (_, t) = w.connected();
    w.up.admin_without_images.set(true);
    let gone = |slug: &str| json!({"object":"permission","id":"perm_1","slug":slug});
    assert!(deliver(&w, "event_24", "permission.deleted", gone("billing:manage")).unwrap().changed.is_empty());
    assert_eq!(deliver(&w, "event_25", "permission.deleted", gone("image_generation")).unwrap().changed.len(), 1);
    assert!(later_bearer(&w, t.access_token.as_str()).unwrap().principal.permissions.is_empty());
}

#[test]
fn a_second_role_losing_a_permission_reaches_its_holders_and_marks_their_tokens() {
    let w = world();
    let (c, t) = w.connected();
    // Alice is a member who also holds `imager` (image_generation): a refresh reads both roles.
    *w.up.role.borrow_mut() = "member".into();
    w.up.imager.set(true);
    let t = w.refresh(&c, t.refresh()).unwrap();
    let p = w.bearer(t.access_token.as_str(), "/mcp").unwrap().principal;
    assert_eq!((p.roles().collect::<Vec<_>>(), p.permissions.len()), (vec!["member", "imager"], 1));
    w.up.imager_without_images.set(true);
    let got =
        deliver(&w, "event_9", "role.updated", json!({"object":"role","slug":"imager","permissions":[]})).unwrap();
    assert_eq!(got.changed.len(), 1, "the grant holding imager (not as its primary role) is re-read");
    let p = later_bearer(&w, t.access_token.as_str()).unwrap().principal;
    assert_eq!((p.roles().collect::<Vec<_>>(), p.permissions.len()), (vec!["member", "imager"], 0));
    // A token the event could not reach (its grant not listed yet) is refused by the mark of its
    // second role until a refresh reads WorkOS again.
    let t = w.refresh(&c, t.refresh()).unwrap();
    w.mark_changed(&crate::store::keys::role_changed("imager"));
    assert_eq!(later_bearer(&w, t.access_token.as_str()).unwrap_err(), BearerError::Changed);
}

/// A deleted role: its holders are re-read (WorkOS has given them another role, or none).
#[test]
fn a_deleted_role_reaches_its_holders() {
    let w = world();
    let (_, t) = w.connected();
    let deleted = json!({"object":"role","slug":"admin"});
    demoted_and_reached_by(&w, "event_26", "role.deleted", deleted, t.access_token.as_str());
}

/// AuthKit mode (AuthKit keeps the grants): a role's event leaves the role's mark, a deleted
/// permission (or organization) its own, which set the shared copies of standings aside;
/// nothing is deleted.
#[test]
fn in_authkit_mode_role_and_permission_events_leave_marks_and_delete_nothing() {
    use crate::store::keys::{org_access, role_changed, PERMISSION_DELETED};
    let w = world();
    let config = authkit_config();
    let ctx = Ctx { config: &config, ..w.ctx() };
    let cached = [org_access(ACME, ALICE), org_access(ACME, "user_bob"), org_access("org_other", ALICE)];
    for key in &cached {
        block_on(w.store.put(key, "{}", 900)).unwrap();
    }
    let left = || cached.iter().filter(|k| block_on(w.store.get(k)).unwrap().is_some()).count();
    let marked = |key: &str| block_on(w.store.get(key)).unwrap();
    let ops = json!({"object":"organization_role","slug":"ops","organization_id":ACME});
    signed_to(&ctx, &w, &event("event_27", "organization_role.updated", ops), w.http.clock_ms.get()).0.unwrap();
    assert_eq!(marked(&role_changed("ops")), Some(w.http.clock_ms.get().to_string()));
    assert_eq!(marked(PERMISSION_DELETED), None);
    let gone = json!({"object":"permission","slug":"image_generation"});
    signed_to(&ctx, &w, &event("event_28", "permission.deleted", gone), w.http.clock_ms.get()).0.unwrap();
    assert_eq!(marked(PERMISSION_DELETED), Some(w.http.clock_ms.get().to_string()));
    // A deleted organization's event sets them all aside the same way.
    w.http.clock_ms.set(w.http.clock_ms.get() + 1000);
    let org = json!({"object":"organization","id":ACME});
    signed_to(&ctx, &w, &event("event_29", "organization.deleted", org), w.http.clock_ms.get()).0.unwrap();
    assert_eq!(marked(PERMISSION_DELETED), Some(w.http.clock_ms.get().to_string()));
    assert_eq!(left(), 3, "the copies stay; the marks set them aside");
}

/// A deleted organization: every grant in it ends, without asking WorkOS (which still lists
/// Alice here: an organization does not come back); another organization's event touches none.
#[test]
fn a_deleted_organization_ends_the_grants_in_it() {
    let w = world();
    let (c, t) = w.connected();
    let org = |id: &str| json!({"object":"organization","id":id,"name":"N","domains":[]});
    assert!(deliver(&w, "event_27", "organization.deleted", org("org_other")).unwrap().changed.is_empty());
    assert_eq!(deliver(&w, "event_28", "organization.deleted", org(ACME)).unwrap().changed.len(), 1);
    assert_eq!(later_bearer(&w, t.access_token.as_str()).unwrap_err(), BearerError::Revoked);
    assert_eq!(w.refresh(&c, t.refresh()).unwrap_err().code, ErrorCode::InvalidGrant);
}
