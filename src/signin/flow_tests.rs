//! The sign-in flow end to end against an in-memory store and a scripted WorkOS.
use super::*;
use crate::config::Config;
use crate::context::Ctx;
use crate::copies::KvCopies;
use crate::outbound::{HttpRequest, HttpResponse, TransportError};
use crate::store::MemoryStore;
use crate::testing::{json_response, mint, mint_with, test_jwks, ScriptedHttp};
use crate::workos::{JwksCache, OrgNames};
use futures_executor::block_on;
use serde_json::{json, Value};
use std::cell::RefCell;

pub(super) const NOW: u64 = 1_795_000_000;
pub(super) const ORIGIN: &str = "https://mcp.example.com";
pub(super) const ALICE: &str = "user_alice";
pub(super) const ACME: &str = "org_acme";
pub(super) const GLOBEX: &str = "org_globex";

fn config(org: Option<&str>) -> Config {
    Config::from_lookup(|n| match n {
        "WORKOS_CLIENT_ID" => Some("client_test".into()),
        "WORKOS_API_KEY" => Some("sk_test_secret".into()),
        "COOKIE_ENCRYPTION_KEY" => Some("k".repeat(40)),
        "WORKOS_API_BASE_URL" => Some("https://api.workos.test".into()),
        "WORKOS_ORGANIZATION_ID" => org.map(str::to_string),
        _ => None,
    })
    .unwrap()
}

/// What the scripted WorkOS knows.
#[derive(Clone)]
pub(super) struct Scenario {
    pub(super) memberships: Vec<Value>,
    /// WorkOS asks which of these organizations (`{id, name}`) to sign in to.
    pub(super) selection: Option<Vec<Value>>,
    /// Fail the code exchange like this instead of answering.
    pub(super) exchange_fault: Option<Result<HttpResponse, TransportError>>,
    /// Sign access tokens with a key WorkOS's JWKS does not hold.
    pub(super) foreign_signer: bool,
    /// WorkOS's JWKS endpoint answers 503.
    pub(super) jwks_down: bool,
    /// `GET /organizations/{id}` answers 500.
    pub(super) org_lookup_down: bool,
    /// What `POST /authkit/oauth2/complete` answers (status, body).
    pub(super) completion: (u16, Value),
    /// Alice's `external_id` in WorkOS (none by default).
    pub(super) external_id: Option<String>,
    /// The code exchange is scoped to an organization: these claims (`org_id`, `role`, …) join
    /// the token and its `org_id` is the answer's `organization_id`.
    pub(super) scoped_exchange: Option<Value>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            memberships: vec![membership(ACME, "active", "admin")],
            selection: None,
            exchange_fault: None,
            foreign_signer: false,
            jwks_down: false,
            org_lookup_down: false,
            completion: (200, json!({"redirect_uri": "https://acme.authkit.app/oauth2/continue?state=abc"})),
            external_id: None,
            scoped_exchange: None,
        }
    }
}

pub(super) fn membership(org: &str, status: &str, role: &str) -> Value {
    let name = if org == ACME { "Acme" } else { "Globex" };
    json!({"object":"organization_membership","id":format!("om_{org}"),"user_id":ALICE,"organization_id":org,
           "organization_name":name,"status":status,"role":{"slug":role}})
}

/// The pending authentication token WorkOS hands out with `organization_selection_required`.
pub(super) const PENDING: &str = "pending_auth_tok_01SECRET";

/// WorkOS names its environment as the issuer.
pub(super) const ISSUER: &str = "https://api.workos.com/user_management/client_test";

fn token(s: &Scenario, mut claims: Value) -> String {
    claims.as_object_mut().unwrap().entry("iss").or_insert(json!(ISSUER));
    if s.foreign_signer {
        use std::sync::OnceLock;
        static OTHER: OnceLock<rsa::RsaPrivateKey> = OnceLock::new();
        let k = OTHER.get_or_init(|| rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap());
        return mint_with(k, crate::testing::TEST_KID, claims);
    }
    mint(claims)
}

