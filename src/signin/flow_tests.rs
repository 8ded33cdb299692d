//! The sign-in flow end to end: start, complete, audit, the organization rule, the session
//! cookie, logout and the AuthKit bridge.
use super::test_world::*;
use super::*;
use crate::config::Config;
use crate::context::Ctx;
use crate::outbound::{HttpRequest, HttpResponse, TransportError};
use futures_executor::block_on;
use serde_json::{json, Value};

#[test]
fn start_stores_one_time_state_and_redirects_with_pkce() {
    let w = world(Scenario::default(), None);
    let (state, cookie) = w.begin(Some("/account"));
    // The record rides in the sealed binding cookie: starting a sign-in writes nothing to KV.
    assert!(w.store.keys_with_prefix("signin:").is_empty());
    let (record, in_kv) = w.kept_record(&cookie);
    assert!(!in_kv);
    assert_eq!(record["return_to"], "/account");
    assert_eq!(record["created_at"], NOW);
    let started = block_on(start(&w.ctx(), StartRequest::default())).unwrap();
    let url = url::Url::parse(&started.location).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(url.path(), "/user_management/authorize");
    assert_eq!(q["provider"], "authkit");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["redirect_uri"], "https://mcp.example.com/callback");
    assert_eq!(q["client_id"], "client_test");
    assert!(!q.contains_key("login_hint"));
    // The challenge is S256 of the kept verifier.
    let (rec, _) = w.kept_record(&cookie_value(&started.set_cookie));
    use base64::Engine;
    use sha2::Digest;
    let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(rec["verifier"].as_str().unwrap()));
    assert_eq!(q["code_challenge"], expected);
    assert!(started.set_cookie.starts_with("__Host-mcp-signin="));
    assert!(!cookie.contains(&state), "the state is sealed, not readable in the cookie");
}

#[test]
fn start_refuses_unsafe_return_paths_and_passes_hints() {
    let w = world(Scenario::default(), Some(ACME));
    let (_, cookie) = w.begin(Some("//evil.example"));
    assert_eq!(w.kept_record(&cookie).0["return_to"], "/");
    let started = block_on(start(
        &w.ctx(),
        StartRequest { screen_hint: Some("sign-up"), login_hint: Some("a@b.c"), ..Default::default() },
    ))
    .unwrap();
    assert!(started.location.contains("organization_id=org_acme"));
    assert!(started.location.contains("screen_hint=sign-up"));
    assert!(started.location.contains("login_hint=a%40b.c"));
}

#[test]
fn a_long_authorization_request_comes_back_whole_after_the_sign_in() {
    let w = world(Scenario::default(), None);
    // A state at its limit (1024) of URL characters, each percent-encoded in the request's path.
    let path = format!(
        "/authorize?response_type=code&client_id=https%3A%2F%2Fclient.example%2Fmeta.json&state={}",
        "%2F".repeat(1024)
    );
    assert!(path.len() > 3000);
    let (state, cookie) = w.begin(Some(&path));
    // Too long for a cookie: the record is kept in KV, for the state's lifetime.
    let (rec, in_kv) = w.kept_record(&cookie);
    assert!(in_kv && cookie.len() < 200, "the cookie names the state alone");
    assert_eq!(rec["return_to"], path.as_str());
    assert_eq!(w.store.map.borrow()[&format!("signin:state:{state}")].1, STATE_TTL);
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(done.location, path, "and comes back whole");
    let (_, cookie) = w.begin(Some(&format!("{path}&x={}", "a".repeat(crate::return_path::MAX_LEN))));
    assert_eq!(w.kept_record(&cookie).0["return_to"], "/", "past the longest URL the platform accepts");
}

