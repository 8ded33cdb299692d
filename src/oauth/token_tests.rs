//! `/token`: code exchanges and refreshes, and how clients authenticate there.
use super::*;

pub(super) fn err(r: Result<TokenResponse, super::super::OAuthError>) -> ErrorCode {
    match r {
        Err(e) => e.code,
        Ok(t) => panic!("expected an error, got tokens (scope {})", t.scope),
    }
}

#[test]
fn a_code_becomes_tokens_with_the_users_permissions_as_scope() {
    let w = world();
    let (_, t) = w.connected();
    assert!(t.access_token.as_str().starts_with("mcp_at_") && t.refresh().starts_with("mcp_rt_"));
    assert_eq!(t.token_type, "Bearer");
    assert_eq!(t.expires_in, 3600);
    assert_eq!(t.scope, "mcp image_generation");
    let claims = w.bearer(t.access_token.as_str(), "/mcp").unwrap();
    assert_eq!(claims.principal.user_id, ALICE);
    assert_eq!(claims.principal.permissions, vec!["image_generation".to_string()]);
}

#[test]
fn kv_holds_no_usable_secret() {
    let w = world();
    let (_, t) = w.connected();
    // (The browser session record is not OAuth data; it keeps the principal by design.)
    let dump: String =
        w.store.map.borrow().iter().filter(|(k, _)| k.starts_with("oauth:")).map(|(_, (v, _))| v.clone()).collect();
    for secret in [t.access_token.as_str(), t.refresh(), "wrt-1", "alice@example.com"] {
        assert!(!dump.contains(secret), "{secret} in KV");
    }
}

#[test]
fn pkce_is_enforced_at_the_token_endpoint() {
    let w = world();
    let c = w.public_client();
    let s = w.sign_in();
    let (code, _) = w.approve(&w.params(&c, &[]), &s);
    let base = [("grant_type", "authorization_code"), ("client_id", c.as_str()), ("code", code.as_str())];
    assert_eq!(err(w.token(&base)), ErrorCode::InvalidGrant, "no verifier");
    let mut wrong = base.to_vec();
    wrong.push(("code_verifier", "b-verifier-that-is-long-enough-for-rfc-7636-0123456789"));
    assert_eq!(err(w.token(&wrong)), ErrorCode::InvalidGrant, "wrong verifier");
    assert!(w.exchange(&c, &code).is_ok(), "a failed attempt does not burn the code");
}

#[test]
fn a_reused_code_revokes_the_grant_and_its_tokens() {
    let w = world();
    let c = w.public_client();
    let s = w.sign_in();
    let (code, _) = w.approve(&w.params(&c, &[]), &s);
    let t = w.exchange(&c, &code).unwrap();
    w.advance(3);
    assert_eq!(err(w.exchange(&c, &code)), ErrorCode::InvalidGrant);
    assert_eq!(err(w.refresh(&c, t.refresh())), ErrorCode::InvalidGrant);
    assert_eq!(w.bearer(t.access_token.as_str(), "/mcp").unwrap_err(), BearerError::Revoked);
}

#[test]
fn codes_are_bound_to_client_redirect_uri_and_lifetime() {
    let w = world();
    let c = w.public_client();
    let other = w.public_client();
    let s = w.sign_in();
    let (code, _) = w.approve(&w.params(&c, &[]), &s);
    assert_eq!(err(w.exchange(&other, &code)), ErrorCode::InvalidGrant, "another client");
    let wrong_redirect = [
        ("grant_type", "authorization_code"),
        ("client_id", c.as_str()),
        ("code", code.as_str()),
        ("code_verifier", VERIFIER),
        ("redirect_uri", "http://localhost:1/oauth/callback"),
    ];
    assert_eq!(err(w.token(&wrong_redirect)), ErrorCode::InvalidGrant);
    w.now.set(T0 + super::super::grant::CODE_TTL + 1);
    assert_eq!(err(w.exchange(&c, &code)), ErrorCode::InvalidGrant, "expired");
}

#[test]
fn reusing_a_replaced_refresh_token_revokes_the_grant_and_everything_issued_from_it() {
    // T1 → T2 → T3, then T1 again: reuse. T3 and its access token die with the grant.
    let w = world();
    let (c, t1) = w.connected();
    let t2 = w.refresh(&c, t1.refresh()).unwrap();
    assert_ne!(t2.refresh_token, t1.refresh_token);
    let t3 = w.refresh(&c, t2.refresh()).unwrap();
    let e = w.refresh(&c, t1.refresh()).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidGrant);
    assert!(e.description.contains("revoked"), "{}", e.description);
    assert_eq!(err(w.refresh(&c, t3.refresh())), ErrorCode::InvalidGrant, "the newest token dies too");
    assert_eq!(w.bearer(t3.access_token.as_str(), "/mcp").unwrap_err(), BearerError::Revoked);
}

