//! The sign-in tests' world: an in-memory store, a scripted WorkOS that knows a [`Scenario`],
//! and the helpers that start and finish sign-ins in it.
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

pub(super) fn config(org: Option<&str>) -> Config {
    config_with(org, None)
}

/// In AuthKit mode (`WORKOS_AUTHKIT_DOMAIN`), where "bring your own login" requests are taken.
pub(super) fn authkit_config() -> Config {
    config_with(None, Some("acme.authkit.app"))
}

fn config_with(org: Option<&str>, authkit_domain: Option<&str>) -> Config {
    Config::from_lookup(|n| match n {
        "WORKOS_CLIENT_ID" => Some("client_test".into()),
        "WORKOS_API_KEY" => Some("sk_test_secret".into()),
        "COOKIE_ENCRYPTION_KEY" => Some("k".repeat(40)),
        "WORKOS_API_BASE_URL" => Some("https://api.workos.test".into()),
        "WORKOS_ORGANIZATION_ID" => org.map(str::to_string),
        "WORKOS_AUTHKIT_DOMAIN" => authkit_domain.map(str::to_string),
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
    /// Alice's WorkOS session has ended (signed out elsewhere, revoked): refreshes are refused.
    pub(super) session_ended: bool,
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
            session_ended: false,
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
            "/user_management/authenticate" if body["grant_type"] == "refresh_token" && s.session_ended => Ok(
                json_response(400, json!({"error":"invalid_grant","error_description":"Session has already ended."})),
            ),
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
    pub(super) jwks: RefCell<JwksCache>,
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

    /// The record the sign-in bound by `cookie` keeps, and whether KV keeps it.
    pub(super) fn kept_record(&self, cookie: &str) -> (serde_json::Value, bool) {
        super::flow::kept_record(&self.config.seal_keys, &self.store, cookie, NOW)
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