#[test]
fn a_sign_in_an_authorization_request_started_keeps_its_token_for_that_request() {
    let w = world(Scenario::default(), None);
    let authorize = "/authorize?response_type=code&client_id=c-1&state=st-1";
    let (state, cookie) = w.begin(Some(authorize));
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(done.location, authorize);
    let kept = Some(crate::signin::handover_digest(authorize));
    assert_eq!(done.session.handover_for, kept);
    let stored: Session =
        serde_json::from_str(&w.store.map.borrow()[&format!("session:{}", done.session_id)].0).unwrap();
    assert_eq!(stored.handover_for, kept, "the stored record says so too");
    assert_eq!(crate::signin::handover(&stored, authorize), crate::signin::Handover::ThisRequest);
    assert_eq!(crate::signin::handover(&stored, "/authorize?state=st-2"), crate::signin::Handover::OtherRequest);
    // Any other sign-in keeps nothing: the first grant takes its token and notes it spent.
    let (state, cookie) = w.begin(Some("/account"));
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(done.session.handover_for, None);
    assert_eq!(crate::signin::handover(&done.session, authorize), crate::signin::Handover::Open);
    assert!(!w.store.map.borrow()[&format!("session:{}", done.session_id)].0.contains("handover_for"));
}

#[test]
fn complete_signs_in_with_organization_permissions() {
    let w = world(Scenario::default(), None);
    let (state, cookie) = w.begin(Some("/account?tab=1"));
    w.http.latency_ms.set(7);
    let asked_ms = w.http.clock_ms.get();
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(done.location, "/account?tab=1");
    // Its standing dates from when WorkOS was asked, not from its answers (7 ms each here).
    assert_eq!(done.session.standing_at_ms, asked_ms);
    assert!(w.http.clock_ms.get() > asked_ms);
    assert_eq!(done.session.principal.organization_id.as_deref(), Some(ACME));
    assert_eq!(done.session.principal.role.as_deref(), Some("admin"));
    assert_eq!(done.session.principal.permissions, vec!["image_generation".to_string()]);
    assert_eq!(done.session.principal.name, "Alice Admin");
    assert_eq!(done.session.principal.workos_session_id.as_deref(), Some("session_1"));
    // The code exchange is not org-scoped, so the organization switch (refresh) happened.
    assert_eq!(w.http.paths().iter().filter(|p| *p == "/user_management/authenticate").count(), 2);
    // State marked used (its own key); one session stored, holding the newest refresh token
    // sealed (not in clear).
    assert_eq!(w.used_states(), vec![crate::store::keys::signin_state_used(&state)]);
    let sessions = w.sessions();
    assert_eq!(sessions.len(), 1);
    let stored = w.store.map.borrow()[&sessions[0]].0.clone();
    assert!(!stored.contains("rt-2") && !stored.contains("rt-1"));
    let session: super::session::Session = serde_json::from_str(&stored).unwrap();
    assert_eq!(super::session::workos_refresh_token(&w.ctx(), &session).as_deref(), Some("rt-2"), "the newest, sealed");
    // The cookie loads the session.
    let sc = cookie_value(&done.set_cookie);
    let (_, session) = block_on(load_session(&w.ctx(), Some(&sc))).unwrap().unwrap();
    assert_eq!(session.principal, done.session.principal);
    let audit = done.audit.unwrap();
    assert_eq!(
        (audit.action.as_str(), audit.organization_id.as_str(), audit.actor_id.as_str()),
        ("user.signed_in", ACME, ALICE)
    );
    assert_eq!(audit.target_type, "user");
    assert_eq!(audit.location, "203.0.113.9");
    assert_eq!(audit.user_agent.as_deref(), Some("UA/1"));
}

#[test]
fn with_sign_in_audit_off_a_sign_in_records_no_event() {
    let mut w = world(Scenario::default(), None);
    w.config.audit_sign_ins = false;
    let (state, cookie) = w.begin(None);
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(done.session.principal.organization_id.as_deref(), Some(ACME));
    assert!(done.audit.is_none());
}

