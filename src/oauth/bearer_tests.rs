//! Bearer checks (the isolate's caches, refusals, the deployment a token belongs to) and `/revoke`.
use super::*;

#[test]
fn bearer_checks_read_kv_at_most_once_a_minute_per_grant() {
    let w = world();
    let (c, t) = w.connected();
    assert!(w.bearer(t.access_token.as_str(), "/mcp").is_ok());
    *w.store.fail.borrow_mut() = true;
    assert!(w.bearer(t.access_token.as_str(), "/mcp").is_ok(), "answered from the isolate cache");
    w.now.set(w.now.get() + access::GRANT_CHECK_SECS);
    assert_eq!(w.bearer(t.access_token.as_str(), "/mcp").unwrap_err(), BearerError::Unavailable);
    *w.store.fail.borrow_mut() = false;
    assert!(w.bearer(t.access_token.as_str(), "/mcp").is_ok(), "KV back: looked up and cached again");
    // Revocation is seen once the cached answer is a minute old.
    let form = Form::parse(
        Some("application/x-www-form-urlencoded"),
        format!("token={}&client_id={c}", t.refresh()).as_bytes(),
    )
    .unwrap();
    let ctx = w.ctx();
    let client = block_on(client_auth::authenticate_client(&ctx, &form, None)).unwrap();
    assert!(block_on(super::super::revocation::revoke(&ctx, &client, &form)).unwrap().is_some());
    assert!(w.bearer(t.access_token.as_str(), "/mcp").is_ok(), "still cached");
    w.now.set(w.now.get() + access::GRANT_CHECK_SECS);
    assert_eq!(w.bearer(t.access_token.as_str(), "/mcp").unwrap_err(), BearerError::Revoked);
}

#[test]
fn bad_bearer_tokens_are_refused() {
    let w = world();
    let (_, t) = w.connected();
    assert_eq!(w.bearer("mcp_at_garbage", "/mcp").unwrap_err(), BearerError::Invalid);
    assert_eq!(w.bearer(t.refresh(), "/mcp").unwrap_err(), BearerError::Invalid);
    let auth = |h: Option<&str>| {
        block_on(access::authenticate(&w.config.seal_keys, ORIGIN, &w.store, &w.checks, h, "/mcp", w.now.get()))
    };
    assert_eq!(auth(None).unwrap_err(), BearerError::Missing);
    assert_eq!(auth(Some("Basic abc")).unwrap_err(), BearerError::Missing);
    assert!(auth(Some(&format!("bearer {}", t.access_token.as_str()))).is_ok(), "scheme is case-insensitive");
    for spaced in ["Bearer a\tb", "Bearer a\x0bb", "Bearer a b", "Bearer a\u{a0}b", "Bearer é\u{2003}b", "Bearer "] {
        assert_eq!(access::bearer_token(Some(spaced)), None, "{spaced:?}");
    }
    assert_eq!(access::bearer_token(Some(" Bearer  é1 ")), Some("é1"));
    w.now.set(w.now.get() + super::super::grant::ACCESS_TTL);
    assert_eq!(w.bearer(t.access_token.as_str(), "/mcp").unwrap_err(), BearerError::Invalid, "expired");
}

#[test]
fn an_isolate_opens_each_token_once() {
    let w = world();
    let (_, t) = w.connected();
    let token = t.access_token.as_str();
    let with_keys = |keys: &crate::seal::SealKeys, token: &str| {
        let header = format!("Bearer {token}");
        block_on(access::authenticate(keys, ORIGIN, &w.store, &w.checks, Some(&header), "/mcp", w.now.get()))
    };
    let other_keys = crate::seal::SealKeys::parse("another key and not the deployment's own one").unwrap();
    assert_eq!(with_keys(&other_keys, token).unwrap_err(), BearerError::Invalid, "not yet opened here");
    assert!(w.bearer(token, "/mcp").is_ok());
    // Now remembered: keys that could not open it are not needed again.
    assert_eq!(with_keys(&other_keys, token).unwrap().principal.user_id, ALICE);
    // Only that exact token: one character changed is opened (and refused) anew.
    let last = token.chars().last().unwrap();
    let altered = format!("{}{}", &token[..token.len() - 1], if last == 'A' { 'B' } else { 'A' });
    assert_eq!(w.bearer(&altered, "/mcp").unwrap_err(), BearerError::Invalid);
    // The memory is bounded: after as many other tokens as it holds, the first is opened again.
    let claims = w.bearer(token, "/mcp").unwrap();
    for i in 0..access::MAX_OPENED_TOKENS {
        let other = access::AccessClaims { expires_at: claims.expires_at - 1 - i as u64, ..claims.clone() };
        assert!(w.bearer(&access::issue(&w.config.seal_keys, &other), "/mcp").is_ok());
    }
    assert_eq!(with_keys(&other_keys, token).unwrap_err(), BearerError::Invalid, "forgotten, so opened anew");
    // A remembered token still expires.
    assert!(w.bearer(token, "/mcp").is_ok());
    w.now.set(w.now.get() + super::super::grant::ACCESS_TTL);
    assert_eq!(with_keys(&other_keys, token).unwrap_err(), BearerError::Invalid, "expired");
}

