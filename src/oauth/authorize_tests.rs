//! `/authorize`: validation order, sign-in, consent, CSRF, remembered approval.
use super::*;

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
            let bound = set_cookies.iter().find_map(|c| c.strip_prefix("__Host-mcp-signin=")).unwrap();
            let bound = bound.split(';').next().unwrap();
            let (record, _) = crate::signin::kept_record(&w.config.seal_keys, &w.store, bound, w.ctx().now);
            assert_eq!(state.len(), 43, "a 256-bit state");
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
    // An unknown response type, and none at all (a missing parameter: RFC 6749 §4.1.2.1).
    for (response_type, error) in [("bad", "unsupported_response_type"), ("", "invalid_request")] {
        let p = w.params(&c, &[("response_type", response_type)]);
        match block_on(consent::begin(&w.ctx(), &p, Some(&s), Some(sealed))) {
            Next::Redirect { location, .. } => assert_eq!(query(&location, "error").as_deref(), Some(error)),
            other => panic!("{other:?}"),
        }
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
fn revoking_the_app_withdraws_its_remembered_approval_on_every_browser() {
    let w = world();
    let c = w.public_client();
    let s = w.sign_in();
    let (code, consent_cookie) = w.approve(&w.params(&c, &[]), &s);
    let t = w.exchange(&c, &code).unwrap();
    let sealed = consent_cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    let grant = grant_of(&t);
    w.advance(1);
    assert!(
        block_on(super::super::connected::revoke(&w.ctx(), &crate::ids::UserId::new(ALICE), grant.as_str())).unwrap()
    );
    // The app sends the browser (this one, or another that remembers the approval) back: the
    // person is asked again, and approving again is remembered anew.
    let again = w.params(&c, &[]);
    assert!(matches!(block_on(consent::begin(&w.ctx(), &again, Some(&w.sign_in()), Some(sealed))), Next::Consent(_)));
    w.advance(1);
    let (_, renewed) = w.approve(&again, &w.sign_in());
    let renewed = renewed.split(';').next().unwrap().split_once('=').unwrap().1;
    let s3 = w.sign_in();
    assert!(matches!(block_on(consent::begin(&w.ctx(), &again, Some(&s3), Some(renewed))), Next::Redirect { .. }));
}
