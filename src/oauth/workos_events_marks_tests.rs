//! The change marks an event leaves (`store::keys::access_changed`, `store::keys::role_changed`):
//! a token the event could not reach (its grant made after the sign-in it outdates, or not
//! listed) is refused until a refresh reads WorkOS again; only tokens older than the mark, and of
//! its user or role, are.
use super::*;

/// Alice signed in 5 s ago as admin for a new client's request (the consent hands that standing
/// to the grant); `event` (which finds no grant yet) runs before the consent makes the grant, 2 s
/// later. The client and its code's tokens.
fn tokens_made_after(w: &World, event: impl FnOnce()) -> (String, TokenResponse) {
    let client = w.public_client();
    let params = w.params(&client, &[]);
    let session = w.sign_in_for(&params, 5);
    event();
    w.advance(2);
    let (code, _) = w.approve(&params, &session);
    let tokens = w.exchange(&client, &code).unwrap();
    (client, tokens)
}

#[test]
fn a_demotion_before_the_grant_exists_refuses_its_first_tokens_and_the_refresh_carries_it() {
    let w = world();
    let mut event_ms = 0;
    let (client, t) = tokens_made_after(&w, || {
        *w.up.role.borrow_mut() = "member".into();
        let got = deliver(&w, "event_14", "organization_membership.updated", membership()).unwrap();
        assert!(got.changed.is_empty(), "no grant to change yet");
        event_ms = w.http.clock_ms.get();
    });
    let opened = access::open(&w.config.seal_keys, t.access_token.as_str(), w.now.get()).unwrap();
    assert_eq!(opened.principal.role.as_deref(), Some("admin"), "sealed at the consent, from the sign-in");
    assert!(opened.standing_at_ms < event_ms, "the sign-in's standing, older than the event");
    assert_eq!(w.bearer(t.access_token.as_str(), "/mcp").unwrap_err(), BearerError::Changed);
    // The client refreshes (WorkOS is read again), at once: the new token carries the demotion.
    let asked_ms = w.http.clock_ms.get();
    let t2 = w.refresh(&client, t.refresh()).unwrap();
    let claims = w.bearer(t2.access_token.as_str(), "/mcp").unwrap();
    assert_eq!((claims.principal.role.as_deref(), claims.principal.permissions.len()), (Some("member"), 0));
    // Dated when the refresh asked WorkOS, not when WorkOS answered (each call takes 5 ms here).
    assert!((asked_ms..asked_ms + 5).contains(&claims.standing_at_ms), "{asked_ms}: {}", claims.standing_at_ms);
}

#[test]
fn a_role_change_before_the_grant_exists_refuses_its_first_tokens_and_the_refresh_carries_it() {
    let w = world();
    let (client, t) = tokens_made_after(&w, || {
        // The admin role loses image_generation.
        w.up.admin_without_images.set(true);
        let role_event = json!({"object":"role","slug":"admin","permissions":[]});
        assert!(deliver(&w, "event_22", "role.updated", role_event).unwrap().changed.is_empty(), "no grant yet");
    });
    assert_eq!(w.bearer(t.access_token.as_str(), "/mcp").unwrap_err(), BearerError::Changed);
    let t2 = w.refresh(&client, t.refresh()).unwrap();
    let claims = w.bearer(t2.access_token.as_str(), "/mcp").unwrap();
    assert_eq!((claims.principal.role.as_deref(), claims.principal.permissions.len()), (Some("admin"), 0));
}

#[test]
fn the_mark_of_the_role_an_event_gave_the_grant_counts_too() {
    let w = world();
    let (_, t) = w.connected();
    // The grant now holds the member role over the token's admin.
    demoted_and_reached(&w, "event_25", t.access_token.as_str());
    w.mark_changed(&crate::store::keys::role_changed("member"));
    assert_eq!(later_bearer(&w, t.access_token.as_str()).unwrap_err(), BearerError::Changed);
}

#[test]
fn a_role_mark_concerns_only_the_tokens_of_that_role() {
    let w = world();
    let (_, t) = w.connected();
    let at_ms = w.http.clock_ms.get();
    let role_event = json!({"object":"organization_role","slug":"viewer","organization_id":ACME,"permissions":[]});
    assert!(deliver(&w, "event_23", "organization_role.updated", role_event).unwrap().changed.is_empty());
    let mark = |slug: &str| block_on(w.store.get(&crate::store::keys::role_changed(slug))).unwrap();
    assert_eq!((mark("viewer"), mark("admin")), (Some(at_ms.to_string()), None));
    assert!(later_bearer(&w, t.access_token.as_str()).is_ok(), "an admin's token is not a viewer's");
}