#[test]
fn a_client_cannot_revoke_another_clients_tokens() {
    let w = world();
    let (c, t) = w.connected();
    let other = w.public_client();
    let ctx = w.ctx();
    for token in [t.refresh(), t.access_token.as_str()] {
        let form = Form::parse(
            Some("application/x-www-form-urlencoded"),
            format!("token={token}&client_id={other}").as_bytes(),
        )
        .unwrap();
        let client = block_on(client_auth::authenticate_client(&ctx, &form, None)).unwrap();
        assert_eq!(block_on(super::super::revocation::revoke(&ctx, &client, &form)).unwrap(), None);
    }
    assert!(w.refresh(&c, t.refresh()).is_ok());
}

#[test]
fn a_token_is_accepted_only_by_the_deployment_that_issued_it() {
    // Two deployments sharing COOKIE_ENCRYPTION_KEY: the other one's token is not ours.
    let w = world();
    let (_, t) = w.connected();
    assert!(w.bearer(t.access_token.as_str(), "/mcp").is_ok());
    let elsewhere = block_on(access::authenticate(
        &w.config.seal_keys,
        "https://other.example.com",
        &w.store,
        &w.checks,
        Some(&format!("Bearer {}", t.access_token.as_str())),
        "/mcp",
        w.now.get(),
    ));
    assert_eq!(elsewhere.unwrap_err(), BearerError::Invalid);
}

#[test]
fn each_endpoint_is_routed_by_the_field_it_acts_on() {
    let w = world();
    let (c, a) = w.connected();
    let (_, b) = w.connected();
    let route = |path: &str, body: String| {
        let form = Form::parse(Some("application/x-www-form-urlencoded"), body.as_bytes()).unwrap();
        token::grant_of_request(&w.config.seal_keys, path, &form, w.now.get())
    };
    // A revocation of B's access token that also carries A's refresh token goes to B's grant,
    // whose object revokes it: the `grant_type` fields are not /revoke's.
    let mixed = format!(
        "token={}&grant_type=refresh_token&refresh_token={}&client_id={c}",
        b.access_token.as_str(),
        a.refresh()
    );
    assert_eq!(route("/revoke", mixed.clone()), Some(grant_of(&b)));
    assert_eq!(route("/token", mixed), Some(grant_of(&a)), "/token acts on the refresh token");
    let only_token = format!("token={}&client_id={c}", a.refresh());
    assert_eq!(route("/revoke", only_token.clone()), Some(grant_of(&a)));
    assert_eq!(route("/token", only_token), None, "no grant_type: answered without a grant");
}

