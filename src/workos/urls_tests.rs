use super::*;

const BASE: &str = "https://api.workos.test";

#[test]
fn authorization_url_is_sorted_and_encoded() {
    let p = AuthorizeParams {
        redirect_uri: "https://mcp.example.com/callback?x=1",
        state: "st/ate+=",
        code_challenge: "abc-_",
        ..Default::default()
    };
    let want = "https://api.workos.test/user_management/authorize?client_id=client_123&code_challenge=abc-_&code_challenge_method=S256\
                &provider=authkit&redirect_uri=https%3A%2F%2Fmcp.example.com%2Fcallback%3Fx%3D1&response_type=code&state=st%2Fate%2B%3D";
    assert_eq!(authorization_url(BASE, "client_123", &p), want);
    assert_eq!(authorization_url("https://api.workos.test/", "client_123", &p), want, "trailing slash");
    let full = AuthorizeParams {
        organization_id: Some("org_1"),
        login_hint: Some("a+b c@example.com"),
        screen_hint: Some("sign-up"),
        ..p.clone()
    };
    assert_eq!(
        authorization_url(BASE, "client_123", &full),
        "https://api.workos.test/user_management/authorize?client_id=client_123&code_challenge=abc-_&code_challenge_method=S256\
         &login_hint=a%2Bb+c%40example.com&organization_id=org_1&provider=authkit&redirect_uri=https%3A%2F%2Fmcp.example.com%2Fcallback%3Fx%3D1\
         &response_type=code&screen_hint=sign-up&state=st%2Fate%2B%3D"
    );
    let empty = AuthorizeParams { login_hint: Some(""), ..p.clone() };
    assert_eq!(authorization_url(BASE, "client_123", &empty), want, "empty optional values are left out");
    let round: Vec<(String, String)> =
        url::Url::parse(&authorization_url(BASE, "client_123", &full)).unwrap().query_pairs().into_owned().collect();
    assert!(round.contains(&("login_hint".into(), "a+b c@example.com".into())));
}

#[test]
fn logout_and_jwks_urls() {
    assert_eq!(
        logout_url(BASE, "session_1", None),
        "https://api.workos.test/user_management/sessions/logout?session_id=session_1"
    );
    assert_eq!(
        logout_url("https://api.workos.test/", "session_1", Some("https://mcp.example.com/login?a=b")),
        "https://api.workos.test/user_management/sessions/logout?session_id=session_1&return_to=https%3A%2F%2Fmcp.example.com%2Flogin%3Fa%3Db"
    );
    assert_eq!(jwks_url(BASE, "client_123"), "https://api.workos.test/sso/jwks/client_123");
    assert_eq!(jwks_url("http://127.0.0.1:4100/", "client_123"), "http://127.0.0.1:4100/sso/jwks/client_123");
    assert_eq!(
        jwks_url("https://proxy.example/workos/", "client_123"),
        "https://proxy.example/workos/sso/jwks/client_123"
    );
    assert_eq!(
        jwks_url(BASE, "a/b?c#d e"),
        "https://api.workos.test/sso/jwks/a%2Fb%3Fc%23d%20e",
        "segments are encoded"
    );
    assert_eq!(jwks_url("not a url", "c"), "not a url/sso/jwks/c", "no panic on a bad base");
}
