//! `/token` and `/revoke` requests that name no grant are answered in the Worker by
//! `token::without_grant`, which must answer each exactly as the grant operations would.
use super::*;

fn form(pairs: &[(&str, &str)]) -> Form {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    Form::parse(Some("application/x-www-form-urlencoded"), body.as_bytes()).unwrap()
}

/// (error code, description), or `None` for a success.
fn outcome<T>(r: Result<T, super::super::OAuthError>) -> Option<(ErrorCode, String)> {
    r.err().map(|e| (e.code, e.description))
}

#[test]
fn a_request_naming_no_grant_is_answered_as_the_grant_operations_answer_it() {
    let w = world();
    let refreshing = w.public_client();
    let (code_only, _) = w.register(json!({"redirect_uris":[REDIRECT],"token_endpoint_auth_method":"none"}));
    let (confidential, secret) = w.confidential_client();
    let keys = &w.config.seal_keys;
    let mut cases: Vec<(&str, Vec<(&str, &str)>)> = Vec::new();
    for client in [refreshing.as_str(), code_only.as_str(), "no-such-client"] {
        for rest in [
            vec![],
            vec![("grant_type", "password")],
            vec![("grant_type", "authorization_code")],
            vec![("grant_type", "authorization_code"), ("code", "not-a-code")],
            vec![("grant_type", "refresh_token")],
            vec![("grant_type", "refresh_token"), ("refresh_token", "mcp_rt_nonsense")],
        ] {
            cases.push(("/token", [vec![("client_id", client)], rest].concat()));
        }
        cases.push(("/revoke", vec![("client_id", client)]));
        cases.push(("/revoke", vec![("client_id", client), ("token", "not-a-token")]));
    }
    for (path, secret) in [("/token", "wrong"), ("/token", secret.as_str()), ("/revoke", "wrong")] {
        cases.push((
            path,
            vec![("client_id", &confidential), ("client_secret", secret), ("grant_type", "refresh_token")],
        ));
    }
    cases.push(("/token", vec![("grant_type", "refresh_token")]));
    for (path, pairs) in cases {
        let f = form(&pairs);
        assert_eq!(token::grant_of_request(keys, path, &f, w.now.get()), None, "{path} {pairs:?} names no grant");
        let alone = outcome(block_on(token::without_grant(&w.ctx(), path, &f, None)));
        let operation = match path {
            "/token" => outcome(block_on(token::token_request(&w.ctx(), &f, None, 0))),
            _ => outcome(block_on(super::super::revocation::revoke_request(&w.ctx(), &f, None))),
        };
        assert_eq!(alone, operation, "{path} {pairs:?}");
    }
}
