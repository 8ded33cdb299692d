//! WorkOS's failures as the client reads them: errors mapped, bad bodies, transport failures,
//! secrets kept out of what is displayed, and which calls are retried.
use super::*;

fn code_error(status: u16, headers: &[(&str, &str)], body: &str) -> WorkosError {
    block_on(client(&fixed(status, headers, body)).authenticate_with_code("code_0123456789", "v", None, None))
        .unwrap_err()
}

#[test]
fn error_mapping() {
    assert_eq!(
        code_error(429, &[("retry-after", "7")], r#"{"message":"Too many requests.","code":"rate_limit_exceeded"}"#),
        WorkosError::RateLimited { retry_after: Some(7), code: Some("rate_limit_exceeded".into()) }
    );
    assert_eq!(
        code_error(429, &[("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")], ""),
        WorkosError::RateLimited { retry_after: Some(80), code: None }
    );
    assert_eq!(
        code_error(503, &[("X-Request-ID", "req_5"), ("Retry-After", "2")], "<html>down</html>"),
        WorkosError::Server { status: 503, retry_after: Some(2), request_id: Some("req_5".into()) }
    );
    assert_eq!(
        code_error(
            400,
            &[("x-request-id", "req_6")],
            r#"{"error":"invalid_grant","error_description":"The code has expired or is invalid."}"#
        ),
        WorkosError::OAuth {
            status: 400,
            error: "invalid_grant".into(),
            description: Some("The code has expired or is invalid.".into()),
            request_id: Some("req_6".into())
        }
    );
    assert!(matches!(
        code_error(403, &[], r#"{"code":"mfa_challenge","message":"MFA needed","pending_authentication_token":"p"}"#),
        WorkosError::StepUp { ref code, .. } if code == "mfa_challenge"
    ));
    assert!(matches!(
        code_error(404, &[], r#"{"message":"Not found"}"#),
        WorkosError::Api { status: 404, code: None, .. }
    ));
    assert_eq!(
        code_error(404, &[], "<html>nope</html>"),
        WorkosError::Api { status: 404, code: None, message: "WorkOS returned HTTP 404".into(), request_id: None }
    );
}

#[test]
fn bad_success_bodies_are_malformed() {
    let truncated = &auth_json().to_string()[..40];
    let e = code_error(200, &[], truncated);
    assert!(
        matches!(e, WorkosError::Malformed { status: 200, ref detail } if detail.starts_with("truncated JSON")),
        "{e:?}"
    );
    assert!(
        matches!(code_error(200, &[], "<html>"), WorkosError::Malformed { ref detail, .. } if detail.starts_with("invalid JSON"))
    );
    let missing = code_error(200, &[], r#"{"access_token":"a"}"#);
    assert!(
        matches!(missing, WorkosError::Malformed { ref detail, .. } if detail.starts_with("missing field `user`")),
        "{missing:?}"
    );
    // A wrongly typed field must not echo its (possibly secret) value.
    let typed = code_error(200, &[], r#"{"user":{"id":"u","email":"e"},"access_token":"at","refresh_token":12345678}"#);
    assert!(matches!(typed, WorkosError::Malformed { ref detail, .. } if !detail.contains("12345678")), "{typed:?}");
}

#[test]
fn transport_errors_are_unreachable() {
    let h = http(|_| Err(TransportError::Timeout));
    assert_eq!(
        block_on(client(&h).get_user("u")).unwrap_err(),
        WorkosError::Unreachable { timeout: true, detail: "timed out".into() }
    );
    let h = http(|_| Err(TransportError::Network("connection refused".into())));
    let e = block_on(client(&h).fetch_jwks()).unwrap_err();
    assert_eq!(e, WorkosError::Unreachable { timeout: false, detail: "connection refused".into() });
    assert!(e.is_transient());
}

#[test]
fn secrets_never_reach_display() {
    let echo = format!(r#"{{"message":"bad key {KEY} for code code_0123456789","code":"{KEY}"}}"#);
    let e = code_error(401, &[("X-Request-ID", KEY)], &echo);
    let echoing_oauth = format!(r#"{{"error":"invalid_client","error_description":"secret {KEY} verifier v_secret"}}"#);
    let h = fixed(400, &[], &echoing_oauth);
    let o = block_on(client(&h).authenticate_with_code("c", "v_secret", None, None)).unwrap_err();
    let h = http(|_| Err(TransportError::Network(format!("tls error talking with Bearer {KEY}"))));
    let n = block_on(client(&h).get_user("u")).unwrap_err();
    let h = fixed(
        403,
        &[],
        &format!(r#"{{"error":"sso_required","error_description":"{KEY}","pending_authentication_token":"p"}}"#),
    );
    let r = block_on(client(&h).authenticate_with_refresh_token("rt_secret", None)).unwrap_err();
    for err in [e, o, n, r] {
        let shown = err.to_string();
        for secret in [KEY, "code_0123456789", "v_secret", "rt_secret"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(!format!("{err:?}").contains(KEY), "{err:?}");
    }
}

/// Answers from a list, one per request, then repeats the last.
fn sequence(answers: Vec<Result<HttpResponse, TransportError>>) -> ScriptedHttp<Handler> {
    let answers = std::cell::RefCell::new(answers);
    http(move |_| {
        let mut a = answers.borrow_mut();
        if a.len() > 1 {
            a.remove(0)
        } else {
            a[0].clone()
        }
    })
}

fn status(code: u16, headers: &[(&str, &str)]) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse {
        status: code,
        headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        body: br#"{"message":"x"}"#.to_vec(),
    })
}

#[test]
fn transient_failures_of_idempotent_calls_are_retried_once() {
    let ok = || Ok(json_response(200, user_json()));
    let network = || Err(TransportError::Network("connection reset".into()));
    for (first, waited) in [
        (network(), 250),
        (status(408, &[]), 250),
        (status(429, &[("Retry-After", "1")]), 1000),
        (status(429, &[]), 250),
        (status(500, &[]), 250),
        (status(502, &[]), 250),
        (status(503, &[("Retry-After", "2")]), 2000),
    ] {
        let h = sequence(vec![first.clone(), ok()]);
        assert!(block_on(client(&h).get_user("user_1")).is_ok(), "{first:?}");
        assert_eq!(h.requests.borrow().len(), 2, "{first:?}");
        assert_eq!(*h.sleeps.borrow(), vec![waited], "{first:?}");
        // The retry only gets what is left of the 5 s budget.
        assert_eq!(h.requests.borrow()[1].timeout_ms, Some(5000 - waited), "{first:?}");
        // Twice in a row: the second failure is the answer.
        let h = sequence(vec![first.clone(), first.clone(), ok()]);
        assert!(block_on(client(&h).get_user("user_1")).is_err());
        assert_eq!(h.requests.borrow().len(), 2);
    }
}

#[test]
fn what_is_not_retried() {
    let ok = || Ok(json_response(200, user_json()));
    // Not transient, a long Retry-After, or a timeout (the budget is spent).
    for first in [
        status(400, &[]),
        status(404, &[]),
        status(429, &[("Retry-After", "30")]),
        status(503, &[("Retry-After", "60")]),
        Err(TransportError::Timeout),
    ] {
        let h = sequence(vec![first.clone(), ok()]);
        assert!(block_on(client(&h).get_user("user_1")).is_err(), "{first:?}");
        assert_eq!(h.requests.borrow().len(), 1, "{first:?}");
        assert!(h.sleeps.borrow().is_empty());
    }
    // A slow first failure leaves too little of the budget for a second try.
    let h = sequence(vec![status(503, &[]), ok()]);
    h.latency_ms.set(4600);
    assert!(block_on(client(&h).get_user("user_1")).is_err());
    assert_eq!(h.requests.borrow().len(), 1);
    // The code exchange and refresh spend one-time credentials: never sent twice.
    for call in 0..2 {
        let h = sequence(vec![status(503, &[]), Ok(json_response(200, auth_json()))]);
        let out = if call == 0 {
            block_on(client(&h).authenticate_with_code("c", "v", None, None))
        } else {
            block_on(client(&h).authenticate_with_refresh_token("rt", None))
        };
        assert!(out.is_err());
        assert_eq!(h.requests.borrow().len(), 1);
    }
}

#[test]
fn an_audit_event_is_retried_with_the_same_idempotency_key() {
    let h = sequence(vec![status(502, &[]), Ok(json_response(200, json!({"success": true})))]);
    block_on(client(&h).create_audit_event(&event(true), "idem-7")).unwrap();
    let reqs = h.requests.borrow();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        (header(&reqs[0], "Idempotency-Key"), header(&reqs[1], "Idempotency-Key")),
        (Some("idem-7"), Some("idem-7"))
    );
    assert_eq!(reqs[0].body, reqs[1].body);
}

#[test]
fn an_audit_refusal_for_a_missing_schema_names_the_dashboard_step() {
    let refused = WorkosError::Api {
        status: 400,
        code: Some("invalid_audit_log_event".into()),
        message: "Invalid Audit Log event.".into(),
        request_id: None,
    };
    let line = event(true).failure_log_line(&refused);
    assert!(
        line.contains("\"user.signed_in\"")
            && line.contains("target type \"user\"")
            && line.contains("WorkOS dashboard"),
        "{line}"
    );
    assert!(!line.contains('\n'));
    let other = event(true).failure_log_line(&WorkosError::Server { status: 503, retry_after: None, request_id: None });
    assert!(other.contains("not recorded") && !other.contains("dashboard"), "{other}");
}