fn workos(s: Scenario) -> impl Fn(&HttpRequest) -> Result<HttpResponse, TransportError> {
    move |req| {
        let url = url::Url::parse(&req.url).unwrap();
        let body: Value = req.body.as_ref().map(|b| serde_json::from_slice(b).unwrap()).unwrap_or(Value::Null);
        let user = json!({"object":"user","id":ALICE,"email":"alice@example.com","first_name":"Alice","last_name":"Admin","external_id":s.external_id});
        match url.path() {
            "/sso/jwks/client_test" if s.jwks_down => Ok(json_response(503, json!({"message":"down"}))),
            "/sso/jwks/client_test" => Ok(json_response(200, serde_json::from_str(&test_jwks()).unwrap())),
            p if p.starts_with("/organizations/") && s.org_lookup_down => {
                Ok(json_response(500, json!({"message":"boom"})))
            }
            "/organizations/org_acme" => {
                Ok(json_response(200, json!({"object":"organization","id":ACME,"name":"Acme (looked up)"})))
            }
            "/organizations/org_globex" => {
                Ok(json_response(200, json!({"object":"organization","id":GLOBEX,"name":"Globex (looked up)"})))
            }
            "/authkit/oauth2/complete" => {
                // WorkOS reads user.id as the external id: Alice's (set to her WorkOS id first).
                assert_eq!(body["user"]["id"], s.external_id.as_deref().unwrap_or(ALICE));
                assert_eq!(body["user"]["email"], "alice@example.com");
                assert_eq!(body["user"]["first_name"], "Alice");
                Ok(json_response(s.completion.0, s.completion.1.clone()))
            }
            "/user_management/users/user_alice" if req.method == crate::outbound::Method::Get => Ok(json_response(
                200,
                json!({"object":"user","id":ALICE,"email":"alice@example.com","first_name":"Alice","last_name":"Admin"}),
            )),
            "/user_management/organization_memberships" => {
                Ok(json_response(200, json!({"object":"list","data":s.memberships,"list_metadata":{}})))
            }
            "/user_management/authenticate" if body["grant_type"] == "authorization_code" => {
                if let Some(fault) = &s.exchange_fault {
                    return fault.clone();
                }
                if let Some(orgs) = &s.selection {
                    return Ok(json_response(
                        403,
                        json!({"code":"organization_selection_required","message":"The user must choose an organization to finish their authentication.",
                        "pending_authentication_token":PENDING,"organizations":orgs,"user":user}),
                    ));
                }
                assert_eq!(body["code"], "code-1");
                let mut claims = json!({"sub":ALICE,"sid":"session_1","exp":NOW + 300,"iat":NOW});
                let scoped = s.scoped_exchange.clone().unwrap_or(json!({}));
                claims.as_object_mut().unwrap().extend(scoped.as_object().unwrap().clone());
                let at = token(&s, claims);
                Ok(json_response(
                    200,
                    json!({"user":user,"organization_id":scoped["org_id"],"access_token":at,"refresh_token":"rt-1"}),
                ))
            }
            "/user_management/authenticate" if body["grant_type"] == "refresh_token" => {
                assert_eq!(body["refresh_token"], "rt-1");
                let org = body["organization_id"].as_str().unwrap().to_string();
                let at = token(
                    &s,
                    json!({"sub":ALICE,"sid":"session_1","org_id":org,"role":"admin",
                                          "permissions":["image_generation"],"exp":NOW + 300,"iat":NOW}),
                );
                Ok(json_response(
                    200,
                    json!({"user":user,"organization_id":org,"access_token":at,"refresh_token":"rt-2"}),
                ))
            }
            "/user_management/authenticate"
                if body["grant_type"] == "urn:workos:oauth:grant-type:organization-selection" =>
            {
                if body["pending_authentication_token"] != PENDING {
                    return Ok(json_response(
                        400,
                        json!({"code":"invalid_pending_authentication_token","message":"Invalid pending authentication token"}),
                    ));
                }
                let org = body["organization_id"].as_str().unwrap().to_string();
                let role = s
                    .memberships
                    .iter()
                    .find(|m| m["organization_id"] == org.as_str())
                    .map(|m| m["role"]["slug"].clone())
                    .unwrap_or(Value::Null);
                let permissions = if role == "admin" { json!(["image_generation"]) } else { json!([]) };
                let at = token(
                    &s,
                    json!({"sub":ALICE,"sid":"session_1","org_id":org,"role":role,"permissions":permissions,"exp":NOW + 300,"iat":NOW}),
                );
                Ok(json_response(
                    200,
                    json!({"user":user,"organization_id":org,"access_token":at,"refresh_token":"rt-1"}),
                ))
            }
            "/user_management/users/user_alice" if req.method == crate::outbound::Method::Put => {
                assert_eq!(body, json!({"external_id": ALICE}), "only the external id is set");
                Ok(json_response(
                    200,
                    json!({"object":"user","id":ALICE,"email":"alice@example.com","external_id":ALICE}),
                ))
            }
            other => panic!("unexpected WorkOS call {other}"),
        }
    }
}

