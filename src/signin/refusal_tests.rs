//! What a sign-in refuses, and that a refusal or a failure writes nothing: states, WorkOS and
//! JWKS failures, storage outages.
use super::test_world::*;
use super::*;
use crate::context::Ctx;
use crate::outbound::{HttpResponse, TransportError};
use crate::store::Store;
use crate::testing::{json_response, test_jwks};
use crate::workos::JwksCache;
use futures_executor::block_on;
use serde_json::json;

#[test]
fn state_refusals() {
    let w = world(Scenario::default(), None);
    let (state, cookie) = w.begin(None);
    let (other_state, other_cookie) = w.begin(None);
    let missing = block_on(complete(
        &w.ctx(),
        Callback { code: Some("code-1"), ..Default::default() },
        Some(&cookie),
        &ClientInfo::default(),
    ));
    assert_eq!(missing.unwrap_err(), SigninError::StateMissing);
    assert_eq!(w.finish(&state, None).unwrap_err(), SigninError::StateNotBound);
    assert_eq!(w.finish(&state, Some("garbage")).unwrap_err(), SigninError::StateNotBound);
    assert_eq!(w.finish(&state, Some(&other_cookie)).unwrap_err(), SigninError::StateForeign);
    // A state that never existed but is "bound" (sealed by us) is unknown.
    let forged = w.config.seal_keys.seal(SIGNIN_COOKIE, b"never-issued", NOW + 60);
    assert_eq!(w.finish("never-issued", Some(&forged)).unwrap_err(), SigninError::StateUnknown);
    // The legitimate pair works once, then is a replay.
    w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(w.finish(&state, Some(&cookie)).unwrap_err(), SigninError::StateUnknown);
    assert_eq!(w.sessions().len(), 1);
    // The other browser's flow is unaffected by all of this.
    w.finish(&other_state, Some(&other_cookie)).unwrap();
    for e in
        [SigninError::StateMissing, SigninError::StateNotBound, SigninError::StateForeign, SigninError::StateUnknown]
    {
        assert_eq!(e.view().status, 400);
    }
}

#[test]
fn an_expired_state_is_refused_even_if_its_cookie_still_opens() {
    let w = world(Scenario::default(), None);
    let (state, cookie) = w.begin(None);
    let late = Ctx { now: NOW + STATE_TTL + 1, ..w.ctx() };
    // The binding cookie sealed to outlive its record: the record's own age still counts.
    let (record, _) = w.kept_record(&cookie);
    let cookie = w.config.seal_keys.seal(SIGNIN_COOKIE, format!("{state}.{record}").as_bytes(), NOW + 10 * STATE_TTL);
    let r = block_on(complete(
        &late,
        Callback { state: Some(&state), code: Some("code-1"), ..Default::default() },
        Some(&cookie),
        &ClientInfo::default(),
    ));
    assert_eq!(r.unwrap_err(), SigninError::StateUnknown);
}

#[test]
fn missing_code_and_provider_errors_consume_the_state() {
    let w = world(Scenario::default(), None);
    let (state, cookie) = w.begin(None);
    let r = block_on(complete(
        &w.ctx(),
        Callback { state: Some(&state), ..Default::default() },
        Some(&cookie),
        &ClientInfo::default(),
    ));
    assert_eq!(r.unwrap_err(), SigninError::CodeMissing);
    assert_eq!(w.finish(&state, Some(&cookie)).unwrap_err(), SigninError::StateUnknown);

    let (state, cookie) = w.begin(None);
    let cb = Callback {
        state: Some(&state),
        error: Some("access_denied"),
        error_description: Some("User cancelled"),
        ..Default::default()
    };
    let err = block_on(complete(&w.ctx(), cb, Some(&cookie), &ClientInfo::default())).unwrap_err();
    assert_eq!(
        err,
        SigninError::Provider { error: "access_denied".into(), description: Some("User cancelled".into()) }
    );
    assert!(err.view().message.contains("User cancelled"));
    assert!(w.sessions().is_empty());
}

#[test]
fn workos_failures_become_clear_errors_and_write_nothing() {
    let unreachable = Err(TransportError::Timeout);
    let limited = Ok(HttpResponse {
        status: 429,
        headers: vec![("Retry-After".into(), "7".into())],
        body: br#"{"message":"Too many requests.","code":"rate_limit_exceeded"}"#.to_vec(),
    });
    let bad_gateway = Ok(HttpResponse { status: 502, headers: vec![], body: b"<html>bad gateway</html>".to_vec() });
    let bad_code = Ok(json_response(
        400,
        json!({"error":"invalid_grant","error_description":"The code 'x' has expired or is invalid."}),
    ));
    for (fault, status, retry) in
        [(unreachable, 503, None), (limited, 503, Some(7)), (bad_gateway, 502, None), (bad_code, 400, None)]
    {
        let w = world(Scenario { exchange_fault: Some(fault), ..Default::default() }, None);
        let (state, cookie) = w.begin(None);
        let err = w.finish(&state, Some(&cookie)).unwrap_err();
        assert!(matches!(err, SigninError::Workos(_)), "{err:?}");
        let view = err.view();
        assert_eq!((view.status, view.retry_after), (status, retry), "{err:?}");
        assert!(!err.log_line().contains("sk_test_secret"));
        assert!(w.sessions().is_empty());
        assert_eq!(w.used_states(), vec![crate::store::keys::signin_state_used(&state)], "the state is used up");
    }
}

