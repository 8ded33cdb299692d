//! WorkOS events applied to grants: signed deliveries only, once each, with the effect each
//! event promises (see `workos_events.rs`).
use super::super::grant;
use super::super::workos_events::{
    change_grant, change_grants, receive, GrantChange, GrantOwner, Received, Undelivered,
};
use super::*;
use crate::ids::{GrantId, UserId};
use crate::workos::webhook::{signature, Refusal};
use std::cell::Cell;

const SECRET: &str = "whsec_test_0123456789abcdef";

/// The grants' owner natively: the change runs on the world's store; the calls are counted.
struct Owner<'a>(&'a World, Cell<u32>);

impl GrantOwner for Owner<'_> {
    async fn change(
        &self,
        grants: &[GrantId],
        user: &UserId,
        change: &GrantChange,
    ) -> Result<Vec<GrantId>, super::super::OAuthError> {
        self.1.set(self.1.get() + 1);
        let object = crate::oauth::types::grant_object_name(grants[0].as_str());
        assert!(
            grants.iter().all(|g| crate::oauth::types::grant_object_name(g.as_str()) == object),
            "one object a call"
        );
        change_grants(&self.0.store, grants, user, change, self.0.now.get()).await
    }
}

fn signed(w: &World, body: &str, at_ms: u64) -> Result<Received, Undelivered> {
    signed_to(&w.ctx(), w, body, at_ms).0
}

/// `body` delivered signed at `at_ms` to the Worker configured as `ctx` says; with the calls
/// made to grants' owner.
fn signed_to(
    ctx: &Ctx<'_, MemoryStore, ScriptedHttp<Handler>>,
    w: &World,
    body: &str,
    at_ms: u64,
) -> (Result<Received, Undelivered>, u32) {
    let header = format!("t={at_ms}, v1={}", signature(SECRET, &at_ms.to_string(), body.as_bytes()));
    let owner = Owner(w, Cell::new(0));
    let got = block_on(receive(ctx, &owner, SECRET, Some(&header), body.as_bytes()));
    (got, owner.1.get())
}

fn event(id: &str, event: &str, data: Value) -> String {
    json!({"id": id, "event": event, "data": data}).to_string()
}

fn deliver(w: &World, id: &str, event_type: &str, data: Value) -> Result<Received, Undelivered> {
    signed(w, &event(id, event_type, data), w.http.clock_ms.get())
}

fn membership() -> Value {
    json!({"object":"organization_membership","id":"om_1","user_id":ALICE,"organization_id":ACME,"status":"active","role":{"slug":"member"}})
}

/// The bearer check as a request after the window (every isolate has looked again).
fn later_bearer(w: &World, token: &str) -> Result<access::AccessClaims, BearerError> {
    w.advance(access::GRANT_CHECK_SECS + 1);
    w.bearer(token, "/mcp")
}

/// Alice demoted to member in WorkOS: the membership's event (`id`) reaches her grant, and its
/// token then works with the new role, which is recorded there.
fn demoted_and_reached(w: &World, id: &str, token: &str) {
    demoted_and_reached_by(w, id, "organization_membership.updated", membership(), token);
}

/// The same, told by the event `event_type` with `data`.
fn demoted_and_reached_by(w: &World, id: &str, event_type: &str, data: Value, token: &str) {
    *w.up.role.borrow_mut() = "member".into();
    assert_eq!(deliver(w, id, event_type, data).unwrap().changed.len(), 1);
    assert_eq!(later_bearer(w, token).unwrap().principal.role.as_deref(), Some("member"));
}

#[test]
fn a_demotion_reaches_the_bearer_check_without_a_refresh_and_the_next_refresh_carries_it() {
    let w = world();
    let (c, t) = w.connected();
    assert_eq!(w.bearer(t.access_token.as_str(), "/mcp").unwrap().principal.permissions, vec!["image_generation"]);
    *w.up.role.borrow_mut() = "member".into();
    let got = deliver(&w, "event_1", "organization_membership.updated", membership()).unwrap();
    assert_eq!(got.changed.len(), 1);
    let claims = later_bearer(&w, t.access_token.as_str()).unwrap();
    assert_eq!((claims.principal.role.as_deref(), claims.principal.permissions.len()), (Some("member"), 0));
    // The refresh reads the same from WorkOS, and the grant records that reading as its own.
    let before_ms = w.http.clock_ms.get();
    let t2 = w.refresh(&c, t.refresh()).unwrap();
    assert_eq!(t2.scope, "mcp");
    let g = block_on(grant::load(&w.store, &GrantId::new(got.changed[0].as_str()), w.now.get())).unwrap().unwrap();
    let access = g.access.unwrap();
    assert_eq!((access.role.as_deref(), access.permissions.len()), (Some("member"), 0));
    assert!((before_ms..=w.http.clock_ms.get()).contains(&access.at_ms));
}