pub(super) struct World<F: Fn(&HttpRequest) -> Result<HttpResponse, TransportError>> {
    pub(super) config: Config,
    pub(super) store: MemoryStore,
    pub(super) http: ScriptedHttp<F>,
    jwks: RefCell<JwksCache>,
    pub(super) org_names: RefCell<OrgNames>,
    pub(super) copies: RefCell<KvCopies>,
    /// Set to start sign-ins as AuthKit bridge requests.
    pub(super) external_auth_id: Option<String>,
}

pub(super) fn world(
    s: Scenario,
    org: Option<&str>,
) -> World<impl Fn(&HttpRequest) -> Result<HttpResponse, TransportError>> {
    World {
        config: config(org),
        store: MemoryStore::default(),
        http: ScriptedHttp::new(workos(s)),
        jwks: RefCell::default(),
        org_names: RefCell::default(),
        copies: RefCell::default(),
        external_auth_id: None,
    }
}

impl<F: Fn(&HttpRequest) -> Result<HttpResponse, TransportError>> World<F> {
    pub(super) fn ctx(&self) -> Ctx<'_, MemoryStore, ScriptedHttp<F>> {
        Ctx {
            config: &self.config,
            store: &self.store,
            http: &self.http,
            jwks: &self.jwks,
            org_names: &self.org_names,
            copies: &self.copies,
            now: NOW,
            origin: ORIGIN,
        }
    }

    /// Start a sign-in; returns (state, sealed binding cookie value).
    pub(super) fn begin(&self, return_to: Option<&str>) -> (String, String) {
        let started = block_on(start(
            &self.ctx(),
            StartRequest {
                return_to,
                login_hint: Some("alice@example.com"),
                external_auth_id: self.external_auth_id.as_deref(),
                ..Default::default()
            },
        ))
        .unwrap();
        let url = url::Url::parse(&started.location).unwrap();
        let state = url.query_pairs().find(|(k, _)| k == "state").unwrap().1.to_string();
        let cookie = cookie_value(&started.set_cookie);
        (state, cookie)
    }

    pub(super) fn finish(&self, state: &str, cookie: Option<&str>) -> Result<Completed, SigninError> {
        match self.finish_outcome(state, cookie)? {
            Outcome::SignedIn(done) => Ok(*done),
            Outcome::ChooseOrganization(p) => panic!("expected a sign-in, got a picker: {p:?}"),
        }
    }

    pub(super) fn finish_outcome(&self, state: &str, cookie: Option<&str>) -> Result<Outcome, SigninError> {
        let cb = Callback { state: Some(state), code: Some("code-1"), ..Default::default() };
        block_on(complete(&self.ctx(), cb, cookie, &client_info()))
    }

    pub(super) fn sessions(&self) -> Vec<String> {
        self.store.keys_with_prefix("session:")
    }

    /// The sign-in keys written besides the states themselves (used marks, picker records).
    pub(super) fn used_states(&self) -> Vec<String> {
        let written = self.store.keys_with_prefix("signin:");
        written.into_iter().filter(|k| !k.starts_with("signin:state:")).collect()
    }
}

