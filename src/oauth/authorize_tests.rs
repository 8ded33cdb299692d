//! `/authorize`: validation order, sign-in, consent, CSRF, remembered approval.
use super::*;

fn validate(w: &World, p: &AuthorizeParams) -> Checked {
    block_on(authorize::validate(&w.ctx(), p))
}

#[test]
fn unknown_client_or_unregistered_redirect_uri_is_a_page_never_a_redirect() {
    let w = world();
    let client = w.public_client();
    for p in [
        w.params("nope", &[]),
        w.params("", &[]),
        w.params(&client, &[("redirect_uri", "https://evil.example/cb")]),
        w.params(&client, &[("redirect_uri", "http://localhost:33418/oauth/callback/")]),
        // Even with other errors present, the redirect URI decides first (CVE-2025-4143).
        w.params(&client, &[("redirect_uri", "https://evil.example/cb"), ("response_type", "token")]),
    ] {
        assert!(matches!(validate(&w, &p), Checked::Refused(r) if r.status == 400), "{p:?}");
    }
}

#[test]
fn loopback_redirect_uris_may_change_port_only() {
    let w = world();
    let client = w.public_client();
    let ok = w.params(&client, &[("redirect_uri", "http://localhost:5555/oauth/callback")]);
    assert!(matches!(validate(&w, &ok), Checked::Valid(_)));
}

fn error_of(c: Checked) -> (String, Option<String>, Option<String>) {
    match c {
        Checked::ErrorRedirect(b) => {
            (query(&b.location, "error").unwrap(), query(&b.location, "state"), query(&b.location, "iss"))
        }
        other => panic!("expected an error redirect, got {other:?}"),
    }
}

#[test]
fn later_errors_redirect_with_state_and_iss() {
    let w = world();
    let c = w.public_client();
    let cases = [
        (w.params(&c, &[("response_type", "token")]), "unsupported_response_type"),
        (w.params(&c, &[("code_challenge", "")]), "invalid_request"),
        (w.params(&c, &[("code_challenge_method", "plain")]), "invalid_request"),
        (w.params(&c, &[("code_challenge_method", "")]), "invalid_request"),
        (w.params(&c, &[("resource", "https://evil.example/mcp")]), "invalid_target"),
    ];
    for (p, expected) in cases {
        let (error, state, iss) = error_of(validate(&w, &p));
        assert_eq!(error, expected, "{p:?}");
        assert_eq!(state.as_deref(), Some("st-1"));
        assert_eq!(iss.as_deref(), Some(ORIGIN));
    }
    let mut repeated = w.params(&c, &[]);
    repeated.repeated = Some("scope".into());
    assert_eq!(error_of(validate(&w, &repeated)).0, "invalid_request");
}

