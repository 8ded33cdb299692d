//! The organization picker: WorkOS's `organization_selection_required` at the code exchange.
use super::super::test_world::{
    client_info, cookie_value, membership, world, Scenario, ACME, ALICE, GLOBEX, NOW, ORIGIN, PENDING,
};
use super::*;
use crate::signin::{complete_bridge_for_session, Callback, Outcome};
use futures_executor::block_on;
use serde_json::{json, Value};

fn two_orgs() -> Scenario {
    Scenario {
        memberships: vec![membership(ACME, "active", "admin"), membership(GLOBEX, "active", "member")],
        selection: Some(vec![json!({"id": ACME, "name": "Acme"}), json!({"id": GLOBEX, "name": "Globex"})]),
        ..Default::default()
    }
}

fn picker(outcome: Result<Outcome, SigninError>) -> Picker {
    match outcome.unwrap() {
        Outcome::ChooseOrganization(p) => p,
        Outcome::SignedIn(d) => panic!("expected the picker, signed in as {:?}", d.session.principal),
    }
}

fn grant_types(requests: &[crate::outbound::HttpRequest]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.url.ends_with("/user_management/authenticate"))
        .map(|r| {
            serde_json::from_slice::<Value>(r.body.as_deref().unwrap()).unwrap()["grant_type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn several_organizations_show_the_picker_and_keep_the_pending_token_sealed() {
    let w = world(two_orgs(), None);
    let (state, cookie) = w.begin(Some("/authorize?client_id=x"));
    let p = picker(w.finish_outcome(&state, Some(&cookie)));
    assert_eq!(
        p.organizations.iter().map(|o| (o.id.as_str(), o.name.as_str())).collect::<Vec<_>>(),
        vec![(ACME, "Acme"), (GLOBEX, "Globex")]
    );
    assert!(p.set_cookie.starts_with("__Host-mcp-pick="), "{}", p.set_cookie);
    assert!(!p.set_cookie.contains(PENDING));
    // Nothing in KV holds the pending token in clear, and no session exists yet.
    let picks = w.store.keys_with_prefix("signin:pick:");
    assert_eq!(picks.len(), 1);
    let stored = w.store.map.borrow()[&picks[0]].clone();
    assert!(!stored.0.contains(PENDING) && !stored.0.contains("pending_auth"), "{}", stored.0);
    assert_eq!(stored.1, STATE_TTL);
    assert!(w.sessions().is_empty());
    assert!(!format!("{p:?}").contains(PENDING));
}

#[test]
fn choosing_an_organization_finishes_the_sign_in_there() {
    for (org, role, permissions) in [(ACME, "admin", vec!["image_generation".to_string()]), (GLOBEX, "member", vec![])]
    {
        let w = world(two_orgs(), None);
        let (state, cookie) = w.begin(Some("/authorize?client_id=x"));
        let p = picker(w.finish_outcome(&state, Some(&cookie)));
        let pick = cookie_value(&p.set_cookie);
        let done =
            block_on(choose(&w.ctx(), Some(&pick), Some(org), Some(p.csrf.as_str()), Some(ORIGIN), &client_info()))
                .unwrap();
        assert_eq!(done.location, "/authorize?client_id=x", "on to where the sign-in was going");
        assert_eq!(done.session.principal.organization_id.as_deref(), Some(org));
        assert_eq!(done.session.principal.role.as_deref(), Some(role));
        assert_eq!(done.session.principal.permissions, permissions);
        assert_eq!(done.audit.as_ref().map(|a| a.organization_id.as_str()), Some(org));
        assert_eq!(w.sessions().len(), 1);
        // Resumed with WorkOS's organization-selection grant; no second refresh was needed.
        let requests = w.http.requests.borrow();
        assert_eq!(
            grant_types(&requests),
            vec!["authorization_code", "urn:workos:oauth:grant-type:organization-selection"]
        );
        let selection = requests
            .iter()
            .find(|r| r.body.as_deref().is_some_and(|b| String::from_utf8_lossy(b).contains("organization-selection")))
            .unwrap();
        let body: Value = serde_json::from_slice(selection.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            (body["pending_authentication_token"].as_str(), body["organization_id"].as_str()),
            (Some(PENDING), Some(org))
        );
        assert_eq!(body["client_id"], "client_test");
        // The session WorkOS scoped to the chosen organization speaks for the membership: none
        // was listed; the organization's name was read once.
        assert!(!requests.iter().any(|r| r.url.contains("organization_memberships")));
        let names = if org == ACME { "Acme (looked up)" } else { "Globex (looked up)" };
        assert_eq!(done.session.principal.organization_name.as_deref(), Some(names));
        assert_eq!(requests.iter().filter(|r| r.url.contains(&format!("/organizations/{org}"))).count(), 1);
        drop(requests);
        // The picker is spent.
        assert!(w.store.keys_with_prefix("signin:pick:").is_empty());
        let again =
            block_on(choose(&w.ctx(), Some(&pick), Some(org), Some(p.csrf.as_str()), Some(ORIGIN), &client_info()))
                .unwrap_err();
        assert_eq!(again, SigninError::PickExpired);
    }
}

#[test]
fn refused_choices_change_nothing() {
    let w = world(two_orgs(), None);
    let (state, cookie) = w.begin(None);
    let p = picker(w.finish_outcome(&state, Some(&cookie)));
    let pick = cookie_value(&p.set_cookie);
    let try_choose = |pick: Option<&str>, org: Option<&str>, csrf: Option<&str>, origin: Option<&str>| {
        block_on(choose(&w.ctx(), pick, org, csrf, origin, &client_info())).unwrap_err()
    };
    assert_eq!(
        try_choose(Some(&pick), Some(ACME), Some(p.csrf.as_str()), Some("https://evil.example")),
        SigninError::ForeignOrigin
    );
    assert_eq!(try_choose(Some(&pick), Some(ACME), Some("forged"), Some(ORIGIN)), SigninError::Csrf);
    assert_eq!(try_choose(Some(&pick), Some(ACME), None, Some(ORIGIN)), SigninError::Csrf);
    assert_eq!(
        try_choose(Some(&pick), Some("org_elsewhere"), Some(p.csrf.as_str()), Some(ORIGIN)),
        SigninError::OrganizationNotOffered
    );
    assert_eq!(try_choose(Some(&pick), None, Some(p.csrf.as_str()), Some(ORIGIN)), SigninError::OrganizationNotOffered);
    assert_eq!(try_choose(None, Some(ACME), Some(p.csrf.as_str()), Some(ORIGIN)), SigninError::PickExpired);
    assert_eq!(
        try_choose(Some(&cookie), Some(ACME), Some(p.csrf.as_str()), Some(ORIGIN)),
        SigninError::PickExpired,
        "a sign-in cookie is not a picker"
    );
    let late = Ctx { now: NOW + STATE_TTL + 1, ..w.ctx() };
    assert_eq!(
        block_on(choose(&late, Some(&pick), Some(ACME), Some(p.csrf.as_str()), Some(ORIGIN), &client_info()))
            .unwrap_err(),
        SigninError::PickExpired
    );
    assert!(w.sessions().is_empty());
    assert_eq!(grant_types(&w.http.requests.borrow()), vec!["authorization_code"], "nothing reached WorkOS");
    // After all of that the picker still works.
    let done = block_on(choose(&w.ctx(), Some(&pick), Some(ACME), Some(p.csrf.as_str()), Some(ORIGIN), &client_info()))
        .unwrap();
    assert_eq!(done.session.principal.user_id, ALICE);
    for e in [SigninError::PickExpired, SigninError::OrganizationNotOffered] {
        assert_eq!(e.view().status, 400);
    }
}

#[test]
fn the_configured_organization_is_chosen_without_asking() {
    let w = world(two_orgs(), Some(ACME));
    let (state, cookie) = w.begin(None);
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(done.session.principal.organization_id.as_deref(), Some(ACME));
    assert_eq!(done.session.principal.permissions, vec!["image_generation".to_string()]);
    assert!(w.store.keys_with_prefix("signin:pick:").is_empty());
    // A configured organization WorkOS does not offer is "not a member", not a picker.
    let w = world(two_orgs(), Some("org_other"));
    let (state, cookie) = w.begin(None);
    assert_eq!(w.finish_outcome(&state, Some(&cookie)).unwrap_err(), SigninError::NotInOrganization);
    assert!(w.sessions().is_empty());
}

#[test]
fn a_bridge_sign_in_through_the_picker_completes_at_authkit() {
    let mut w = world(two_orgs(), None);
    w.external_auth_id = Some("ext_auth_01TEST".into());
    w.config = super::super::test_world::authkit_config();
    let (state, cookie) = w.begin(None);
    let p = picker(w.finish_outcome(&state, Some(&cookie)));
    let done = block_on(choose(
        &w.ctx(),
        Some(&cookie_value(&p.set_cookie)),
        Some(GLOBEX),
        Some(p.csrf.as_str()),
        Some(ORIGIN),
        &client_info(),
    ))
    .unwrap();
    assert_eq!(done.location, "https://acme.authkit.app/oauth2/continue?state=abc");
    assert_eq!(done.session.principal.organization_id.as_deref(), Some(GLOBEX));
    // A second bridge request in the same signed-in browser completes at once, as the same person.
    let again = block_on(complete_bridge_for_session(&w.ctx(), &done.session_id, &done.session, "ext_auth_01TEST2"));
    assert_eq!(again.unwrap().as_deref(), Some("https://acme.authkit.app/oauth2/continue?state=abc"));
    assert_eq!(w.http.paths().iter().filter(|p| *p == "/authkit/oauth2/complete").count(), 2, "{:?}", w.http.paths());
}

#[test]
fn a_stale_pending_token_is_a_readable_expiry() {
    let w = world(two_orgs(), None);
    let (state, cookie) = w.begin(None);
    let p = picker(w.finish_outcome(&state, Some(&cookie)));
    // Swap the sealed token for another one WorkOS does not know.
    let key = w.store.keys_with_prefix("signin:pick:")[0].clone();
    let id = key.trim_start_matches("signin:pick:").to_string();
    let mut record: Value = serde_json::from_str(&w.store.map.borrow()[&key].0).unwrap();
    record["pending_token_sealed"] =
        json!(w.config.seal_keys.seal(&format!("kv:signin-pick:{id}"), b"pending_other", NOW + 600));
    w.store.map.borrow_mut().insert(key, (record.to_string(), 600));
    let err = block_on(choose(
        &w.ctx(),
        Some(&cookie_value(&p.set_cookie)),
        Some(ACME),
        Some(p.csrf.as_str()),
        Some(ORIGIN),
        &client_info(),
    ))
    .unwrap_err();
    assert!(matches!(err, SigninError::Workos(crate::workos::WorkosError::Api { status: 400, .. })), "{err:?}");
    // The page says it expired (not that WorkOS refused: nothing for an administrator to do).
    assert_eq!((err.view().status, err.view().title), (400, "Sign-in expired"));
    assert!(w.sessions().is_empty());
    let _ = Callback::default();
}