#[test]
fn a_thief_replaying_the_old_token_cannot_keep_the_grant_alive() {
    // The client refreshed T1 → T2 and has not used T2 yet; a thief holding T1 uses it twice.
    let w = world();
    let (c, t1) = w.connected();
    let t2 = w.refresh(&c, t1.refresh()).unwrap();
    w.advance(3);
    let stolen = w.refresh(&c, t1.refresh()).expect("the one grace use (it looks like a lost response)");
    assert_eq!(err(w.refresh(&c, t1.refresh())), ErrorCode::InvalidGrant, "the second replay is reuse");
    for t in [&t2, &stolen] {
        assert_eq!(err(w.refresh(&c, t.refresh())), ErrorCode::InvalidGrant, "the grant is gone for everyone");
    }
}

#[test]
fn a_lost_refresh_response_is_survivable_once_within_the_grace() {
    let w = world();
    let (c, t1) = w.connected();
    let lost = w.refresh(&c, t1.refresh()).unwrap();
    w.advance(30);
    let t3 = w.refresh(&c, t1.refresh()).expect("rt1 works once more within 60 s while rt2 is unused");
    assert_eq!(
        err(w.refresh(&c, lost.refresh())),
        ErrorCode::InvalidGrant,
        "the token the lost response carried is retired"
    );
    assert_eq!(err(w.refresh(&c, t3.refresh())), ErrorCode::InvalidGrant, "…and presenting it was reuse");
}

#[test]
fn after_the_grace_the_replaced_token_is_reuse() {
    let w = world();
    let (c, t1) = w.connected();
    let t2 = w.refresh(&c, t1.refresh()).unwrap();
    w.advance(61);
    assert_eq!(err(w.refresh(&c, t1.refresh())), ErrorCode::InvalidGrant);
    assert_eq!(err(w.refresh(&c, t2.refresh())), ErrorCode::InvalidGrant, "grant revoked");
}

#[test]
fn concurrent_uses_of_one_refresh_token_have_one_winner_and_nothing_is_revoked() {
    // Twenty requests with T1 reach the grant's object together; it runs them one at a time.
    let w = world();
    let (c, t1) = w.connected();
    let arrived = w.http.clock_ms.get() + 1;
    let outcomes: Vec<_> = (0..20)
        .map(|_| {
            w.token_arriving(
                &[("grant_type", "refresh_token"), ("client_id", &c), ("refresh_token", t1.refresh())],
                arrived,
            )
        })
        .collect();
    let winners: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1);
    for e in outcomes.iter().filter_map(|o| o.as_ref().err()) {
        assert_eq!(e.code, ErrorCode::InvalidGrant);
        assert!(
            e.description.contains("already used") && !e.description.contains("revoked"),
            "a truthful reason: {}",
            e.description
        );
    }
    assert!(w.refresh(&c, winners[0].refresh()).is_ok(), "the winner's token still refreshes: nothing was revoked");
}

#[test]
fn concurrent_exchanges_of_one_code_have_one_winner_and_a_later_replay_revokes() {
    let w = world();
    let c = w.public_client();
    let s = w.sign_in();
    let (code, _) = w.approve(&w.params(&c, &[]), &s);
    // All arrive before the first is done (its redemption is stamped with the clock as it ends).
    let arrived = w.http.clock_ms.get();
    let pairs = [
        ("grant_type", "authorization_code"),
        ("client_id", c.as_str()),
        ("code", code.as_str()),
        ("code_verifier", VERIFIER),
    ];
    let outcomes: Vec<_> = (0..50).map(|_| w.token_arriving(&pairs, arrived)).collect();
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "one success");
    let concurrent = |e: &super::super::OAuthError| {
        e.code == ErrorCode::InvalidGrant
            && e.description.contains("at the same time")
            && !e.description.contains("revoked")
    };
    assert_eq!(outcomes.iter().filter(|o| o.as_ref().is_err_and(concurrent)).count(), 49);
    let t = outcomes.into_iter().find_map(Result::ok).unwrap();
    assert_eq!(
        w.bearer(t.access_token.as_str(), "/mcp").map(|c| c.client_id.to_string()),
        Ok(c.clone()),
        "the winner's tokens work"
    );
    // Within two seconds a replay counts as sent together (refused, nothing revoked); later it
    // revokes everything issued from the code.
    let soon = w.exchange(&c, &code).unwrap_err();
    assert!(
        soon.description.contains("at the same time") && !soon.description.contains("revoked"),
        "{}",
        soon.description
    );
    assert!(w.bearer(t.access_token.as_str(), "/mcp").is_ok());
    w.advance(3);
    // The code alone, without its verifier (or with another), proves nothing: refused, nothing
    // revoked.
    for verifier in [None, Some("a-verifier-that-is-not-the-one-the-challenge-was-made-from-0123")] {
        let pairs = [("grant_type", "authorization_code"), ("client_id", c.as_str()), ("code", code.as_str())];
        let with: Vec<_> = pairs.into_iter().chain(verifier.map(|v| ("code_verifier", v))).collect();
        let e = w.token(&with).unwrap_err();
        assert!(e.code == ErrorCode::InvalidGrant && !e.description.contains("revoked"), "{}", e.description);
    }
    let t = w.refresh(&c, t.refresh()).expect("nothing revoked");
    let late = w.exchange(&c, &code).unwrap_err();
    assert!(late.description.contains("revoked"), "{}", late.description);
    assert_eq!(err(w.refresh(&c, t.refresh())), ErrorCode::InvalidGrant);
}