pub(super) fn client_info() -> ClientInfo {
    ClientInfo { ip: Some("203.0.113.9".into()), user_agent: Some("UA/1".into()) }
}

pub(super) fn cookie_value(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_string()
}

#[test]
fn start_stores_one_time_state_and_redirects_with_pkce() {
    let w = world(Scenario::default(), None);
    let (state, cookie) = w.begin(Some("/account"));
    let raw = w.store.map.borrow().get(&format!("signin:state:{state}")).unwrap().clone();
    let (json, ttl) = raw;
    assert_eq!(ttl, STATE_TTL);
    let record: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(record["return_to"], "/account");
    let started = block_on(start(&w.ctx(), StartRequest::default())).unwrap();
    let url = url::Url::parse(&started.location).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(url.path(), "/user_management/authorize");
    assert_eq!(q["provider"], "authkit");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["redirect_uri"], "https://mcp.example.com/callback");
    assert_eq!(q["client_id"], "client_test");
    assert!(!q.contains_key("login_hint"));
    // The challenge is S256 of the stored verifier.
    let rec: Value = serde_json::from_str(&w.store.map.borrow()[&format!("signin:state:{}", q["state"])].0).unwrap();
    use base64::Engine;
    use sha2::Digest;
    let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(rec["verifier"].as_str().unwrap()));
    assert_eq!(q["code_challenge"], expected);
    assert!(started.set_cookie.starts_with("__Host-mcp-signin="));
    assert!(!cookie.contains(&state), "the state is sealed, not readable in the cookie");
}

#[test]
fn start_refuses_unsafe_return_paths_and_passes_hints() {
    let w = world(Scenario::default(), Some(ACME));
    let (state, _) = w.begin(Some("//evil.example"));
    let rec: Value = serde_json::from_str(&w.store.map.borrow()[&format!("signin:state:{state}")].0).unwrap();
    assert_eq!(rec["return_to"], "/");
    let started = block_on(start(
        &w.ctx(),
        StartRequest { screen_hint: Some("sign-up"), login_hint: Some("a@b.c"), ..Default::default() },
    ))
    .unwrap();
    assert!(started.location.contains("organization_id=org_acme"));
    assert!(started.location.contains("screen_hint=sign-up"));
    assert!(started.location.contains("login_hint=a%40b.c"));
}

#[test]
fn a_sign_in_an_authorization_request_started_keeps_its_token_for_that_request() {
    let w = world(Scenario::default(), None);
    let authorize = "/authorize?response_type=code&client_id=c-1&state=st-1";
    let (state, cookie) = w.begin(Some(authorize));
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(done.location, authorize);
    let kept = Some(crate::signin::handover_digest(authorize));
    assert_eq!(done.session.handover_for, kept);
    let stored: Session =
        serde_json::from_str(&w.store.map.borrow()[&format!("session:{}", done.session_id)].0).unwrap();
    assert_eq!(stored.handover_for, kept, "the stored record says so too");
    assert_eq!(crate::signin::handover(&stored, authorize), crate::signin::Handover::ThisRequest);
    assert_eq!(crate::signin::handover(&stored, "/authorize?state=st-2"), crate::signin::Handover::OtherRequest);
    // Any other sign-in keeps nothing: the first grant takes its token and notes it spent.
    let (state, cookie) = w.begin(Some("/account"));
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(done.session.handover_for, None);
    assert_eq!(crate::signin::handover(&done.session, authorize), crate::signin::Handover::Open);
    assert!(!w.store.map.borrow()[&format!("session:{}", done.session_id)].0.contains("handover_for"));
}

