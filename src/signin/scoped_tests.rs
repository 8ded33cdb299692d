//! Organization names and sign-ins WorkOS scoped to an organization at the code exchange.
use super::test_world::*;
use super::*;
use crate::outbound::{HttpRequest, HttpResponse, TransportError};
use serde_json::{json, Value};

fn unnamed_membership() -> Value {
    let mut m = membership(ACME, "active", "admin");
    m.as_object_mut().unwrap().remove("organization_name");
    m
}

#[test]
fn an_unnamed_membership_gets_its_organization_name_looked_up() {
    let w = world(Scenario { memberships: vec![unnamed_membership()], ..Default::default() }, None);
    let (state, cookie) = w.begin(None);
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(done.session.principal.organization_name.as_deref(), Some("Acme (looked up)"));
}

#[test]
fn a_failed_organization_lookup_still_signs_in_without_a_name() {
    let w =
        world(Scenario { memberships: vec![unnamed_membership()], org_lookup_down: true, ..Default::default() }, None);
    let (state, cookie) = w.begin(None);
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(done.session.principal.organization_name, None);
    assert_eq!(done.session.principal.organization_id.as_deref(), Some(ACME));
    assert_eq!(done.session.principal.permissions, vec!["image_generation".to_string()]);
}

/// WorkOS scoped the code exchange to Acme (one active membership), the token carrying the role
/// and permissions.
fn scoped_to_acme(role: bool) -> Scenario {
    let mut claims = json!({"org_id": ACME, "permissions": ["image_generation"]});
    if role {
        claims["role"] = json!("admin");
    }
    Scenario { scoped_exchange: Some(claims), ..Default::default() }
}

fn count(w: &World<impl Fn(&HttpRequest) -> Result<HttpResponse, TransportError>>, path: &str) -> usize {
    w.http.paths().iter().filter(|p| p.as_str() == path).count()
}

#[test]
fn a_scoped_sign_in_takes_its_standing_from_the_token_and_names_the_organization_once() {
    let w = world(scoped_to_acme(true), None);
    for round in 0..2 {
        let (state, cookie) = w.begin(None);
        let done = w.finish(&state, Some(&cookie)).unwrap();
        assert_eq!(done.session.principal.organization_id.as_deref(), Some(ACME));
        assert_eq!(done.session.principal.organization_name.as_deref(), Some("Acme (looked up)"));
        assert_eq!(done.session.principal.role.as_deref(), Some("admin"));
        assert_eq!(done.session.principal.permissions, vec!["image_generation".to_string()]);
        assert_eq!(done.audit.as_ref().map(|a| a.organization_id.as_str()), Some(ACME));
        assert_eq!(count(&w, "/user_management/authenticate"), round + 1, "the code exchange only, no switch");
    }
    assert_eq!(count(&w, "/user_management/organization_memberships"), 0);
    assert_eq!(count(&w, "/organizations/org_acme"), 1, "the second sign-in used the isolate's copy");
    // A name learnt from a membership serves the next scoped sign-in too.
    let fresh = world(scoped_to_acme(true), None);
    fresh.org_names.borrow_mut().remember(ACME, "Acme", u64::MAX, NOW - 1);
    let (state, cookie) = fresh.begin(None);
    assert_eq!(
        fresh.finish(&state, Some(&cookie)).unwrap().session.principal.organization_name.as_deref(),
        Some("Acme")
    );
    assert_eq!(count(&fresh, "/organizations/org_acme"), 0);
}

#[test]
fn a_scoped_sign_in_meets_this_servers_organization_rule() {
    // Scoped to this server's organization: nothing more to ask.
    let ours = world(scoped_to_acme(true), Some(ACME));
    let (state, cookie) = ours.begin(None);
    assert_eq!(ours.finish(&state, Some(&cookie)).unwrap().session.principal.organization_id.as_deref(), Some(ACME));
    assert_eq!(count(&ours, "/user_management/organization_memberships"), 0);
    // Scoped elsewhere: the memberships are read, and Alice is not in Globex.
    let theirs = world(scoped_to_acme(true), Some(GLOBEX));
    let (state, cookie) = theirs.begin(None);
    assert_eq!(theirs.finish(&state, Some(&cookie)).unwrap_err(), SigninError::NotInOrganization);
    assert_eq!(count(&theirs, "/user_management/organization_memberships"), 1);
    assert!(theirs.sessions().is_empty());
}

#[test]
fn a_scoped_token_without_a_role_falls_back_to_the_membership() {
    let w = world(scoped_to_acme(false), None);
    let (state, cookie) = w.begin(None);
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(count(&w, "/user_management/organization_memberships"), 1);
    assert_eq!(done.session.principal.role.as_deref(), Some("admin"), "the membership's role");
    assert_eq!(done.session.principal.organization_name.as_deref(), Some("Acme"), "the membership's name");
    assert_eq!(count(&w, "/organizations/org_acme"), 0);
}

#[test]
fn a_scoped_sign_in_whose_name_cannot_be_read_still_signs_in() {
    let w = world(Scenario { org_lookup_down: true, ..scoped_to_acme(true) }, None);
    let (state, cookie) = w.begin(None);
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(
        (done.session.principal.organization_id.as_deref(), done.session.principal.organization_name),
        (Some(ACME), None)
    );
    // Nothing was remembered: the next sign-in asks again (as often: a 500 is retried once).
    let asked = count(&w, "/organizations/org_acme");
    assert!(asked >= 1);
    let (state, cookie) = w.begin(None);
    w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(count(&w, "/organizations/org_acme"), 2 * asked);
}

#[test]
fn every_role_of_several_is_kept_from_the_token_else_from_the_membership() {
    // The token names them (`roles`): the primary one apart, the others in order.
    let mut scenario = scoped_to_acme(true);
    scenario.scoped_exchange.as_mut().unwrap()["roles"] = json!(["imager", "admin"]);
    let w = world(scenario, None);
    let (state, cookie) = w.begin(None);
    let p = w.finish(&state, Some(&cookie)).unwrap().session.principal;
    assert_eq!((p.role.as_deref(), p.other_roles), (Some("admin"), vec!["imager".to_string()]));
    // A token without them: the membership's `roles`, read from WorkOS.
    let mut m = membership(ACME, "active", "admin");
    m["roles"] = json!([{"slug": "admin"}, {"slug": "imager"}]);
    let w = world(Scenario { memberships: vec![m], ..Default::default() }, None);
    let (state, cookie) = w.begin(None);
    let p = w.finish(&state, Some(&cookie)).unwrap().session.principal;
    assert_eq!(p.roles().collect::<Vec<_>>(), ["admin", "imager"]);
}
