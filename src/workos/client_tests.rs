use super::*;
use crate::testing::{json_response, ScriptedHttp};
use futures_executor::block_on;

const BASE: &str = "https://api.workos.test";
const KEY: &str = "sk_test_SECRETKEY123";
const NOW: u64 = 1_445_412_400; // 2015-10-21T07:26:40Z

type Handler = Box<dyn Fn(&HttpRequest) -> Result<HttpResponse, TransportError>>;

fn http(f: impl Fn(&HttpRequest) -> Result<HttpResponse, TransportError> + 'static) -> ScriptedHttp<Handler> {
    ScriptedHttp::new(Box::new(f) as Handler)
}

fn fixed(status: u16, headers: &[(&str, &str)], body: &str) -> ScriptedHttp<Handler> {
    let resp = HttpResponse {
        status,
        headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        body: body.as_bytes().to_vec(),
    };
    http(move |_| Ok(resp.clone()))
}

fn client<H: HttpClient>(h: &H) -> WorkosClient<'_, H> {
    WorkosClient { http: h, base_url: BASE, client_id: "client_123", api_key: KEY, now: NOW }
}

fn only_request(h: &ScriptedHttp<Handler>) -> HttpRequest {
    let reqs = h.requests.borrow();
    assert_eq!(reqs.len(), 1);
    reqs[0].clone()
}

fn header<'r>(r: &'r HttpRequest, name: &str) -> Option<&'r str> {
    r.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

fn body_json(r: &HttpRequest) -> Value {
    serde_json::from_slice(r.body.as_deref().unwrap()).unwrap()
}

fn user_json() -> Value {
    json!({"object":"user","id":"user_01E4ZCR3C56J083X43JQXF3JK5","email":"marcelina.davis@example.com","email_verified":true,
           "first_name":"Marcelina","last_name":"Davis","profile_picture_url":null,"created_at":"2026-01-15T12:00:00.000Z"})
}

fn auth_json() -> Value {
    json!({"user": user_json(), "organization_id":"org_01H945H0YD4F97JN9MATX7BYAG","access_token":"eyJhb","refresh_token":"yAjhKk123",
           "authentication_method":"SSO","impersonator":{"email":"a@b.c","reason":"x"}})
}