#[test]
fn a_revoked_grants_tokens_stay_refused_when_its_id_is_made_again() {
    let w = world();
    let c = w.public_client();
    let params = w.params(&c, &[]);
    let s = w.sign_in_for(&params, 5);
    let (code, _) = w.approve(&params, &s);
    let first = w.exchange(&c, &code).unwrap();
    block_on(super::super::grant::revoke(&w.store, &grant_of(&first))).unwrap();
    w.advance(10);
    // The same request approved again by the same young sign-in: the grant's id was free again.
    let (code, _) = w.approve(&params, &s);
    let second = w.exchange(&c, &code).unwrap();
    assert_eq!(grant_of(&second), grant_of(&first), "the same id");
    assert!(w.bearer(second.access_token.as_str(), "/mcp").is_ok());
    assert_eq!(w.bearer(first.access_token.as_str(), "/mcp").unwrap_err(), BearerError::Revoked);
    // Nor does one of them revoke the grant made again (RFC 7009: an unknown token is ignored).
    let form = format!("token={}&client_id={c}", first.access_token.as_str());
    let form = Form::parse(Some("application/x-www-form-urlencoded"), form.as_bytes()).unwrap();
    let client = block_on(client_auth::authenticate_client(&w.ctx(), &form, None)).unwrap();
    assert_eq!(block_on(super::super::revocation::revoke(&w.ctx(), &client, &form)).unwrap(), None);
    w.advance(access::GRANT_CHECK_SECS);
    assert!(w.bearer(second.access_token.as_str(), "/mcp").is_ok(), "the new grant stands");
}

#[test]
fn a_token_from_before_standing_times_were_kept_is_refused_once_its_user_has_a_mark() {
    let w = world();
    let (c, t) = w.connected();
    let claims = w.bearer(t.access_token.as_str(), "/mcp").unwrap();
    let legacy = access::issue(&w.config.seal_keys, &access::AccessClaims { standing_at_ms: 0, ..claims });
    w.advance(access::GRANT_CHECK_SECS);
    assert!(w.bearer(&legacy, "/mcp").is_ok(), "no mark: as before");
    w.mark_changed(&crate::store::keys::access_changed(ALICE));
    w.advance(access::GRANT_CHECK_SECS);
    assert_eq!(w.bearer(&legacy, "/mcp").unwrap_err(), BearerError::Changed);
    assert_eq!(w.bearer(t.access_token.as_str(), "/mcp").unwrap_err(), BearerError::Changed, "older than the mark");
    let fresh = w.refresh(&c, t.refresh()).unwrap();
    assert!(w.bearer(fresh.access_token.as_str(), "/mcp").is_ok());
}

#[test]
fn a_grant_looked_at_for_one_role_is_looked_at_again_for_another() {
    let w = world();
    let (_, t) = w.connected();
    let claims = w.bearer(t.access_token.as_str(), "/mcp").unwrap();
    // A token of the same grant sealed with another role (one from before a refresh changed it).
    let mut principal = claims.principal.clone();
    principal.role = Some("member".into());
    let other = access::issue(&w.config.seal_keys, &access::AccessClaims { principal, ..claims });
    assert!(w.bearer(&other, "/mcp").is_ok());
    // That role changes, in an event that did not reach the grant. Within the minute, each token
    // is judged by its own role's mark, whichever looked at the grant last.
    w.mark_changed(&crate::store::keys::role_changed("member"));
    assert!(w.bearer(t.access_token.as_str(), "/mcp").is_ok(), "the admin token: not that role's mark");
    assert_eq!(w.bearer(&other, "/mcp").unwrap_err(), BearerError::Changed);
}

/// What an event reported applies to the tokens whose standing WorkOS reported before the event
/// arrived, not to those read after it, to the millisecond (both may fall within one second).
#[test]
fn an_events_reading_applies_only_to_tokens_whose_standing_is_older() {
    use crate::oauth::current_access::CurrentAccess;
    use crate::oauth::workos_events::{change_grant, GrantChange};
    let w = world();
    let (_, t) = w.connected();
    let claims = w.bearer(t.access_token.as_str(), "/mcp").unwrap();
    assert_eq!(claims.principal.role.as_deref(), Some("admin"));
    // A token whose standing was read half a second into the second it was issued in.
    let read_at = claims.issued_at * 1000 + 500;
    let token = access::issue(&w.config.seal_keys, &access::AccessClaims { standing_at_ms: read_at, ..claims.clone() });
    let user = crate::ids::UserId::new(ALICE);
    let role_after = |at_ms: u64| {
        let member = GrantChange::Access(CurrentAccess::new(Some("member".into()), vec![], vec![], at_ms));
        let now = w.now.get();
        assert!(block_on(change_grant(&w.store, &claims.grant_id, &user, &member, now)).unwrap());
        w.advance(access::GRANT_CHECK_SECS);
        w.bearer(&token, "/mcp").unwrap().principal.role
    };
    assert_eq!(role_after(read_at - 300).as_deref(), Some("admin"), "an event earlier in the same second");
    assert_eq!(role_after(read_at + 300).as_deref(), Some("member"), "an event after the token's reading");
    // A later event in the same second whose reading has not reached the grant: its mark refuses
    // the token (the reading the grant holds is older than the mark), until its reading lands.
    let mark = crate::store::keys::access_changed(ALICE);
    block_on(access::note_change(&w.store, &mark, read_at + 400)).unwrap();
    w.advance(access::GRANT_CHECK_SECS);
    assert_eq!(w.bearer(&token, "/mcp").unwrap_err(), BearerError::Changed);
    assert_eq!(role_after(read_at + 400).as_deref(), Some("member"), "the mark's own reading reached the grant");
}