#[test]
fn complete_signs_in_with_organization_permissions() {
    let w = world(Scenario::default(), None);
    let (state, cookie) = w.begin(Some("/account?tab=1"));
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(done.location, "/account?tab=1");
    assert_eq!(done.session.principal.organization_id.as_deref(), Some(ACME));
    assert_eq!(done.session.principal.role.as_deref(), Some("admin"));
    assert_eq!(done.session.principal.permissions, vec!["image_generation".to_string()]);
    assert_eq!(done.session.principal.name, "Alice Admin");
    assert_eq!(done.session.principal.workos_session_id.as_deref(), Some("session_1"));
    // The code exchange is not org-scoped, so the organization switch (refresh) happened.
    assert_eq!(w.http.paths().iter().filter(|p| *p == "/user_management/authenticate").count(), 2);
    // State marked used (its own key); one session stored, holding the newest refresh token
    // sealed (not in clear).
    assert_eq!(w.used_states(), vec![crate::store::keys::signin_state_used(&state)]);
    let sessions = w.sessions();
    assert_eq!(sessions.len(), 1);
    let stored = w.store.map.borrow()[&sessions[0]].0.clone();
    assert!(!stored.contains("rt-2") && !stored.contains("rt-1"));
    // The cookie loads the session.
    let sc = cookie_value(&done.set_cookie);
    let (_, session) = block_on(load_session(&w.ctx(), Some(&sc))).unwrap().unwrap();
    assert_eq!(session.principal, done.session.principal);
    let audit = done.audit.unwrap();
    assert_eq!(
        (audit.action.as_str(), audit.organization_id.as_str(), audit.actor_id.as_str()),
        ("user.signed_in", ACME, ALICE)
    );
    assert_eq!(audit.target_type, "user");
    assert_eq!(audit.location, "203.0.113.9");
    assert_eq!(audit.user_agent.as_deref(), Some("UA/1"));
}

#[test]
fn with_sign_in_audit_off_a_sign_in_records_no_event() {
    let mut w = world(Scenario::default(), None);
    w.config.audit_sign_ins = false;
    let (state, cookie) = w.begin(None);
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(done.session.principal.organization_id.as_deref(), Some(ACME));
    assert!(done.audit.is_none());
}

#[test]
fn user_without_membership_signs_in_without_organization_or_audit() {
    let w = world(Scenario { memberships: vec![membership(ACME, "inactive", "admin")], ..Default::default() }, None);
    let (state, cookie) = w.begin(None);
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(done.session.principal.organization_id, None);
    assert!(done.session.principal.permissions.is_empty());
    assert!(done.audit.is_none());
}

