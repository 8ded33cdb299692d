//! What an approval hands to its grant: the sign-in's standing and WorkOS token (once, to the
//! request that started the sign-in), or a refresh of its own; and the registration read once.
use super::*;

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
    w.refresh(&client, tokens.refresh()).unwrap();
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
    w.refresh(&client, tokens.refresh()).unwrap();
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
    assert_eq!(w.store.keys_with_prefix(&keys::user_grants_prefix(ALICE)).len(), 1, "one entry: the person's");
    assert!(w.exchange(&c, &code).is_ok());
}
