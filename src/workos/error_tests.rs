use super::*;
use crate::workos::OrganizationChoice;

const NOW: u64 = 1_445_412_400; // 2015-10-21T07:26:40Z

fn parse(status: u16, body: &str) -> WorkosError {
    WorkosError::from_response(status, body.as_bytes(), None, Some("req_1"), NOW)
}

#[test]
fn plain_family() {
    assert_eq!(
        parse(404, r#"{"message":"User not found 'user_123'","code":"entity_not_found","entity_id":"user_123"}"#),
        WorkosError::Api {
            status: 404,
            code: Some("entity_not_found".into()),
            message: "User not found 'user_123'".into(),
            request_id: Some("req_1".into())
        }
    );
    assert_eq!(
        parse(422, r#"{"message":"Validation failed.","code":"invalid_request_parameters"}"#),
        WorkosError::Api {
            status: 422,
            code: Some("invalid_request_parameters".into()),
            message: "Validation failed.".into(),
            request_id: Some("req_1".into())
        }
    );
    let with_errors =
        parse(422, r#"{"message":"Validation failed.","errors":[{"code":"required","field":"event.action"}]}"#);
    assert!(
        matches!(with_errors, WorkosError::Api { status: 422, code: None, ref message, .. } if message == "Validation failed.")
    );
    assert!(
        matches!(parse(409, r#"{"code":"idempotency_error","message":"Key reused"}"#), WorkosError::Api { status: 409, code: Some(ref c), .. } if c == "idempotency_error")
    );
    assert!(matches!(
        parse(400, r#"{"message":"Invalid credentials for 'a@b.c'.","code":"invalid_credentials"}"#),
        WorkosError::Api { status: 400, .. }
    ));
    // A 403 without step-up markers is an ordinary refusal.
    assert!(matches!(
        parse(403, r#"{"message":"Forbidden","code":"forbidden"}"#),
        WorkosError::Api { status: 403, .. }
    ));
}

#[test]
fn oauth_family() {
    assert_eq!(
        parse(400, r#"{"error":"invalid_grant","error_description":"The code 'abc' has expired or is invalid."}"#),
        WorkosError::OAuth {
            status: 400,
            error: "invalid_grant".into(),
            description: Some("The code 'abc' has expired or is invalid.".into()),
            request_id: Some("req_1".into())
        }
    );
    assert!(
        matches!(parse(400, r#"{"error":"invalid_request","error_description":"code is required."}"#), WorkosError::OAuth { ref error, .. } if error == "invalid_request")
    );
    assert!(matches!(
        parse(401, r#"{"error":"invalid_client"}"#),
        WorkosError::OAuth { status: 401, description: None, .. }
    ));
    // Some OAuth-family answers carry `message` instead of `error_description`.
    assert!(matches!(parse(400, r#"{"error":"Bad Request","message":"Claim sub is reserved."}"#),
        WorkosError::OAuth { ref description, .. } if description.as_deref() == Some("Claim sub is reserved.")));
}

#[test]
fn step_up_family() {
    let org = parse(
        403,
        r#"{"code":"organization_selection_required","message":"The user must choose an organization to finish their authentication.","pending_authentication_token":"pending_1","organizations":[{"id":"org_1","name":"A"},{"id":"not an org","name":"B"},{"id":"org_2"}],"user":{}}"#,
    );
    let pending = PendingAuthentication {
        token: "pending_1".into(),
        organizations: vec![
            OrganizationChoice { id: "org_1".into(), name: "A".into() },
            OrganizationChoice { id: "org_2".into(), name: String::new() },
        ],
    };
    assert_eq!(org, WorkosError::OrganizationSelection(pending));
    assert!(!format!("{org:?} {org}").contains("pending_1"), "the pending token never shows: {org:?}");
    // Without a token or organizations there is no way forward: a plain step-up page.
    let bare = parse(403, r#"{"code":"organization_selection_required","message":"Choose"}"#);
    assert_eq!(bare, WorkosError::StepUp { code: "organization_selection_required".into(), message: "Choose".into() });
    let sso = parse(
        403,
        r#"{"error":"sso_required","error_description":"Must use SSO","connection_ids":["conn_1"],"email":"a@b.c","pending_authentication_token":"p"}"#,
    );
    assert_eq!(sso, WorkosError::StepUp { code: "sso_required".into(), message: "Must use SSO".into() });
    for code in [
        "email_verification_required",
        "mfa_enrollment",
        "mfa_challenge",
        "radar_sms_challenge",
        "application_consent_required",
        "email_password_auth_disabled",
        "authentication_method_not_allowed",
        "radar_challenge",
        "radar_sign_up_challenge",
        "radar_sms_sign_in_challenge",
        "passkey_progressive_enrollment",
    ] {
        let body = format!(r#"{{"code":"{code}","message":"m"}}"#);
        assert!(matches!(parse(403, &body), WorkosError::StepUp { code: ref c, .. } if c == code), "{code}");
    }
    // The same family on other 4xx: `sso_required` and `mfa_enrollment` arrive as 400 OAuth errors.
    for body in [
        r#"{"error":"sso_required","error_description":"Use SSO","connection_ids":["conn_1"]}"#,
        r#"{"error":"mfa_enrollment","error_description":"Enroll"}"#,
        r#"{"code":"authentication_method_not_allowed","message":"Not allowed"}"#,
    ] {
        assert!(matches!(parse(400, body), WorkosError::StepUp { .. }), "{body}");
    }
    let unknown = parse(403, r#"{"code":"new_step","pending_authentication_token":"p"}"#);
    assert!(matches!(unknown, WorkosError::StepUp { ref code, .. } if code == "new_step"));
    // The pending token itself never shows.
    assert!(!sso.to_string().contains("pending"), "{sso}");
}

#[test]
fn rate_limit_family() {
    let e = WorkosError::from_response(
        429,
        br#"{"message":"Too many requests.","code":"rate_limit_exceeded"}"#,
        Some("30"),
        None,
        NOW,
    );
    assert_eq!(e, WorkosError::RateLimited { retry_after: Some(30), code: Some("rate_limit_exceeded".into()) });
    assert!(e.is_transient());
    assert_eq!(e.retry_after(), Some(30));
    let oauth = WorkosError::from_response(
        429,
        br#"{"error":"too_many_requests","error_description":"slow"}"#,
        None,
        None,
        NOW,
    );
    assert_eq!(oauth, WorkosError::RateLimited { retry_after: None, code: Some("too_many_requests".into()) });
    let dated = WorkosError::from_response(429, b"<html>", Some("Wed, 21 Oct 2015 07:28:00 GMT"), None, NOW);
    assert_eq!(dated, WorkosError::RateLimited { retry_after: Some(80), code: None });
}

#[test]
fn server_family() {
    let e = WorkosError::from_response(502, b"<html>Bad gateway</html>", Some("5"), Some("req_9"), NOW);
    assert_eq!(e, WorkosError::Server { status: 502, retry_after: Some(5), request_id: Some("req_9".into()) });
    assert!(e.is_transient());
    assert!(matches!(parse(500, r#"{"message":"boom"}"#), WorkosError::Server { status: 500, .. }));
    assert!(matches!(parse(503, ""), WorkosError::Server { status: 503, retry_after: None, .. }));
}

#[test]
fn unexpected_bodies_are_never_echoed() {
    for body in ["<html>secret-ish page</html>", "", "[1,2]", "\"text\"", "{\"message\": 5}", "{trunc"] {
        let e = parse(404, body);
        assert_eq!(
            e,
            WorkosError::Api {
                status: 404,
                code: None,
                message: "WorkOS returned HTTP 404".into(),
                request_id: Some("req_1".into())
            },
            "{body}"
        );
        assert!(!e.is_transient());
        assert_eq!(e.retry_after(), None);
    }
}

#[test]
fn texts_are_cleaned_and_truncated() {
    let long = "x".repeat(500);
    let body = serde_json::json!({"message": format!("line1\nline2\r\u{1b}[31m{long}"), "code": "c\td"}).to_string();
    let e = parse(400, &body);
    let shown = e.to_string();
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
    assert!(shown.chars().count() < 300, "{}", shown.len());
    assert!(shown.contains("line1 line2"));
}

#[test]
fn display_is_one_line_per_variant() {
    let all = [
        WorkosError::Unreachable { timeout: true, detail: "t".into() },
        WorkosError::Unreachable { timeout: false, detail: "dns\nfailure".into() },
        WorkosError::RateLimited { retry_after: Some(3), code: Some("rate_limit_exceeded".into()) },
        WorkosError::RateLimited { retry_after: None, code: None },
        WorkosError::Server { status: 502, retry_after: None, request_id: None },
        parse(404, r#"{"message":"User not found","code":"entity_not_found"}"#),
        parse(400, r#"{"error":"invalid_grant","error_description":"expired"}"#),
        parse(403, r#"{"code":"mfa_challenge","message":"MFA"}"#),
        WorkosError::Malformed { status: 200, detail: "expected value at line 1".into() },
    ];
    let expected = [
        "WorkOS did not answer in time",
        "WorkOS is unreachable: dns failure",
        "WorkOS rate limit reached (rate_limit_exceeded); retry after 3 s",
        "WorkOS rate limit reached",
        "WorkOS server error HTTP 502",
        "WorkOS HTTP 404 entity_not_found: User not found (request req_1)",
        "WorkOS HTTP 400 invalid_grant: expired (request req_1)",
        "WorkOS requires another step (mfa_challenge): MFA",
        "WorkOS sent an unreadable response (HTTP 200): expected value at line 1",
    ];
    for (e, want) in all.iter().zip(expected) {
        assert_eq!(e.to_string(), want);
        assert!(!e.to_string().contains('\n'));
    }
    assert!(!all[5].is_transient() && all[0].is_transient() && all[4].is_transient());
}

#[test]
fn redact_removes_secrets_everywhere() {
    let e = parse(401, r#"{"message":"Bad key sk_test_123","code":"sk_test_123"}"#).redact("sk_test_123");
    assert_eq!(e.to_string(), "WorkOS HTTP 401 [redacted]: Bad key [redacted] (request req_1)");
    let u = WorkosError::Unreachable { timeout: false, detail: "via sk_x_12345678".into() }.redact("sk_x_12345678");
    assert_eq!(u.to_string(), "WorkOS is unreachable: via [redacted]");
    let short = WorkosError::Unreachable { timeout: false, detail: "invalid".into() };
    assert_eq!(short.clone().redact("v"), short, "short values are not secrets");
    assert_eq!(short.clone().redact(""), short);
}

#[test]
fn retry_after_parsing() {
    assert_eq!(parse_retry_after("0", NOW), Some(0));
    assert_eq!(parse_retry_after(" 120 ", NOW), Some(120));
    assert_eq!(parse_retry_after("3600", NOW), Some(3600));
    assert_eq!(parse_retry_after("3601", NOW), Some(3600));
    assert_eq!(parse_retry_after("99999999999999999999999", NOW), Some(3600));
    assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", NOW), Some(80));
    assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", NOW), Some(0), "past dates mean now");
    assert_eq!(parse_retry_after("Thu, 22 Oct 2015 07:28:00 GMT", NOW), Some(3600), "clamped");
    assert_eq!(parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", 0), Some(0));
    assert_eq!(parse_retry_after("Tue, 29 Feb 2000 00:01:00 GMT", 951_782_400), Some(60));
    assert_eq!(parse_retry_after("Sat, 01 Jan 2000 00:00:10 GMT", 946_684_800), Some(10));
    for bad in [
        "",
        "-1",
        "1.5",
        "soon",
        "Wed, 21 Oct 2015 07:28:00",
        "Wed, 21 Oct 2015 07:28:00 UTC",
        "Wed 21 Oct 2015 07:28:00 GMT",
        "Wed, 32 Oct 2015 07:28:00 GMT",
        "Wed, 29 Feb 2015 07:28:00 GMT",
        "Wed, 21 Foo 2015 07:28:00 GMT",
        "Wed, 21 Oct 2015 24:00:00 GMT",
        "Wed, 21 Oct 1969 07:28:00 GMT",
        "Wed, 21 Oct 2015 7:28:00 GMT",
        "Wednesday, 21-Oct-15 07:28:00 GMT",
        "Wed Oct 21 07:28:00 2015",
        "Wed, +1 Oct 2015 07:28:00 GMT",
    ] {
        assert_eq!(parse_retry_after(bad, NOW), None, "{bad:?}");
    }
}

#[test]
fn a_refresh_is_refused_for_good_only_for_the_tokens_sake() {
    // The token's end: production's OAuth family, the emulator's plain one, a step-up.
    for (status, body) in [
        (400, r#"{"error":"invalid_grant","error_description":"Session has ended."}"#),
        (400, r#"{"message":"Invalid refresh token","code":"invalid_grant"}"#),
        (400, r#"{"error":"sso_required","error_description":"SSO","connection_ids":["conn_1"]}"#),
        (403, r#"{"code":"mfa_enrollment","message":"Enroll"}"#),
        (404, r#"{"message":"User not found 'user_1'","code":"entity_not_found"}"#),
    ] {
        assert!(parse(status, body).refused_refresh(), "{status} {body}");
    }
    // This server's own request: its API key, its client id, its request.
    for (status, body) in [
        (401, r#"{"message":"Unauthorized"}"#),
        (403, r#"{"message":"Forbidden"}"#),
        (400, r#"{"error":"invalid_client","error_description":"Invalid client ID or secret."}"#),
        (400, r#"{"error":"unauthorized_client","error_description":"No."}"#),
        (400, r#"{"error":"invalid_request","error_description":"refresh_token is required."}"#),
        (422, r#"{"message":"Validation failed.","code":"invalid_request_parameters"}"#),
        (429, r#"{"message":"Too many"}"#),
        (500, r#"{"message":"Oops"}"#),
    ] {
        assert!(!parse(status, body).refused_refresh(), "{status} {body}");
    }
}