#[test]
fn not_signed_in_goes_straight_to_workos_and_comes_back_to_the_same_request() {
    let w = world();
    let c = w.public_client();
    let p = w.params(&c, &[("resource", "https://mcp.example.com/mcp")]);
    match block_on(consent::begin(&w.ctx(), &p, None, None)) {
        Next::WorkosSignIn { location, set_cookies } => {
            // No sign-in page of ours: WorkOS at once, with the state bound to this browser.
            assert!(location.contains("/user_management/authorize"), "{location}");
            assert!(query(&location, "login_hint").is_none(), "nobody is presumed");
            assert!(set_cookies.iter().any(|c| c.starts_with("__Host-mcp-signin=")));
            let state = query(&location, "state").expect("a state");
            let record: serde_json::Value = serde_json::from_str(
                &block_on(w.store.get(&crate::store::keys::signin_state(&state))).unwrap().expect("the one-time state"),
            )
            .unwrap();
            let return_to = record["return_to"].as_str().unwrap().to_string();
            assert!(return_to.starts_with("/authorize?"));
            assert_eq!(
                crate::return_path::safe_return_path(Some(&return_to)),
                return_to,
                "survives the return-path rule"
            );
            let back = AuthorizeParams::from_pairs(
                url::form_urlencoded::parse(return_to.split_once('?').unwrap().1.as_bytes())
                    .collect::<Vec<_>>()
                    .iter()
                    .map(|(k, v)| (k.as_ref(), v.as_ref())),
            );
            assert_eq!(AuthorizeParams { repeated: None, ..back }, p);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_signed_in_browser_sees_consent_with_the_redirect_host() {
    let w = world();
    let c = w.public_client();
    let s = w.sign_in();
    match block_on(consent::begin(&w.ctx(), &w.params(&c, &[]), Some(&s), None)) {
        Next::Consent(v) => {
            assert_eq!(v.client_name, "Test client");
            assert_eq!(v.redirect_host, "localhost:33418");
            assert_eq!(v.csrf.as_str(), "csrf-token");
            assert!(v.localhost_only);
            assert!(v.hidden.iter().any(|(k, val)| k == "client_id" && val == &c));
        }
        other => panic!("{other:?}"),
    }
    assert!(w.store.keys_with_prefix("oauth:grant:").is_empty(), "showing consent grants nothing");
}

#[test]
fn consent_needs_the_sessions_csrf_token_and_our_origin() {
    let w = world();
    let c = w.public_client();
    let s = w.sign_in();
    let p = w.params(&c, &[]);
    for (csrf, origin) in
        [(None, Some(ORIGIN)), (Some("wrong"), Some(ORIGIN)), (Some("csrf-token"), Some("https://evil.example"))]
    {
        let next = block_on(consent::decide(&w.ctx(), &p, Some("approve"), csrf, origin, Some(&s), None));
        assert!(matches!(next, Next::Page(ref r) if r.status == 403), "{csrf:?} {origin:?}: {next:?}");
    }
    assert!(w.store.keys_with_prefix("oauth:grant:").is_empty());
}

#[test]
fn approving_with_a_changed_redirect_uri_is_refused_without_redirect() {
    let w = world();
    let c = w.public_client();
    let s = w.sign_in();
    let p = w.params(&c, &[("redirect_uri", "https://evil.example/cb")]);
    let next = w.submit_approval(&p, &s);
    assert!(matches!(next, Next::Page(ref r) if r.status == 400), "{next:?}");
}

#[test]
fn deny_sends_access_denied_and_stores_nothing() {
    let w = world();
    let c = w.public_client();
    let s = w.sign_in();
    match block_on(consent::decide(
        &w.ctx(),
        &w.params(&c, &[]),
        Some("deny"),
        Some("csrf-token"),
        None,
        Some(&s),
        None,
    )) {
        Next::Redirect { location, set_cookies } => {
            assert_eq!(query(&location, "error").as_deref(), Some("access_denied"));
            assert!(set_cookies.is_empty());
        }
        other => panic!("{other:?}"),
    }
    assert!(w.store.keys_with_prefix("oauth:grant:").is_empty());
}

#[test]
fn approval_is_remembered_and_a_second_authorization_takes_a_fresh_workos_session() {
    let w = world();
    let c = w.public_client();
    let s = w.sign_in();
    let (code, consent_cookie) = w.approve(&w.params(&c, &[]), &s);
    assert!(code.starts_with("mcp_code_"));
    assert!(consent_cookie.starts_with(&format!("{CONSENT_COOKIE}=")));
    let sealed = consent_cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    // The session's WorkOS token seeded the first grant; the next authorization skips the
    // consent page and goes through WorkOS again for its own upstream session.
    match block_on(consent::begin(&w.ctx(), &w.params(&c, &[]), Some(&s), Some(sealed))) {
        Next::WorkosSignIn { location, set_cookies } => {
            assert!(location.contains("/user_management/authorize"));
            assert!(set_cookies.iter().any(|c| c.starts_with("__Host-mcp-signin=")));
        }
        other => panic!("{other:?}"),
    }
    // A fresh session (new WorkOS token) goes straight back to the client with a code.
    let s2 = w.sign_in();
    match block_on(consent::begin(&w.ctx(), &w.params(&c, &[]), Some(&s2), Some(sealed))) {
        Next::Redirect { location, .. } => assert!(query(&location, "code").is_some()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_invalid_request_for_a_client_nobody_approved_is_a_page_not_a_redirect() {
    // Anyone can register https://evil/ and link to /authorize?…&response_type=bad: without the
    // person's approval of that client the error must not send the browser there.
    let w = world();
    let (evil, _) =
        w.register(json!({"redirect_uris":["https://evil.example/cb"],"token_endpoint_auth_method":"none"}));
    let p = w.params(&evil, &[("response_type", "bad"), ("redirect_uri", "https://evil.example/cb")]);
    for session in [None, Some(w.sign_in())] {
        match block_on(consent::begin(&w.ctx(), &p, session.as_deref(), None)) {
            Next::Page(r) => {
                assert_eq!(r.status, 400);
                assert!(r.message.contains("response_type"), "{}", r.message);
            }
            other => panic!("signed in: {}: {other:?}", session.is_some()),
        }
    }
}

#[test]
fn an_invalid_request_for_an_approved_client_goes_back_to_it() {
    let w = world();
    let c = w.public_client();
    let s = w.sign_in();
    let (_, consent_cookie) = w.approve(&w.params(&c, &[]), &s);
    let sealed = consent_cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    let p = w.params(&c, &[("response_type", "bad")]);
    match block_on(consent::begin(&w.ctx(), &p, Some(&s), Some(sealed))) {
        Next::Redirect { location, .. } => {
            assert_eq!(query(&location, "error").as_deref(), Some("unsupported_response_type"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn approval_is_remembered_for_the_exact_redirect_uri_only() {
    // Approved for http://localhost:33418/…; a local process asking for another port gets the
    // consent page again, not a silent code (RFC 8252 §8.6).
    let w = world();
    let c = w.public_client();
    let s = w.sign_in();
    let (_, consent_cookie) = w.approve(&w.params(&c, &[]), &s);
    let sealed = consent_cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    let s2 = w.sign_in();
    let other_port = w.params(&c, &[("redirect_uri", "http://localhost:40000/oauth/callback")]);
    assert!(matches!(block_on(consent::begin(&w.ctx(), &other_port, Some(&s2), Some(sealed))), Next::Consent(_)));
    let same = w.params(&c, &[]);
    assert!(matches!(block_on(consent::begin(&w.ctx(), &same, Some(&s2), Some(sealed))), Next::Redirect { .. }));
}

#[test]
fn approval_asks_workos_for_the_refresh_and_the_memberships_together_and_nothing_more() {
    let w = world();
    let client = w.public_client();
    let s = w.sign_in();
    let before = w.http.paths().len();
    w.approve(&w.params(&client, &[]), &s);
    // (The JWKS is fetched too: this world's isolate has not verified a token yet.)
    let asked: Vec<String> =
        w.http.paths()[before..].iter().filter(|p| !p.starts_with("/sso/jwks/")).cloned().collect();
    assert_eq!(asked, ["/user_management/authenticate", "/user_management/organization_memberships"]);
}

#[test]
fn a_session_signed_in_moments_ago_hands_its_standing_and_workos_token_to_the_grant() {
    let w = world();
    let client = w.public_client();
    let s = w.sign_in_ago(30);
    let before = w.http.paths().len();
    let (code, _) = w.approve(&w.params(&client, &[]), &s);
    assert_eq!(w.http.paths()[before..], [] as [String; 0], "no WorkOS call: the sign-in just verified all of it");
    let tokens = w.exchange(&client, &code).unwrap();
    // The grant refreshes with the session's own WorkOS refresh token.
    let before = w.http.requests.borrow().len();
    w.refresh(&client, tokens.refresh_token.as_str()).unwrap();
    let sent = String::from_utf8(w.http.requests.borrow()[before].body.clone().unwrap()).unwrap();
    assert!(sent.contains("wrt-session-"), "{sent}");
    // The session's token is spent: this browser's next authorization goes through WorkOS.
    let again = w.submit_approval(&w.params(&client, &[]), &s);
    assert!(goes_to_workos(&again), "{again:?}");
}

fn goes_to_workos(next: &Next) -> bool {
    matches!(next, Next::WorkosSignIn { location, .. } if location.contains("/user_management/authorize"))
}

#[test]
fn the_sign_in_an_authorization_started_hands_its_token_to_that_grant_alone_and_writes_no_session() {
    let w = world();
    let client = w.public_client();
    let p = w.params(&client, &[]);
    let s = w.sign_in_for(&p, 5);
    let sessions = || -> Vec<String> {
        w.store.keys_with_prefix("session:").iter().map(|k| w.store.map.borrow()[k].0.clone()).collect()
    };
    let before = (sessions(), w.http.paths().len());
    let (code, _) = w.approve(&p, &s);
    assert_eq!(sessions(), before.0, "the session record is not written (KV: one write to a key per second)");
    assert_eq!(w.http.paths()[before.1..], [] as [String; 0], "no WorkOS call: the sign-in just verified all of it");
    let tokens = w.exchange(&client, &code).unwrap();
    let sent = w.http.requests.borrow().len();
    w.refresh(&client, tokens.refresh_token.as_str()).unwrap();
    let body = String::from_utf8(w.http.requests.borrow()[sent].body.clone().unwrap()).unwrap();
    assert!(body.contains("wrt-session-"), "the grant refreshes with the session's token: {body}");
    // The form sent again: its grant is made, so this submission gets its own sign-in, and no
    // second grant takes the token.
    let again = w.submit_approval(&p, &s);
    assert!(goes_to_workos(&again), "{again:?}");
    // Another request from this browser: its own sign-in too.
    let other = w.submit_approval(&w.params(&client, &[("state", "st-2")]), &s);
    assert!(goes_to_workos(&other), "{other:?}");
    assert_eq!(w.store.keys_with_prefix("oauth:grant:").len(), 1, "one grant holds the token");
    assert_eq!(sessions(), before.0, "and the session is never written");
}

#[test]
fn a_kept_token_is_not_refreshed_once_its_sign_in_is_older_than_the_handover() {
    let w = world();
    let client = w.public_client();
    let p = w.params(&client, &[]);
    // Read for longer than a minute: the token may have seeded this request's grant already (the
    // same form sent again), so it is not refreshed; a new sign-in re-reads who the person is.
    let s = w.sign_in_for(&p, 61);
    let before = w.http.paths().len();
    let next = w.submit_approval(&p, &s);
    assert!(goes_to_workos(&next), "{next:?}");
    assert_eq!(w.http.paths()[before..], [] as [String; 0], "no refresh at WorkOS");
    assert!(w.store.keys_with_prefix("oauth:grant:").is_empty());
}

#[test]
fn a_sign_ins_return_path_reads_back_as_the_authorization_request() {
    let w = world();
    let p = w.params("client-1", &[("scope", "mcp image_generation"), ("resource", "https://mcp.example.com/mcp")]);
    assert_eq!(AuthorizeParams::of_return_path(&p.path()), Some(p.clone()));
    assert_eq!(AuthorizeParams::of_return_path(&format!("{}#top", p.path())), Some(p));
    for other in ["/", "/authorize", "/authorizex?client_id=a", "/login?return_to=%2Fauthorize%3Fa%3Db"] {
        assert_eq!(AuthorizeParams::of_return_path(other), None, "{other}");
    }
}

#[test]
fn a_sign_in_that_just_finished_is_answered_as_authorize_would_with_its_new_session() {
    let w = world();
    let c = w.public_client();
    let p = w.params(&c, &[]);
    // The session record in hand (the sign-in has just written it): not read from KV.
    let session = w.session_record(0);
    match block_on(consent::begin_signed_in(&w.ctx(), &p, "session-just-made", &session, None)) {
        Next::Consent(v) => {
            assert_eq!(v.client_name, "Test client");
            assert_eq!(v.user_email, "alice@example.com");
            assert_eq!(v.csrf.as_str(), "csrf-token");
            assert!(v.hidden.iter().any(|(k, val)| k == "state" && val == "st-1"));
        }
        other => panic!("{other:?}"),
    }
    assert!(w.store.keys_with_prefix("oauth:grant:").is_empty(), "showing consent grants nothing");
    // A client this browser approved before: the code at once, with the sign-in's standing.
    let (_, consent_cookie) = w.approve(&p, &w.sign_in());
    let sealed = consent_cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    let before = w.http.paths().len();
    let fresh = w.session_record(0);
    let code = match block_on(consent::begin_signed_in(&w.ctx(), &p, "another-session", &fresh, Some(sealed))) {
        Next::Redirect { location, .. } => query(&location, "code").expect("a code"),
        other => panic!("{other:?}"),
    };
    assert_eq!(w.http.paths()[before..], [] as [String; 0], "no WorkOS call: the sign-in just verified all of it");
    assert!(w.exchange(&c, &code).is_ok());
    // An invalid request: back to a client this person approved, a page for any other.
    let bad = w.params(&c, &[("response_type", "bad")]);
    let back = block_on(consent::begin_signed_in(&w.ctx(), &bad, "s", &w.session_record(0), Some(sealed)));
    assert!(matches!(&back, Next::Redirect { location, .. } if location.contains("error=unsupported_response_type")));
    let page = block_on(consent::begin_signed_in(&w.ctx(), &bad, "s", &w.session_record(0), None));
    assert!(matches!(&page, Next::Page(r) if r.status == 400), "{page:?}");
}

#[test]
fn an_authorizations_hops_read_the_registration_once_per_isolate_for_a_minute() {
    let w = world();
    let c = w.public_client();
    let s = w.sign_in();
    // Registered in this isolate: with KV's record taken away, the isolate's copy still answers.
    let registration = w.store.map.borrow_mut().remove(&keys::oauth_client(&c)).unwrap();
    assert!(matches!(block_on(consent::begin(&w.ctx(), &w.params(&c, &[]), Some(&s), None)), Next::Consent(_)));
    // Used again half a minute on; a minute after it was read (a use does not extend it), KV is
    // read, and without the record the client is unknown.
    w.advance(crate::copies::KvCopies::FRESH_SECS / 2);
    assert!(matches!(validate(&w, &w.params(&c, &[])), Checked::Valid(_)));
    w.advance(crate::copies::KvCopies::FRESH_SECS / 2);
    let s = w.sign_in();
    assert!(matches!(validate(&w, &w.params(&c, &[])), Checked::Refused(r) if r.status == 400));
    w.store.map.borrow_mut().insert(keys::oauth_client(&c), registration);
    assert!(matches!(block_on(consent::begin(&w.ctx(), &w.params(&c, &[]), Some(&s), None)), Next::Consent(_)));
}

#[test]
fn the_consent_page_knows_its_grants_id_and_a_form_sent_twice_makes_a_second_grant() {
    let w = world();
    let c = w.public_client();
    let s = w.sign_in();
    let p = w.params(&c, &[]);
    let Next::Consent(view) = block_on(consent::begin(&w.ctx(), &p, Some(&s), None)) else { panic!("consent") };
    // Derived from the session and the request: the same page shown again names the same id;
    // another request, or another session, another id.
    let Next::Consent(again) = block_on(consent::begin(&w.ctx(), &p, Some(&s), None)) else { panic!("consent") };
    assert_eq!(again.grant_id, view.grant_id);
    assert!(super::super::grant::is_grant_id(view.grant_id.as_str()), "{}", view.grant_id);
    let other = w.params(&c, &[("state", "st-2")]);
    let Next::Consent(v2) = block_on(consent::begin(&w.ctx(), &other, Some(&s), None)) else { panic!("consent") };
    assert_ne!(v2.grant_id, view.grant_id);
    let Next::Consent(v3) = block_on(consent::begin(&w.ctx(), &p, Some(&w.sign_in()), None)) else { panic!("consent") };
    assert_ne!(v3.grant_id, view.grant_id);
    // Approved: the grant has that id.
    let (code, _) = w.approve(&p, &s);
    assert!(code.starts_with(&format!("mcp_code_{}.", view.grant_id)), "{code}");
    // The same form sent twice at once (both past the session's check): the second grant takes
    // a random id, and the first is not overwritten.
    let first = w.store.map.borrow()[&keys::oauth_grant(view.grant_id.as_str())].clone();
    let Checked::Valid(req) = validate(&w, &p) else { panic!("valid") };
    let principal = w.session_record(0).principal;
    let secrets = crate::oauth::grant::GrantSecrets {
        principal,
        workos_refresh_token: "wrt-x".to_string().into(),
        standing_at_ms: w.now.get(),
    };
    let issued = block_on(authorize::issue_code(&w.ctx(), &req, secrets, view.grant_id.clone()));
    let second = query(&issued.unwrap(), "code").unwrap();
    assert!(!second.starts_with(&format!("mcp_code_{}.", view.grant_id)), "{second}");
    assert_eq!(w.store.map.borrow()[&keys::oauth_grant(view.grant_id.as_str())], first);
    assert_eq!(w.store.keys_with_prefix("oauth:grant:").len(), 2);
    assert_eq!(w.store.keys_with_prefix(&keys::user_grants_prefix(ALICE)).len(), 2, "each grant indexed");
    assert!(w.exchange(&c, &code).is_ok());
}