#[test]
fn removal_from_the_organization_and_deleted_users_end_the_grants() {
    let w = world();
    let (c, t) = w.connected();
    w.up.removed.set(true);
    let got = deliver(&w, "event_2", "organization_membership.deleted", membership()).unwrap();
    assert_eq!(got.changed.len(), 1);
    assert_eq!(later_bearer(&w, t.access_token.as_str()).unwrap_err(), BearerError::Revoked);
    assert_eq!(w.refresh(&c, t.refresh()).unwrap_err().code, ErrorCode::InvalidGrant);

    let w = world();
    let (_, t1) = w.connected();
    let (_, t2) = w.connected();
    // A grant from before partitions, kept by an object of its own.
    let mut legacy = block_on(grant::load(&w.store, &grant_of(&t1), w.now.get())).unwrap().unwrap();
    legacy.id = GrantId::new("AAAAAAAAAAAAAAAAAAAAAA");
    assert!(block_on(grant::create(&w.store, &legacy, w.now.get())).unwrap());
    let body = event("event_3", "user.deleted", json!({"object":"user","id":ALICE}));
    let (got, calls) = signed_to(&w.ctx(), &w, &body, w.http.clock_ms.get());
    assert_eq!((got.unwrap().changed.len(), calls), (3, 2), "one call to Alice's object, one to the old grant's");
    assert_eq!(later_bearer(&w, t1.access_token.as_str()).unwrap_err(), BearerError::Revoked);
    assert_eq!(w.bearer(t2.access_token.as_str(), "/mcp").unwrap_err(), BearerError::Revoked);
}

#[test]
fn a_late_deletion_after_the_person_was_added_again_leaves_their_grants() {
    // WorkOS retries a failed delivery for days: meanwhile Alice was added again and signed in.
    let w = world();
    let (c, t) = w.connected();
    let got = deliver(&w, "event_2", "organization_membership.deleted", membership()).unwrap();
    assert_eq!(got.changed.len(), 1, "her standing, read again, is recorded");
    assert_eq!(later_bearer(&w, t.access_token.as_str()).unwrap().principal.role.as_deref(), Some("admin"));
    assert_eq!(w.refresh(&c, t.refresh()).unwrap().scope, "mcp image_generation");
}

#[test]
fn an_update_that_finds_no_active_membership_ends_the_grants() {
    let w = world();
    let (_, t) = w.connected();
    w.up.removed.set(true);
    deliver(&w, "event_4", "organization_membership.updated", membership()).unwrap();
    assert_eq!(later_bearer(&w, t.access_token.as_str()).unwrap_err(), BearerError::Revoked);
}

#[test]
fn a_revoked_session_ends_the_grants_that_came_from_it() {
    let w = world();
    let (_, t) = w.connected();
    let other = deliver(&w, "event_5", "session.revoked", json!({"object":"session","id":"session_9","user_id":ALICE}));
    assert!(other.unwrap().changed.is_empty(), "another session's revocation changes nothing");
    deliver(&w, "event_6", "session.revoked", json!({"object":"session","id":"session_1","user_id":ALICE})).unwrap();
    assert_eq!(later_bearer(&w, t.access_token.as_str()).unwrap_err(), BearerError::Revoked);
}

#[test]
fn an_event_reaches_a_grant_whose_code_is_not_yet_exchanged() {
    let w = world();
    let client = w.public_client();
    let session = w.sign_in();
    let (code, _) = w.approve(&w.params(&client, &[]), &session);
    let got = deliver(&w, "event_11", "user.deleted", json!({"object":"user","id":ALICE})).unwrap();
    assert_eq!(got.changed.len(), 1, "the waiting grant is found by its user's index");
    assert_eq!(w.exchange(&client, &code).unwrap_err().code, ErrorCode::InvalidGrant);
}

#[test]
fn a_demotion_while_the_code_waits_is_carried_by_the_tokens_of_the_exchange() {
    let w = world();
    let client = w.public_client();
    let session = w.sign_in();
    let (code, _) = w.approve(&w.params(&client, &[]), &session);
    *w.up.role.borrow_mut() = "member".into();
    let got = deliver(&w, "event_13", "organization_membership.updated", membership()).unwrap();
    assert_eq!(got.changed.len(), 1, "the waiting grant took the change");
    w.advance(5);
    let t = w.exchange(&client, &code).unwrap();
    assert_eq!(t.scope, "mcp", "no permission the event took away");
    let claims = w.bearer(t.access_token.as_str(), "/mcp").unwrap();
    assert_eq!((claims.principal.role.as_deref(), claims.principal.permissions.len()), (Some("member"), 0));
}