#[test]
fn user_without_membership_signs_in_without_organization_or_audit() {
    let w = world(Scenario { memberships: vec![membership(ACME, "inactive", "admin")], ..Default::default() }, None);
    let (state, cookie) = w.begin(None);
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(done.session.principal.organization_id, None);
    assert!(done.session.principal.permissions.is_empty());
    assert!(done.audit.is_none());
}

#[test]
fn organization_restriction_refuses_outsiders_and_inactive_members() {
    for (memberships, want) in [
        (vec![], SigninError::NotInOrganization),
        (vec![membership("org_other", "active", "admin")], SigninError::NotInOrganization),
        (vec![membership(ACME, "inactive", "admin")], SigninError::MembershipInactive),
        (vec![membership(ACME, "pending", "admin")], SigninError::MembershipInactive),
    ] {
        let w = world(Scenario { memberships, ..Default::default() }, Some(ACME));
        let (state, cookie) = w.begin(None);
        assert_eq!(w.finish(&state, Some(&cookie)).unwrap_err(), want);
        assert!(w.sessions().is_empty(), "no session for a refused sign-in");
        assert_eq!(want.view().status, 403);
    }
}

#[test]
fn tampered_or_foreign_session_cookies_are_absent() {
    let w = world(Scenario::default(), None);
    let (state, cookie) = w.begin(None);
    let sc = cookie_value(&w.finish(&state, Some(&cookie)).unwrap().set_cookie);
    let mut bytes = sc.clone().into_bytes();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    assert!(block_on(load_session(&w.ctx(), Some(&tampered))).unwrap().is_none());
    assert!(block_on(load_session(&w.ctx(), Some(&sc[..sc.len() - 3]))).unwrap().is_none());
    // A signin cookie is not a session cookie, even under the same key.
    assert!(block_on(load_session(&w.ctx(), Some(&cookie))).unwrap().is_none());
    let other = world(Scenario::default(), None);
    let foreign_key = Config { seal_keys: crate::seal::SealKeys::parse(&"z".repeat(40)).unwrap(), ..config(None) };
    let ctx = Ctx { config: &foreign_key, ..other.ctx() };
    assert!(block_on(load_session(&ctx, Some(&sc))).unwrap().is_none());
}

#[test]
fn logout_checks_origin_and_csrf_then_deletes_the_session() {
    let w = world(Scenario::default(), None);
    let (state, cookie) = w.begin(None);
    let sc = cookie_value(&w.finish(&state, Some(&cookie)).unwrap().set_cookie);
    let (_, session) = block_on(load_session(&w.ctx(), Some(&sc))).unwrap().unwrap();

    assert_eq!(
        block_on(logout(&w.ctx(), Some(&sc), Some(session.csrf.as_str()), Some("https://evil.example"))).unwrap_err(),
        SigninError::ForeignOrigin
    );
    assert_eq!(block_on(logout(&w.ctx(), Some(&sc), Some("wrong"), None)).unwrap_err(), SigninError::Csrf);
    assert_eq!(block_on(logout(&w.ctx(), Some(&sc), None, Some(ORIGIN))).unwrap_err(), SigninError::Csrf);
    assert_eq!(w.sessions().len(), 1, "refused logouts keep the session");

    let location = block_on(logout(&w.ctx(), Some(&sc), Some(session.csrf.as_str()), Some(ORIGIN))).unwrap();
    assert!(location.starts_with("https://api.workos.test/user_management/sessions/logout?"), "{location}");
    assert!(location.contains("session_id=session_1"));
    assert!(location.contains("return_to=https%3A%2F%2Fmcp.example.com%2Flogin"));
    assert!(w.sessions().is_empty());
    assert!(block_on(load_session(&w.ctx(), Some(&sc))).unwrap().is_none());
    // Signing out again (no session) just goes to the sign-in page.
    assert_eq!(block_on(logout(&w.ctx(), Some(&sc), None, None)).unwrap(), "https://mcp.example.com/login");
}

fn bridge_world(completion: (u16, Value)) -> World<impl Fn(&HttpRequest) -> Result<HttpResponse, TransportError>> {
    let mut w = world(Scenario { completion, ..Default::default() }, None);
    w.external_auth_id = Some("ext_auth_01TEST".into());
    w.config = authkit_config();
    w
}