#[test]
fn a_change_mark_refuses_only_tokens_older_than_it_that_the_event_did_not_reach() {
    let w = world();
    let (c, t) = w.connected();
    demoted_and_reached(&w, "event_15", t.access_token.as_str());
    // Not reached: Alice left another organization. Her token here costs its client one refresh.
    let globex = json!({"object":"organization_membership","id":"om_2","user_id":ALICE,"organization_id":"org_globex","status":"inactive"});
    let left_ms = w.http.clock_ms.get();
    assert!(deliver(&w, "event_16", "organization_membership.deleted", globex).unwrap().changed.is_empty());
    assert_eq!(later_bearer(&w, t.access_token.as_str()).unwrap_err(), BearerError::Changed);
    let t2 = w.refresh(&c, t.refresh()).unwrap();
    assert!(w.bearer(t2.access_token.as_str(), "/mcp").is_ok());
    // Bob's tokens are not Alice's business.
    let mark = |user: &str| block_on(w.store.get(&crate::store::keys::access_changed(user))).unwrap();
    assert_eq!(mark(ALICE), Some(left_ms.to_string()));
    assert_eq!(mark("user_bob"), None);
}

#[test]
fn a_sign_in_after_the_change_is_not_refused() {
    let w = world();
    let (c, _) = w.connected();
    *w.up.role.borrow_mut() = "member".into();
    deliver(&w, "event_21", "organization_membership.updated", membership()).unwrap();
    w.advance(1);
    // Signed in (WorkOS read) a second after the event, and approved at once.
    let params = w.params(&c, &[]);
    let session = w.sign_in_for(&params, 0);
    let (code, _) = w.approve(&params, &session);
    let t = w.exchange(&c, &code).unwrap();
    let opened = access::open(&w.config.seal_keys, t.access_token.as_str(), w.now.get()).unwrap();
    assert_eq!(opened.standing_at_ms, w.now.get() * 1000 + 200, "when the sign-in asked WorkOS");
    assert!(w.bearer(t.access_token.as_str(), "/mcp").is_ok());
}

#[test]
fn events_leave_marks_in_both_modes() {
    let w = world();
    let user_mark = || block_on(w.store.get(&crate::store::keys::access_changed(ALICE))).unwrap();
    let role_mark = || block_on(w.store.get(&crate::store::keys::role_changed("admin"))).unwrap();
    let deleted = || json!({"object":"user","id":ALICE});
    let admin_changed = || json!({"object":"role","slug":"admin","permissions":[]});
    // A revoked session whose user the event does not name leaves none.
    deliver(&w, "event_19", "session.revoked", json!({"object":"session","id":"session_9"})).unwrap();
    assert_eq!((user_mark(), role_mark()), (None, None));
    deliver(&w, "event_20", "role.updated", admin_changed()).unwrap();
    assert_eq!((user_mark(), role_mark()), (None, Some(w.http.clock_ms.get().to_string())));
    deliver(&w, "event_21", "user.deleted", deleted()).unwrap();
    assert_eq!(user_mark(), Some(w.http.clock_ms.get().to_string()));
    // AuthKit mode: AuthKit keeps the grants; the marks set aside the standings' shared copies.
    let config = authkit_config();
    let ctx = Ctx { config: &config, ..w.ctx() };
    w.http.clock_ms.set(w.http.clock_ms.get() + 5_000);
    // An ended session changes no standing: no mark.
    let ended = json!({"object":"session","id":"session_1","user_id":ALICE});
    let before = user_mark();
    signed_to(&ctx, &w, &event("event_16", "session.revoked", ended), w.http.clock_ms.get()).0.unwrap();
    assert_eq!(user_mark(), before, "the user's mark is as it was");
    for (id, kind, data) in [("event_17", "user.deleted", deleted()), ("event_18", "role.updated", admin_changed())] {
        signed_to(&ctx, &w, &event(id, kind, data), w.http.clock_ms.get()).0.unwrap();
    }
    let now = Some(w.http.clock_ms.get().to_string());
    assert_eq!((user_mark(), role_mark()), (now.clone(), now));
}

#[test]
fn the_later_of_the_user_and_role_marks_decides() {
    let w = world();
    let (_, t) = w.connected();
    // A membership event reaches the grant (its access recorded there) and leaves the user's mark.
    assert_eq!(deliver(&w, "event_24", "organization_membership.updated", membership()).unwrap().changed.len(), 1);
    assert!(later_bearer(&w, t.access_token.as_str()).is_ok());
    w.mark_changed(&crate::store::keys::role_changed("admin"));
    assert_eq!(later_bearer(&w, t.access_token.as_str()).unwrap_err(), BearerError::Changed);
}