#[test]
fn refresh_reads_the_current_role_from_workos() {
    let w = world();
    let (c, t1) = w.connected();
    *w.up.role.borrow_mut() = "member".into();
    let t2 = w.refresh(&c, t1.refresh()).unwrap();
    assert_eq!(t2.scope, "mcp");
    assert!(w.bearer(t2.access_token.as_str(), "/mcp").unwrap().principal.permissions.is_empty());
}

#[test]
fn another_clients_refresh_token_is_refused() {
    let w = world();
    let (_, t) = w.connected();
    let other = w.public_client();
    assert_eq!(err(w.refresh(&other, t.refresh())), ErrorCode::InvalidGrant);
}

#[test]
fn confidential_clients_must_authenticate_as_registered() {
    let w = world();
    let (id, secret) = w.confidential_client();
    let ctx = w.ctx();
    let auth = |body: String, header: Option<&str>| {
        let form = Form::parse(Some("application/x-www-form-urlencoded"), body.as_bytes()).unwrap();
        block_on(client_auth::authenticate_client(&ctx, &form, header)).map(|c| c.client_id.to_string())
    };
    assert_eq!(auth(format!("client_id={id}&client_secret={secret}"), None).unwrap(), id);
    assert_eq!(auth(format!("client_id={id}&client_secret=wrong"), None).unwrap_err().status, 401);
    assert_eq!(auth(format!("client_id={id}"), None).unwrap_err().status, 401, "no secret");
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")));
    let e = auth(String::new(), Some(&basic)).unwrap_err();
    assert!(e.status == 401 && e.basic_challenge, "registered for post, used basic");
    assert_eq!(
        auth(format!("client_secret={secret}"), Some(&basic)).unwrap_err().code,
        ErrorCode::InvalidRequest,
        "two methods"
    );
}

#[test]
fn the_token_form_is_strict() {
    let form = |ct: &str, body: &str| Form::parse(Some(ct), body.as_bytes());
    assert!(form("application/json", "{}").is_err());
    assert!(form("application/x-www-form-urlencoded; charset=UTF-8", "a=1").is_ok());
    assert_eq!(form("application/x-www-form-urlencoded", "a=1&a=2").unwrap_err().code, ErrorCode::InvalidRequest);
    assert_eq!(Form::parse(None, b"a=1").unwrap_err().code, ErrorCode::InvalidRequest);
}

#[test]
fn a_client_that_did_not_register_refresh_gets_no_refresh_token_and_cannot_refresh() {
    let w = world();
    let (c, _) = w.register(json!({"redirect_uris":[REDIRECT],"token_endpoint_auth_method":"none"}));
    let s = w.sign_in();
    let (code, _) = w.approve(&w.params(&c, &[]), &s);
    let t = w.exchange(&c, &code).unwrap();
    assert!(t.refresh_token.is_none(), "no token it could not use (RFC 6749 §5.1: optional)");
    assert!(serde_json::to_value(&t).unwrap().get("refresh_token").is_none(), "left out of the answer");
    assert!(w.bearer(t.access_token.as_str(), "/mcp").is_ok());
    assert_eq!(err(w.refresh(&c, "mcp_rt_anything")), ErrorCode::UnauthorizedClient);
}

#[test]
fn a_refresh_asks_workos_for_the_refresh_and_the_memberships_together_and_nothing_more() {
    let w = world();
    let (c, t1) = w.connected();
    let before = w.http.paths().len();
    w.refresh(&c, t1.refresh()).unwrap();
    // The memberships are asked for while WorkOS refreshes (the grant knows user and
    // organization), and that answer is the one used: no second lookup.
    assert_eq!(
        w.http.paths()[before..],
        ["/user_management/authenticate", "/user_management/organization_memberships"]
    );
}