#[test]
fn an_authkit_bridge_sign_in_completes_at_authkit_and_is_audited() {
    let w = bridge_world((200, json!({"redirect_uri": "https://acme.authkit.app/oauth2/continue?state=abc"})));
    let (state, cookie) = w.begin(Some("/account"));
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(done.location, "https://acme.authkit.app/oauth2/continue?state=abc");
    assert!(done.audit.is_some(), "the bridge path is audited too");
    assert_eq!(w.sessions().len(), 1);
}

#[test]
fn a_completion_pointing_outside_authkit_is_refused_and_leaves_no_session() {
    let w = bridge_world((200, json!({"redirect_uri": "https://evil.example/steal"})));
    let (state, cookie) = w.begin(None);
    let err = w.finish(&state, Some(&cookie)).unwrap_err();
    assert!(matches!(err, SigninError::BridgeRedirectRefused(_)), "{err:?}");
    assert_eq!(err.view().status, 502);
    assert!(w.sessions().is_empty());
}

#[test]
fn authkit_completion_errors_get_readable_pages() {
    for (status, code, words) in [
        (400, "external_auth_session_already_completed", "already completed"),
        (400, "email_not_available", "another account"),
        (404, "", "expired"),
    ] {
        let w = bridge_world((status, json!({"code": code, "message": "x"})));
        let (state, cookie) = w.begin(None);
        let err = w.finish(&state, Some(&cookie)).unwrap_err();
        let view = err.view();
        assert_eq!(view.status, 400, "{code}");
        assert!(view.message.contains(words), "{code}: {}", view.message);
        assert!(w.sessions().is_empty());
    }
}

/// A signed-in browser's bridge request `secs` after its sign-in: where it is sent, if anywhere.
fn bridge_later<F: Fn(&HttpRequest) -> Result<HttpResponse, TransportError>>(
    w: &World<F>,
    done: &Completed,
    secs: u64,
    external_auth_id: &str,
) -> Result<Option<String>, SigninError> {
    let ctx = Ctx { now: NOW + secs, ..w.ctx() };
    block_on(complete_bridge_for_session(&ctx, &done.session_id, &done.session, external_auth_id))
}

/// A sign-in WorkOS scoped to Acme (no organization switch: the session keeps WorkOS's first
/// refresh token, `rt-1`).
fn scoped(session_ended: bool) -> Scenario {
    let claims = json!({"org_id": ACME, "role": "admin", "permissions": ["image_generation"]});
    Scenario { scoped_exchange: Some(claims), session_ended, ..Default::default() }
}

#[test]
fn a_signed_in_browser_completes_the_bridge_at_once() {
    let w = World { config: authkit_config(), ..world(scoped(false), None) };
    let (state, cookie) = w.begin(None);
    let done = w.finish(&state, Some(&cookie)).unwrap();
    let location = bridge_later(&w, &done, 5, "ext_auth_01TEST").unwrap().unwrap();
    assert!(location.starts_with("https://acme.authkit.app/"));
    assert!(matches!(bridge_later(&w, &done, 5, "bad id").unwrap_err(), SigninError::Bridge(_)));
    // Later, WorkOS confirms the session still stands (a refresh) and the rotated token is kept.
    let asked = w.http.paths().len();
    let location = bridge_later(&w, &done, 600, "ext_auth_01TEST").unwrap().unwrap();
    assert!(location.starts_with("https://acme.authkit.app/"));
    // (Alice has no external id yet: it is set, a PUT, before the completion; no GET of the user.)
    let users = "/user_management/users/user_alice";
    assert_eq!(w.http.paths()[asked..], ["/user_management/authenticate", users, "/authkit/oauth2/complete"]);
    let raw = w.store.map.borrow()[&crate::store::keys::session(&done.session_id)].0.clone();
    let kept: Session = serde_json::from_str(&raw).unwrap();
    assert_eq!(workos_refresh_token(&w.ctx(), &kept).as_deref(), Some("rt-2"), "still signed in, with the new token");
}