#[test]
fn organization_restriction_refuses_outsiders_and_inactive_members() {
    for (memberships, want) in [
        (vec![], SigninError::NotInOrganization),
        (vec![membership("org_other", "active", "admin")], SigninError::NotInOrganization),
        (vec![membership(ACME, "inactive", "admin")], SigninError::MembershipInactive),
        (vec![membership(ACME, "pending", "admin")], SigninError::MembershipInactive),
    ] {
        let w = world(Scenario { memberships, ..Default::default() }, Some(ACME));
        let (state, cookie) = w.begin(None);
        assert_eq!(w.finish(&state, Some(&cookie)).unwrap_err(), want);
        assert!(w.sessions().is_empty(), "no session for a refused sign-in");
        assert_eq!(want.view().status, 403);
    }
}

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
fn expired_state_is_refused_even_if_kv_still_has_it() {
    let w = world(Scenario::default(), None);
    let (state, _) = w.begin(None);
    let late = Ctx { now: NOW + STATE_TTL + 1, ..w.ctx() };
    let cookie = w.config.seal_keys.seal(SIGNIN_COOKIE, state.as_bytes(), NOW + 10 * STATE_TTL);
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
fn tampered_or_foreign_session_cookies_are_absent() {
    let w = world(Scenario::default(), None);
    let (state, cookie) = w.begin(None);
    let sc = cookie_value(&w.finish(&state, Some(&cookie)).unwrap().set_cookie);
    let mut bytes = sc.clone().into_bytes();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    assert!(block_on(load_session(&w.ctx(), Some(&tampered))).unwrap().is_none());
    assert!(block_on(load_session(&w.ctx(), Some(&sc[..sc.len() - 3]))).unwrap().is_none());
    // A signin cookie is not a session cookie, even under the same key.
    assert!(block_on(load_session(&w.ctx(), Some(&cookie))).unwrap().is_none());
    let other = world(Scenario::default(), None);
    let foreign_key = Config { seal_keys: crate::seal::SealKeys::parse(&"z".repeat(40)).unwrap(), ..config(None) };
    let ctx = Ctx { config: &foreign_key, ..other.ctx() };
    assert!(block_on(load_session(&ctx, Some(&sc))).unwrap().is_none());
}

#[test]
fn logout_checks_origin_and_csrf_then_deletes_the_session() {
    let w = world(Scenario::default(), None);
    let (state, cookie) = w.begin(None);
    let sc = cookie_value(&w.finish(&state, Some(&cookie)).unwrap().set_cookie);
    let (_, session) = block_on(load_session(&w.ctx(), Some(&sc))).unwrap().unwrap();

    assert_eq!(
        block_on(logout(&w.ctx(), Some(&sc), Some(session.csrf.as_str()), Some("https://evil.example"))).unwrap_err(),
        SigninError::ForeignOrigin
    );
    assert_eq!(block_on(logout(&w.ctx(), Some(&sc), Some("wrong"), None)).unwrap_err(), SigninError::Csrf);
    assert_eq!(block_on(logout(&w.ctx(), Some(&sc), None, Some(ORIGIN))).unwrap_err(), SigninError::Csrf);
    assert_eq!(w.sessions().len(), 1, "refused logouts keep the session");

    let location = block_on(logout(&w.ctx(), Some(&sc), Some(session.csrf.as_str()), Some(ORIGIN))).unwrap();
    assert!(location.starts_with("https://api.workos.test/user_management/sessions/logout?"), "{location}");
    assert!(location.contains("session_id=session_1"));
    assert!(location.contains("return_to=https%3A%2F%2Fmcp.example.com%2Flogin"));
    assert!(w.sessions().is_empty());
    assert!(block_on(load_session(&w.ctx(), Some(&sc))).unwrap().is_none());
    // Signing out again (no session) just goes to the sign-in page.
    assert_eq!(block_on(logout(&w.ctx(), Some(&sc), None, None)).unwrap(), "https://mcp.example.com/login");
}

#[test]
fn storage_outage_is_a_503_not_a_panic() {
    let w = world(Scenario::default(), None);
    *w.store.fail.borrow_mut() = true;
    let err = block_on(start(&w.ctx(), StartRequest::default())).unwrap_err();
    assert!(matches!(err, SigninError::Storage(_)));
    assert_eq!(err.view().status, 503);
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
fn no_cached_jwks_and_workos_jwks_down_refuses_without_a_session() {
    let w = world(Scenario { jwks_down: true, ..Default::default() }, None);
    let (state, cookie) = w.begin(None);
    let err = w.finish(&state, Some(&cookie)).unwrap_err();
    assert!(matches!(err, SigninError::Workos(_)), "{err:?}");
    assert!(w.sessions().is_empty());
}

fn unnamed_membership() -> Value {
    let mut m = membership(ACME, "active", "admin");
    m.as_object_mut().unwrap().remove("organization_name");
    m
}

#[test]
fn an_unnamed_membership_gets_its_organization_name_looked_up() {
    let w = world(Scenario { memberships: vec![unnamed_membership()], ..Default::default() }, None);
    let (state, cookie) = w.begin(None);
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(done.session.principal.organization_name.as_deref(), Some("Acme (looked up)"));
}

#[test]
fn a_failed_organization_lookup_still_signs_in_without_a_name() {
    let w =
        world(Scenario { memberships: vec![unnamed_membership()], org_lookup_down: true, ..Default::default() }, None);
    let (state, cookie) = w.begin(None);
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(done.session.principal.organization_name, None);
    assert_eq!(done.session.principal.organization_id.as_deref(), Some(ACME));
    assert_eq!(done.session.principal.permissions, vec!["image_generation".to_string()]);
}

/// WorkOS scoped the code exchange to Acme (one active membership), the token carrying the role
/// and permissions.
fn scoped_to_acme(role: bool) -> Scenario {
    let mut claims = json!({"org_id": ACME, "permissions": ["image_generation"]});
    if role {
        claims["role"] = json!("admin");
    }
    Scenario { scoped_exchange: Some(claims), ..Default::default() }
}

fn count(w: &World<impl Fn(&HttpRequest) -> Result<HttpResponse, TransportError>>, path: &str) -> usize {
    w.http.paths().iter().filter(|p| p.as_str() == path).count()
}

#[test]
fn a_scoped_sign_in_takes_its_standing_from_the_token_and_names_the_organization_once() {
    let w = world(scoped_to_acme(true), None);
    for round in 0..2 {
        let (state, cookie) = w.begin(None);
        let done = w.finish(&state, Some(&cookie)).unwrap();
        assert_eq!(done.session.principal.organization_id.as_deref(), Some(ACME));
        assert_eq!(done.session.principal.organization_name.as_deref(), Some("Acme (looked up)"));
        assert_eq!(done.session.principal.role.as_deref(), Some("admin"));
        assert_eq!(done.session.principal.permissions, vec!["image_generation".to_string()]);
        assert_eq!(done.audit.as_ref().map(|a| a.organization_id.as_str()), Some(ACME));
        assert_eq!(count(&w, "/user_management/authenticate"), round + 1, "the code exchange only, no switch");
    }
    assert_eq!(count(&w, "/user_management/organization_memberships"), 0);
    assert_eq!(count(&w, "/organizations/org_acme"), 1, "the second sign-in used the isolate's copy");
    // A name learnt from a membership serves the next scoped sign-in too.
    let fresh = world(scoped_to_acme(true), None);
    fresh.org_names.borrow_mut().remember(ACME, "Acme", u64::MAX, NOW - 1);
    let (state, cookie) = fresh.begin(None);
    assert_eq!(
        fresh.finish(&state, Some(&cookie)).unwrap().session.principal.organization_name.as_deref(),
        Some("Acme")
    );
    assert_eq!(count(&fresh, "/organizations/org_acme"), 0);
}

#[test]
fn a_scoped_sign_in_meets_this_servers_organization_rule() {
    // Scoped to this server's organization: nothing more to ask.
    let ours = world(scoped_to_acme(true), Some(ACME));
    let (state, cookie) = ours.begin(None);
    assert_eq!(ours.finish(&state, Some(&cookie)).unwrap().session.principal.organization_id.as_deref(), Some(ACME));
    assert_eq!(count(&ours, "/user_management/organization_memberships"), 0);
    // Scoped elsewhere: the memberships are read, and Alice is not in Globex.
    let theirs = world(scoped_to_acme(true), Some(GLOBEX));
    let (state, cookie) = theirs.begin(None);
    assert_eq!(theirs.finish(&state, Some(&cookie)).unwrap_err(), SigninError::NotInOrganization);
    assert_eq!(count(&theirs, "/user_management/organization_memberships"), 1);
    assert!(theirs.sessions().is_empty());
}

#[test]
fn a_scoped_token_without_a_role_falls_back_to_the_membership() {
    let w = world(scoped_to_acme(false), None);
    let (state, cookie) = w.begin(None);
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(count(&w, "/user_management/organization_memberships"), 1);
    assert_eq!(done.session.principal.role.as_deref(), Some("admin"), "the membership's role");
    assert_eq!(done.session.principal.organization_name.as_deref(), Some("Acme"), "the membership's name");
    assert_eq!(count(&w, "/organizations/org_acme"), 0);
}

#[test]
fn a_scoped_sign_in_whose_name_cannot_be_read_still_signs_in() {
    let w = world(Scenario { org_lookup_down: true, ..scoped_to_acme(true) }, None);
    let (state, cookie) = w.begin(None);
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(
        (done.session.principal.organization_id.as_deref(), done.session.principal.organization_name),
        (Some(ACME), None)
    );
    // Nothing was remembered: the next sign-in asks again (as often: a 500 is retried once).
    let asked = count(&w, "/organizations/org_acme");
    assert!(asked >= 1);
    let (state, cookie) = w.begin(None);
    w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(count(&w, "/organizations/org_acme"), 2 * asked);
}

fn bridge_world(completion: (u16, Value)) -> World<impl Fn(&HttpRequest) -> Result<HttpResponse, TransportError>> {
    let mut w = world(Scenario { completion, ..Default::default() }, None);
    w.external_auth_id = Some("ext_auth_01TEST".into());
    w
}

#[test]
fn an_authkit_bridge_sign_in_completes_at_authkit_and_is_audited() {
    let w = bridge_world((200, json!({"redirect_uri": "https://acme.authkit.app/oauth2/continue?state=abc"})));
    let (state, cookie) = w.begin(Some("/account"));
    let done = w.finish(&state, Some(&cookie)).unwrap();
    assert_eq!(done.location, "https://acme.authkit.app/oauth2/continue?state=abc");
    assert!(done.audit.is_some(), "the bridge path is audited too");
    assert_eq!(w.sessions().len(), 1);
}

#[test]
fn a_completion_pointing_outside_authkit_is_refused_and_leaves_no_session() {
    let w = bridge_world((200, json!({"redirect_uri": "https://evil.example/steal"})));
    let (state, cookie) = w.begin(None);
    let err = w.finish(&state, Some(&cookie)).unwrap_err();
    assert!(matches!(err, SigninError::BridgeRedirectRefused(_)), "{err:?}");
    assert_eq!(err.view().status, 502);
    assert!(w.sessions().is_empty());
}

#[test]
fn authkit_completion_errors_get_readable_pages() {
    for (status, code, words) in [
        (400, "external_auth_session_already_completed", "already completed"),
        (400, "email_not_available", "another account"),
        (404, "", "expired"),
    ] {
        let w = bridge_world((status, json!({"code": code, "message": "x"})));
        let (state, cookie) = w.begin(None);
        let err = w.finish(&state, Some(&cookie)).unwrap_err();
        let view = err.view();
        assert_eq!(view.status, 400, "{code}");
        assert!(view.message.contains(words), "{code}: {}", view.message);
        assert!(w.sessions().is_empty());
    }
}

#[test]
fn a_signed_in_browser_completes_the_bridge_at_once() {
    let w = world(Scenario::default(), None);
    let (state, cookie) = w.begin(None);
    let done = w.finish(&state, Some(&cookie)).unwrap();
    let location = block_on(complete_bridge_for_session(&w.ctx(), &done.session.principal, "ext_auth_01TEST")).unwrap();
    assert!(location.starts_with("https://acme.authkit.app/"));
    let bad = block_on(complete_bridge_for_session(&w.ctx(), &done.session.principal, "bad id")).unwrap_err();
    assert!(matches!(bad, SigninError::Bridge(_)));
}