#[test]
fn tokens_not_signed_by_workos_are_refused() {
    let w = world(Scenario { foreign_signer: true, ..Default::default() }, None);
    let (state, cookie) = w.begin(None);
    let err = w.finish(&state, Some(&cookie)).unwrap_err();
    assert!(matches!(err, SigninError::Token(_)), "{err:?}");
    assert_eq!(err.view().status, 502);
    assert!(w.sessions().is_empty());
}

#[test]
fn storage_outage_is_a_503_not_a_panic() {
    let w = world(Scenario::default(), None);
    let (state, cookie) = w.begin(None);
    *w.store.fail.borrow_mut() = true;
    // The state's used mark cannot be read: no sign-in.
    let err = w.finish(&state, Some(&cookie)).unwrap_err();
    assert!(matches!(err, SigninError::Storage(_)));
    assert_eq!(err.view().status, 503);
    // A record too long for the cookie cannot be kept: no sign-in starts.
    let long = format!("/authorize?state={}", "a".repeat(4000));
    let err = block_on(start(&w.ctx(), StartRequest { return_to: Some(&long), ..Default::default() })).unwrap_err();
    assert!(matches!(err, SigninError::Storage(_)));
    *w.store.fail.borrow_mut() = false;
    assert!(w.sessions().is_empty());
}

#[test]
fn a_sign_in_started_by_an_older_worker_completes() {
    // Before the record rode in the cookie, KV kept it and the cookie sealed the state alone.
    let w = world(Scenario::default(), None);
    let (state, cookie) = w.begin(Some("/account"));
    let (record, _) = w.kept_record(&cookie);
    let key = crate::store::keys::signin_state(&state);
    block_on(w.store.put(&key, &record.to_string(), STATE_TTL)).unwrap();
    let legacy = w.config.seal_keys.seal(SIGNIN_COOKIE, state.as_bytes(), NOW + STATE_TTL);
    assert_eq!(w.finish(&state, Some(&legacy)).unwrap().location, "/account");
    assert_eq!(w.finish(&state, Some(&legacy)).unwrap_err(), SigninError::StateUnknown, "once");
}

#[test]
fn stale_jwks_keep_verifying_while_workos_jwks_is_down() {
    let w = world(Scenario { jwks_down: true, ..Default::default() }, None);
    w.jwks.borrow_mut().load(&test_jwks(), NOW - 2 * JwksCache::TTL_SECS).unwrap();
    let (state, cookie) = w.begin(None);
    let done = w.finish(&state, Some(&cookie)).expect("stale keys still verify");
    assert_eq!(done.location, "/");
    assert_eq!(w.sessions().len(), 1);
}

#[test]
fn keys_a_day_old_are_not_used_while_workos_jwks_is_down() {
    let w = world(Scenario { jwks_down: true, ..Default::default() }, None);
    w.jwks.borrow_mut().load(&test_jwks(), NOW - crate::workos::key_cache::KeyCache::MAX_AGE_SECS).unwrap();
    let (state, cookie) = w.begin(None);
    let err = w.finish(&state, Some(&cookie)).unwrap_err();
    assert!(matches!(err, SigninError::Workos(_)), "{err:?}");
    assert!(w.sessions().is_empty());
}

#[test]
fn no_cached_jwks_and_workos_jwks_down_refuses_without_a_session() {
    let w = world(Scenario { jwks_down: true, ..Default::default() }, None);
    let (state, cookie) = w.begin(None);
    let err = w.finish(&state, Some(&cookie)).unwrap_err();
    assert!(matches!(err, SigninError::Workos(_)), "{err:?}");
    assert!(w.sessions().is_empty());
}

/// The log names a refusal and says why AuthKit refused a completion (no payload's `Debug`).
#[test]
fn refusals_are_logged_by_name() {
    assert_eq!(SigninError::StateForeign.log_line(), "sign-in refused: StateForeign");
    assert_eq!(SigninError::Csrf.log_line(), "sign-in refused: Csrf");
    let bridge = SigninError::Bridge("the external auth id has expired".into());
    assert_eq!(bridge.log_line(), "sign-in refused: AuthKit: the external auth id has expired");
}