/// A grant whose reading was written before readings were dated to the millisecond (only `at`,
/// by the version before, during a deployment) still counts as reached by its own event's mark.
#[test]
fn a_reading_dated_in_seconds_reaches_its_own_events_mark() {
    use crate::oauth::current_access::CurrentAccess;
    let w = world();
    let (_, t) = w.connected();
    let claims = w.bearer(t.access_token.as_str(), "/mcp").unwrap();
    let second = claims.issued_at + 5;
    let mut g = block_on(super::super::grant::load(&w.store, &claims.grant_id, w.now.get())).unwrap().unwrap();
    let old: CurrentAccess =
        serde_json::from_value(serde_json::json!({"role": "member", "permissions": [], "at": second})).unwrap();
    g.access = Some(old);
    block_on(super::super::grant::save(&w.store, &mut g, w.now.get())).unwrap();
    block_on(access::note_change(&w.store, &crate::store::keys::access_changed(ALICE), second * 1000 + 500)).unwrap();
    w.advance(access::GRANT_CHECK_SECS);
    let seen = w.bearer(t.access_token.as_str(), "/mcp").expect("not refused for its own event's mark");
    assert_eq!(seen.principal.role.as_deref(), Some("member"));
}

/// A token from before standing times were kept (`standing_at_ms` 0) takes only readings from
/// events that arrived after it was issued, as before.
#[test]
fn a_token_without_a_standing_time_takes_only_readings_after_its_issue() {
    use crate::oauth::current_access::CurrentAccess;
    use crate::oauth::workos_events::{change_grant, GrantChange};
    let w = world();
    let (_, t) = w.connected();
    let claims = w.bearer(t.access_token.as_str(), "/mcp").unwrap();
    let legacy = access::issue(&w.config.seal_keys, &access::AccessClaims { standing_at_ms: 0, ..claims.clone() });
    let user = crate::ids::UserId::new(ALICE);
    let role_after = |at_ms: u64| {
        let member = GrantChange::Access(CurrentAccess::new(Some("member".into()), vec![], vec![], at_ms));
        assert!(block_on(change_grant(&w.store, &claims.grant_id, &user, &member, w.now.get())).unwrap());
        w.advance(access::GRANT_CHECK_SECS);
        w.bearer(&legacy, "/mcp").unwrap().principal.role
    };
    let issued_ms = claims.issued_at * 1000;
    assert_eq!(role_after(issued_ms - 1).as_deref(), Some("admin"), "a reading from before its issue");
    assert_eq!(role_after(issued_ms).as_deref(), Some("member"), "one from its issue on");
}

#[test]
fn tokens_work_only_at_their_resource() {
    let w = world();
    let c = w.public_client();
    let s = w.sign_in();
    let (code, _) = w.approve(&w.params(&c, &[("resource", "https://mcp.example.com/sse")]), &s);
    let t = w.exchange(&c, &code).unwrap();
    assert!(w.bearer(t.access_token.as_str(), "/sse").is_ok());
    assert!(w.bearer(t.access_token.as_str(), "/sse/message").is_ok());
    assert_eq!(w.bearer(t.access_token.as_str(), "/mcp").unwrap_err(), BearerError::WrongAudience);
    let widen = [
        ("grant_type", "refresh_token"),
        ("client_id", c.as_str()),
        ("refresh_token", t.refresh()),
        ("resource", ORIGIN),
    ];
    assert_eq!(w.token(&widen).unwrap_err().code, ErrorCode::InvalidTarget, "a refresh cannot widen the audience");
}