/// The test configuration in AuthKit mode (AuthKit keeps the grants).
fn authkit_config() -> crate::config::Config {
    let auth_mode = crate::config::AuthMode::Authkit { issuer: "https://authkit.example".into(), audience: None };
    crate::config::Config { auth_mode, ..config() }
}

#[test]
fn a_role_event_drops_the_index_entries_of_grants_that_are_gone() {
    let w = world();
    let (_, t) = w.connected();
    let (_, gone) = w.connected();
    let gone_id = grant_of(&gone);
    // Its record expired (or was revoked elsewhere); its person's entry stays for the live one,
    // and an entry of its own (written before one per person) is still there.
    block_on(grant::revoke(&w.store, &gone_id)).unwrap();
    let entry = crate::store::keys::user_grant(ALICE, gone_id.as_str());
    block_on(w.store.put(&entry, "c", 3600)).unwrap();
    w.up.admin_without_images.set(true);
    let got =
        deliver(&w, "event_12", "role.updated", json!({"object":"role","slug":"admin","permissions":[]})).unwrap();
    assert_eq!(got.changed.len(), 1, "the live grant is changed");
    assert!(block_on(w.store.get(&entry)).unwrap().is_none(), "the gone grant's entry is dropped");
    assert!(later_bearer(&w, t.access_token.as_str()).unwrap().principal.permissions.is_empty());
}

#[test]
fn a_redelivered_event_changes_nothing_more() {
    let w = world();
    let (_, t) = w.connected();
    *w.up.role.borrow_mut() = "member".into();
    assert!(!deliver(&w, "event_9", "organization_membership.updated", membership()).unwrap().duplicate);
    // Promoted again (a later event), then WorkOS retries the first one.
    *w.up.role.borrow_mut() = "admin".into();
    deliver(&w, "event_10", "organization_membership.updated", membership()).unwrap();
    let stored = || {
        let map = w.store.map.borrow();
        w.store.keys_with_prefix("oauth:").into_iter().map(|k| (map[&k].0.clone(), k)).collect::<Vec<_>>()
    };
    let (calls, marks) = (w.http.paths().len(), stored());
    let again = deliver(&w, "event_9", "organization_membership.updated", membership()).unwrap();
    assert!(again.duplicate && again.changed.is_empty());
    assert_eq!(w.http.paths().len(), calls, "WorkOS is not asked again");
    assert_eq!(stored(), marks, "no mark, no grant written");
    assert_eq!(later_bearer(&w, t.access_token.as_str()).unwrap().principal.permissions, vec!["image_generation"]);
}

#[test]
fn unsigned_forged_stale_or_malformed_deliveries_change_nothing() {
    let w = world();
    let (_, t) = w.connected();
    *w.up.role.borrow_mut() = "member".into();
    let body = json!({"id":"event_11","event":"user.deleted","data":{"id":ALICE}}).to_string();
    let now = w.http.clock_ms.get();
    let refused = |r: Result<Received, Undelivered>| match r {
        Err(Undelivered::Refused(why)) => why,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(
        refused(block_on(receive(&w.ctx(), &Owner(&w, Cell::new(0)), SECRET, None, body.as_bytes()))),
        Refusal::Malformed
    );
    let forged = format!("t={now}, v1={}", signature("another-secret-entirely", &now.to_string(), body.as_bytes()));
    assert_eq!(
        refused(block_on(receive(&w.ctx(), &Owner(&w, Cell::new(0)), SECRET, Some(&forged), body.as_bytes()))),
        Refusal::Forged
    );
    assert_eq!(refused(signed(&w, &body, now - 10 * 60 * 1000)), Refusal::Stale);
    assert_eq!(signed(&w, "{\"no\":\"event\"}", now), Err(Undelivered::Malformed));
    assert_eq!(later_bearer(&w, t.access_token.as_str()).unwrap().principal.permissions, vec!["image_generation"]);
    assert!(w.store.keys_with_prefix("webhook:event:").is_empty(), "nothing remembered either");
}

#[path = "workos_events_limits_tests.rs"]
mod limits;
#[path = "workos_events_marks_tests.rs"]
mod marks;
#[path = "workos_events_roles_tests.rs"]
mod roles;