fn assert_common_headers(r: &HttpRequest) {
    assert_eq!(header(r, "Authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(header(r, "Accept"), Some("application/json"));
    assert_eq!(header(r, "User-Agent"), Some("mcp-authkit-worker/0.1"));
}

fn assert_post_headers(r: &HttpRequest) {
    assert_common_headers(r);
    assert_eq!(r.method, Method::Post);
    assert_eq!(header(r, "Content-Type"), Some("application/json"));
}

#[test]
fn authenticate_with_code_request_and_response() {
    let h = http(|_| Ok(json_response(200, auth_json())));
    let auth = block_on(client(&h).authenticate_with_code("code_1", "verifier_1", Some("203.0.113.42"), Some("UA/1")))
        .unwrap();
    assert_eq!(auth.user.id, "user_01E4ZCR3C56J083X43JQXF3JK5");
    assert_eq!(auth.organization_id.as_deref(), Some("org_01H945H0YD4F97JN9MATX7BYAG"));
    assert_eq!((auth.access_token.as_str(), auth.refresh_token.as_str()), ("eyJhb", "yAjhKk123"));
    assert_eq!(auth.authentication_method.as_deref(), Some("SSO"));
    let r = only_request(&h);
    assert_eq!(r.url, "https://api.workos.test/user_management/authenticate");
    assert_post_headers(&r);
    assert_eq!(
        body_json(&r),
        json!({"grant_type":"authorization_code","client_id":"client_123","client_secret":KEY,"code":"code_1",
               "code_verifier":"verifier_1","ip_address":"203.0.113.42","user_agent":"UA/1"})
    );
    let h = http(|_| Ok(json_response(200, auth_json())));
    block_on(client(&h).authenticate_with_code("c", "v", None, None)).unwrap();
    assert_eq!(
        body_json(&only_request(&h)),
        json!({"grant_type":"authorization_code","client_id":"client_123","client_secret":KEY,"code":"c","code_verifier":"v"})
    );
}

#[test]
fn authenticate_with_refresh_token_request() {
    let h = http(|_| Ok(json_response(200, auth_json())));
    block_on(client(&h).authenticate_with_refresh_token("rt_1", Some("org_1"))).unwrap();
    block_on(client(&h).authenticate_with_refresh_token("rt_1", None)).unwrap();
    let reqs = h.requests.borrow();
    assert_post_headers(&reqs[0]);
    assert_eq!(
        body_json(&reqs[0]),
        json!({"grant_type":"refresh_token","client_id":"client_123","client_secret":KEY,"refresh_token":"rt_1","organization_id":"org_1"})
    );
    assert_eq!(
        body_json(&reqs[1]),
        json!({"grant_type":"refresh_token","client_id":"client_123","client_secret":KEY,"refresh_token":"rt_1"})
    );
    // WorkOS documents Idempotency-Key for audit events only; a spent refresh token is not retried.
    assert_eq!(header(&reqs[0], "Idempotency-Key"), None);
}

#[test]
fn get_user_request() {
    let h = http(|_| Ok(json_response(200, user_json())));
    let user = block_on(client(&h).get_user("user_01E4ZCR3C56J083X43JQXF3JK5")).unwrap();
    assert_eq!(user.display_name(), "Marcelina Davis");
    let r = only_request(&h);
    assert_eq!(
        (r.method, r.url.as_str()),
        (Method::Get, "https://api.workos.test/user_management/users/user_01E4ZCR3C56J083X43JQXF3JK5")
    );
    assert_common_headers(&r);
    assert_eq!((r.body.clone(), header(&r, "Idempotency-Key")), (None, None));
    let h = http(|_| Ok(json_response(200, user_json())));
    block_on(client(&h).get_user("../x?y")).unwrap();
    assert_eq!(only_request(&h).url, "https://api.workos.test/user_management/users/..%2Fx%3Fy");
}

#[test]
fn list_memberships_request_and_parse() {
    let item = json!({"object":"organization_membership","id":"om_1","user_id":"user_1","organization_id":"org_1","organization_name":"Acme Corp",
                      "status":"active","directory_managed":false,"role":{"slug":"admin"},"roles":[{"slug":"admin"}],"created_at":"x"});
    let h = http(move |_| {
        Ok(json_response(
            200,
            json!({"object":"list","data":[item.clone()],"list_metadata":{"before":null,"after":null}}),
        ))
    });
    let list = block_on(client(&h).list_memberships("user_1", Some("org_1"))).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].status.as_str(), list[0].role.as_ref().unwrap().slug.as_str()), ("active", "admin"));
    block_on(client(&h).list_memberships("user_1", None)).unwrap();
    let reqs = h.requests.borrow();
    // `statuses` is `style: form, explode: false` in the spec: one parameter, comma-joined.
    assert_eq!(
        reqs[0].url,
        "https://api.workos.test/user_management/organization_memberships?limit=100&organization_id=org_1&user_id=user_1&statuses=active,inactive,pending"
    );
    assert_eq!(reqs[1].url, "https://api.workos.test/user_management/organization_memberships?limit=100&user_id=user_1&statuses=active,inactive,pending");
    let statuses: Vec<String> = url::Url::parse(&reqs[1].url)
        .unwrap()
        .query_pairs()
        .filter(|(k, _)| k == "statuses")
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(statuses, vec!["active,inactive,pending"]);
    assert_common_headers(&reqs[0]);
    let empty = fixed(200, &[], r#"{"object":"list","data":[]}"#);
    assert_eq!(block_on(client(&empty).list_memberships("u", None)).unwrap(), vec![]);
    let wrong = fixed(200, &[], r#"{"object":"list"}"#);
    assert!(matches!(
        block_on(client(&wrong).list_memberships("u", None)),
        Err(WorkosError::Malformed { status: 200, .. })
    ));
}

fn event(names: bool) -> AuditEvent {
    AuditEvent {
        organization_id: "org_1".into(),
        action: "user.signed_in".into(),
        occurred_at: "2026-02-02T16:35:39.317Z".into(),
        actor_id: "user_1".into(),
        actor_name: names.then(|| "Jon Smith".into()),
        target_type: "user".into(),
        target_id: "user_1".into(),
        target_name: names.then(|| "Jon Smith".into()),
        location: "1.1.1.1".into(),
        user_agent: names.then(|| "Chrome/104.0.0.0".into()),
        metadata: Vec::new(),
    }
}

#[test]
fn create_audit_event_request() {
    let h = http(|_| Ok(json_response(201, json!({"success": true}))));
    block_on(client(&h).create_audit_event(&event(true), "idem-1")).unwrap();
    block_on(client(&h).create_audit_event(&event(false), "idem-2")).unwrap();
    let reqs = h.requests.borrow();
    assert_eq!(reqs[0].url, "https://api.workos.test/audit_logs/events");
    assert_post_headers(&reqs[0]);
    assert_eq!(header(&reqs[0], "Idempotency-Key"), Some("idem-1"));
    assert_eq!(
        body_json(&reqs[0]),
        json!({"organization_id":"org_1","event":{"action":"user.signed_in","occurred_at":"2026-02-02T16:35:39.317Z","version":1,
               "actor":{"id":"user_1","type":"user","name":"Jon Smith"},"targets":[{"id":"user_1","type":"user","name":"Jon Smith"}],
               "context":{"location":"1.1.1.1","user_agent":"Chrome/104.0.0.0"}}})
    );
    assert_eq!(
        body_json(&reqs[1]),
        json!({"organization_id":"org_1","event":{"action":"user.signed_in","occurred_at":"2026-02-02T16:35:39.317Z","version":1,
               "actor":{"id":"user_1","type":"user"},"targets":[{"id":"user_1","type":"user"}],"context":{"location":"1.1.1.1"}}})
    );
    let no_body = fixed(200, &[], "");
    assert_eq!(block_on(client(&no_body).create_audit_event(&event(true), "k")), Ok(()), "any 2xx body is fine");
    // Event metadata, when there is some, goes in the event.
    let with_metadata = AuditEvent { metadata: vec![("mcp_client_id".into(), "c_1".into())], ..event(false) };
    let h2 = http(|_| Ok(json_response(201, json!({"success": true}))));
    block_on(client(&h2).create_audit_event(&with_metadata, "idem-3")).unwrap();
    assert_eq!(body_json(&h2.requests.borrow()[0])["event"]["metadata"], json!({"mcp_client_id": "c_1"}));
}

#[test]
fn fetch_jwks_returns_text() {
    let h = fixed(200, &[], r#"{"keys":[]}"#);
    assert_eq!(block_on(client(&h).fetch_jwks()).unwrap(), r#"{"keys":[]}"#);
    let r = only_request(&h);
    assert_eq!(r.url, "https://api.workos.test/sso/jwks/client_123");
    assert_common_headers(&r);
    let bad = HttpResponse { status: 200, headers: vec![], body: vec![0xff, 0xfe] };
    let h = http(move |_| Ok(bad.clone()));
    assert!(matches!(block_on(client(&h).fetch_jwks()), Err(WorkosError::Malformed { .. })));
}

fn membership_page(ids: std::ops::Range<usize>, after: Option<&str>) -> Value {
    let data: Vec<Value> = ids
        .map(|i| json!({"object":"organization_membership","id":format!("om_{i}"),"user_id":"user_1","organization_id":format!("org_{i}"),"status":"active","role":{"slug":"member"}}))
        .collect();
    json!({"object":"list","data":data,"list_metadata":{"before":null,"after":after}})
}

#[test]
fn list_memberships_follows_after_and_stops() {
    let h = http(|r| {
        let after =
            url::Url::parse(&r.url).unwrap().query_pairs().find(|(k, _)| k == "after").map(|(_, v)| v.into_owned());
        Ok(json_response(
            200,
            match after.as_deref() {
                None => membership_page(0..100, Some("om_99")),
                Some("om_99") => membership_page(100..200, Some("om_199")),
                Some("om_199") => membership_page(200..230, None),
                other => panic!("unexpected cursor {other:?}"),
            },
        ))
    });
    let all = block_on(client(&h).list_memberships("user_1", None)).unwrap();
    assert_eq!(all.len(), 230);
    assert_eq!(all.last().unwrap().organization_id, "org_229");
    let urls: Vec<String> = h.requests.borrow().iter().map(|r| r.url.clone()).collect();
    assert_eq!(urls.len(), 3);
    assert!(urls[1].contains("after=om_99") && urls[2].contains("after=om_199"), "{urls:?}");

    // A cursor on every page: bounded.
    let endless = http(|r| {
        let n = r.url.matches("after=").count();
        Ok(json_response(200, membership_page(0..100, Some(if n == 0 { "a" } else { "b" }))))
    });
    let many = block_on(client(&endless).list_memberships("user_1", None)).unwrap();
    assert_eq!(many.len(), 100 * MAX_MEMBERSHIP_PAGES);
    assert_eq!(endless.requests.borrow().len(), MAX_MEMBERSHIP_PAGES);
}

#[test]
fn organization_selection_request() {
    let h = http(|_| Ok(json_response(200, auth_json())));
    block_on(client(&h).authenticate_with_organization_selection("pending_tok", "org_1", Some("203.0.113.42"), None))
        .unwrap();
    let r = only_request(&h);
    assert_post_headers(&r);
    assert_eq!(
        body_json(&r),
        json!({"grant_type":"urn:workos:oauth:grant-type:organization-selection","client_id":"client_123","client_secret":KEY,
               "pending_authentication_token":"pending_tok","organization_id":"org_1","ip_address":"203.0.113.42"})
    );
}

#[test]
fn bridge_completion_sends_the_external_id_and_set_external_id_is_a_put() {
    let h = http(|r| match r.method {
        Method::Put => Ok(json_response(200, user_json())),
        _ => Ok(json_response(200, json!({"redirect_uri":"https://acme.authkit.app/x"}))),
    });
    let person = BridgeUser { external_id: "crm-42", email: "a@example.com", first_name: Some("Ann"), last_name: None };
    assert_eq!(
        block_on(client(&h).complete_authkit_oauth2("ext_auth_1", &person)).unwrap(),
        "https://acme.authkit.app/x"
    );
    block_on(client(&h).set_external_id("user_1", "user_1")).unwrap();
    let reqs = h.requests.borrow();
    assert_eq!(
        body_json(&reqs[0]),
        json!({"external_auth_id":"ext_auth_1","user":{"id":"crm-42","email":"a@example.com","first_name":"Ann"}})
    );
    assert_eq!(
        (reqs[1].method, reqs[1].url.as_str()),
        (Method::Put, "https://api.workos.test/user_management/users/user_1")
    );
    assert_eq!(body_json(&reqs[1]), json!({"external_id":"user_1"}));
    assert_eq!(header(&reqs[1], "Content-Type"), Some("application/json"));
}

#[test]
fn a_role_without_permissions_is_refused_and_no_listing_is_asked() {
    let h = fixed(200, &[], r#"{"object":"role","slug":"admin","name":"Admin"}"#);
    assert!(matches!(block_on(client(&h).role_permissions("org_1", "admin")), Err(WorkosError::Malformed { .. })));
    assert_eq!(h.requests.borrow().len(), 1);
    let h = fixed(200, &[], r#"{"object":"role","slug":"admin","permissions":["image_generation"]}"#);
    assert_eq!(block_on(client(&h).role_permissions("org_1", "admin")).unwrap(), vec!["image_generation"]);
}

#[path = "client_failure_tests.rs"]
mod failures;