#[test]
fn a_code_exchange_authenticates_the_client_from_what_its_grant_kept() {
    // A confidential client: the grant keeps its method and secret hash, not the secret.
    let w = world();
    let (id, secret) = w.confidential_client();
    let exchange = |code: &str, secret: &str| {
        w.token(&[
            ("grant_type", "authorization_code"),
            ("client_id", id.as_str()),
            ("client_secret", secret),
            ("code", code),
            ("code_verifier", VERIFIER),
            ("redirect_uri", REDIRECT),
        ])
    };
    let (code, _) = w.approve(&w.params(&id, &[]), &w.sign_in());
    let grant_key = w.store.keys_with_prefix("oauth:grant:")[0].clone();
    let kept: Value = serde_json::from_str(&w.store.map.borrow()[&grant_key].0).unwrap();
    assert_eq!(kept["code"]["client_auth"]["method"], "client_secret_post");
    assert!(!kept.to_string().contains(&secret), "the secret itself is not kept");
    // The registration is not read again: the exchange works without it…
    let registration = w.store.map.borrow_mut().remove(&keys::oauth_client(&id)).unwrap();
    let wrong = exchange(&code, "wrong").map(|_| ()).unwrap_err();
    assert_eq!((wrong.code, wrong.status), (ErrorCode::InvalidClient, 401));
    assert!(exchange(&code, &secret).is_ok(), "a refused secret spent nothing");
    // …and once redeemed, the grant keeps no copy: a refresh reads the registration.
    let after: Value = serde_json::from_str(&w.store.map.borrow()[&grant_key].0).unwrap();
    assert!(after["code"].is_null());
    w.store.map.borrow_mut().insert(keys::oauth_client(&id), registration);

    // A grant from before the copy was kept (none in its code) reads the registration.
    let (code, _) = w.approve(&w.params(&id, &[]), &w.sign_in());
    let key = w.store.keys_with_prefix("oauth:grant:").into_iter().find(|k| *k != grant_key).unwrap();
    let mut older: Value = serde_json::from_str(&w.store.map.borrow()[&key].0).unwrap();
    older["code"].as_object_mut().unwrap().remove("client_auth");
    w.store.map.borrow_mut().get_mut(&key).unwrap().0 = older.to_string();
    let registration = w.store.map.borrow_mut().remove(&keys::oauth_client(&id)).unwrap();
    // (In an isolate without its own copy of the registration.)
    *w.copies.borrow_mut() = Default::default();
    assert_eq!(err(exchange(&code, &secret)), ErrorCode::InvalidClient, "no registration, no copy: unknown client");
    w.store.map.borrow_mut().insert(keys::oauth_client(&id), registration);
    assert_eq!(err(exchange(&code, "wrong")), ErrorCode::InvalidClient);
    assert!(exchange(&code, &secret).is_ok());
}

#[test]
fn a_code_presented_by_another_client_is_refused_as_before() {
    let w = world();
    let c = w.public_client();
    let other = w.public_client();
    let (code, _) = w.approve(&w.params(&c, &[]), &w.sign_in());
    assert_eq!(err(w.exchange(&other, &code)), ErrorCode::InvalidGrant);
    assert_eq!(err(w.exchange("no-such-client", &code)), ErrorCode::InvalidClient);
    assert!(w.exchange(&c, &code).is_ok(), "the code is still good for its own client");
}

/// Two refreshes with one token sent together, one of which waits for its turn (its client's
/// metadata document read first) while the other's new token is used for a third refresh: the
/// late one finds its token two rotations old, but it arrived before the second rotation. It is
/// the concurrent use it was: refused, nothing revoked.
#[test]
fn a_refresh_that_waited_behind_two_rotations_of_its_token_revokes_nothing() {
    let w = world();
    let (c, t1) = w.connected();
    let arrived = w.http.clock_ms.get() + 1;
    let t2 = w.refresh(&c, t1.refresh()).unwrap();
    w.advance(3);
    let t3 = w.refresh(&c, t2.refresh()).unwrap();
    let late = [("grant_type", "refresh_token"), ("client_id", c.as_str()), ("refresh_token", t1.refresh())];
    assert_eq!(err(w.token_arriving(&late, arrived)), ErrorCode::InvalidGrant);
    assert!(w.refresh(&c, t3.refresh()).is_ok(), "the grant stands");
    // Sent after the second rotation, the same token is reuse: the grant is revoked.
    assert_eq!(err(w.refresh(&c, t1.refresh())), ErrorCode::InvalidGrant);
    assert_eq!(err(w.refresh(&c, t3.refresh())), ErrorCode::InvalidGrant);
}