#[test]
fn a_bridge_request_after_the_workos_session_ended_completes_nothing_and_signs_out() {
    let w = World { config: authkit_config(), ..world(scoped(true), None) };
    let (state, cookie) = w.begin(None);
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(w.sessions().len(), 1);
    assert_eq!(bridge_later(&w, &done, 600, "ext_auth_01TEST").unwrap(), None, "the browser signs in again");
    assert!(!w.http.paths().iter().any(|p| p == "/authkit/oauth2/complete"), "nothing completed");
    assert!(w.sessions().is_empty(), "the ended session is gone here too");
}

/// In the Worker's own mode no AuthKit request waits for this server: a link carrying an
/// `external_auth_id` signs in as usual and asks WorkOS nothing for it.
#[test]
fn the_worker_mode_ignores_bridge_requests() {
    let mut w = world(scoped(false), None);
    w.external_auth_id = Some("ext_auth_01TEST".into());
    let (state, cookie) = w.begin(Some("/account"));
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(done.location, "/account", "an ordinary sign-in");
    let asked = w.http.paths().len();
    assert!(matches!(bridge_later(&w, &done, 600, "ext_auth_01TEST").unwrap_err(), SigninError::Bridge(_)));
    assert_eq!(w.http.paths().len(), asked, "nothing asked of WorkOS");
    assert!(!w.http.paths().iter().any(|p| p == "/authkit/oauth2/complete"));
}

/// A session whose WorkOS token is kept for an authorization request's grant: a bridge request
/// does not refresh that token (the grant may hold it); the browser signs in again, and the
/// session's record is gone with its cookie.
#[test]
fn a_token_kept_for_a_grant_is_not_refreshed_by_a_bridge_request() {
    let w = World { config: authkit_config(), ..world(scoped(false), None) };
    let (state, cookie) = w.begin(None);
    let mut done = w.finish(&state, Some(&cookie)).unwrap();
    done.session.handover_for = Some(crate::signin::handover_digest("/authorize?client_id=c"));
    let asked = w.http.paths().len();
    assert_eq!(bridge_later(&w, &done, 600, "ext_auth_01TEST").unwrap(), None, "signs in again");
    assert_eq!(w.http.paths().len(), asked, "no refresh, nothing completed");
    assert!(w.sessions().is_empty(), "a copy of the cookie signs nobody in");
}

/// What `/callback` does when a sign-in replaces the browser's session (the route's call is
/// covered end to end by `logout.test.mjs`): the session its old cookie named is gone, so a
/// logout leaves none behind and a copy of the old cookie signs nobody in; the new one stays.
#[test]
fn forgetting_the_replaced_session_deletes_the_old_one_only() {
    let w = world(Scenario::default(), None);
    let sign_in = || {
        let (state, cookie) = w.begin(None);
        w.finish(&state, Some(&cookie)).unwrap()
    };
    let (first, second) = (sign_in(), sign_in());
    let old = cookie_value(&first.set_cookie);
    assert_eq!(w.sessions().len(), 2);
    // The new session's own cookie, or none: nothing goes.
    block_on(forget_replaced_session(&w.ctx(), Some(&cookie_value(&second.set_cookie)), &second.session_id));
    block_on(forget_replaced_session(&w.ctx(), None, &second.session_id));
    assert_eq!(w.sessions().len(), 2);
    block_on(forget_replaced_session(&w.ctx(), Some(&old), &second.session_id));
    assert!(block_on(load_session(&w.ctx(), Some(&old))).unwrap().is_none(), "the old cookie signs nobody in");
    assert_eq!(w.sessions().len(), 1);
    let new = cookie_value(&second.set_cookie);
    assert!(block_on(load_session(&w.ctx(), Some(&new))).unwrap().is_some());
}
