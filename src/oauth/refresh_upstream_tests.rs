//! `/token` refreshes when WorkOS does not answer as usual: a session that ended, an outage, a
//! failure after WorkOS rotated its refresh token, an answer that cannot be verified or is about
//! someone else. A client answered `invalid_grant` throws its refresh token away: that answer is
//! kept for what really ends the grant.
use super::token_tests::err;
use super::*;

#[test]
fn an_ended_workos_session_makes_refresh_fail_with_invalid_grant_and_changes_nothing() {
    let w = world();
    let (c, t1) = w.connected();
    w.up.ended.set(true);
    assert_eq!(err(w.refresh(&c, t1.refresh())), ErrorCode::InvalidGrant);
    w.up.ended.set(false);
    assert!(w.refresh(&c, t1.refresh()).is_ok(), "the grant was not half-updated");
}

#[test]
fn a_workos_glitch_during_refresh_is_temporarily_unavailable_and_changes_nothing() {
    let w = world();
    let (c, t1) = w.connected();
    // 401 and 403: WorkOS refusing this server (its API key), not the token, which a client
    // answered invalid_grant would throw away.
    for status in [200, 401, 403, 429, 500, 502, 503] {
        w.up.glitch.set(Some(status));
        let e = w.refresh(&c, t1.refresh()).expect_err("refused");
        assert_eq!(e.code, ErrorCode::TemporarilyUnavailable, "WorkOS {status} (200: a body that is not JSON)");
        assert!(e.retry_after.is_some(), "with Retry-After");
    }
    w.up.glitch.set(None);
    assert!(w.refresh(&c, t1.refresh()).is_ok(), "the same refresh token works once WorkOS is healthy");
}

#[test]
fn a_failure_after_workos_rotated_its_refresh_token_keeps_the_new_one_so_the_grant_lives() {
    let w = world();
    let (c, t1) = w.connected();
    // WorkOS answers the refresh (and spends its old refresh token), then rate-limits the
    // membership lookup that follows.
    w.up.memberships_limited.set(true);
    assert_eq!(err(w.refresh(&c, t1.refresh())), ErrorCode::TemporarilyUnavailable);
    assert_eq!(err(w.refresh(&c, t1.refresh())), ErrorCode::TemporarilyUnavailable, "and again");
    w.up.memberships_limited.set(false);
    let t2 = w.refresh(&c, t1.refresh()).expect("the grant still refreshes: it kept WorkOS's newest refresh token");
    assert!(w.refresh(&c, t2.refresh()).is_ok());
}

/// WorkOS spends the grant's token for another person (never expected): the refresh is refused,
/// and the grant ends (its WorkOS token is spent) rather than fail again at every refresh.
#[test]
fn a_refresh_answered_for_another_person_ends_the_grant() {
    let w = world();
    let (c, t) = w.connected();
    w.up.someone_else.set(true);
    assert_eq!(err(w.refresh(&c, t.refresh())), ErrorCode::InvalidGrant);
    w.up.someone_else.set(false);
    w.advance(access::GRANT_CHECK_SECS + 1);
    assert_eq!(w.bearer(t.access_token.as_str(), "/mcp").unwrap_err(), BearerError::Revoked);
}

/// WorkOS rotates the grant's refresh token, but the access token it sends with the new one cannot
/// be verified here (a key this isolate cannot fetch yet, an issuer not configured): a trouble of
/// this server's, not an ended session. The client keeps its refresh token (503), and the grant
/// kept WorkOS's new one, so the client's retry works.
#[test]
fn an_unverifiable_workos_token_after_the_rotation_is_temporarily_unavailable() {
    let w = world();
    let (c, t1) = w.connected();
    w.up.unverifiable.set(true);
    let e = w.refresh(&c, t1.refresh()).expect_err("refused");
    assert_eq!((e.code, e.retry_after.is_some()), (ErrorCode::TemporarilyUnavailable, true));
    w.up.unverifiable.set(false);
    let t2 = w.refresh(&c, t1.refresh()).expect("the same refresh token works: the grant kept WorkOS's new one");
    assert!(w.refresh(&c, t2.refresh()).is_ok());
}
