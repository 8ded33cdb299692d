//! The authorization server end to end against an in-memory store and a scripted WorkOS:
//! register → authorize (consent) → code → tokens → bearer checks → refresh → revoke.
use super::access::{self, BearerError, GrantChecks};
use super::authorize::{AuthorizeParams, Checked};
use super::consent::{self, Next, CONSENT_COOKIE};
use super::form::Form;
use super::token::{self, TokenResponse};
use super::{authorize, client_auth, registry, ErrorCode};
use crate::config::Config;
use crate::context::Ctx;
use crate::copies::KvCopies;
use crate::principal::Principal;
use crate::signin::{Session, SESSION_COOKIE};
use crate::store::{keys, MemoryStore, Store};
use crate::testing::ScriptedHttp;
use crate::workos::{JwksCache, OrgNames};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use futures_executor::block_on;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::cell::{Cell, RefCell};

const T0: u64 = 1_795_000_000;
const ORIGIN: &str = "https://mcp.example.com";
const ALICE: &str = "user_alice";
const ACME: &str = "org_acme";
const REDIRECT: &str = "http://localhost:33418/oauth/callback";
const VERIFIER: &str = "a-verifier-that-is-long-enough-for-rfc-7636-0123456789";

fn challenge() -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()))
}

fn config() -> Config {
    Config::from_lookup(|n| match n {
        "WORKOS_CLIENT_ID" => Some("client_test".into()),
        "WORKOS_API_KEY" => Some("sk_test_secret".into()),
        "COOKIE_ENCRYPTION_KEY" => Some("k".repeat(40)),
        "WORKOS_API_BASE_URL" => Some("https://api.workos.test".into()),
        _ => None,
    })
    .unwrap()
}

struct World {
    config: Config,
    store: MemoryStore,
    http: ScriptedHttp<Handler>,
    jwks: RefCell<JwksCache>,
    pub(super) org_names: RefCell<OrgNames>,
    pub(super) copies: RefCell<KvCopies>,
    checks: RefCell<GrantChecks>,
    now: Cell<u64>,
    up: Upstream,
}

fn world() -> World {
    let up = Upstream::new();
    let http = ScriptedHttp::new(workos(&up));
    // The clock the grant's object reads (ms): each WorkOS call takes 5 ms.
    http.clock_ms.set(T0 * 1000);
    http.latency_ms.set(5);
    World {
        config: config(),
        store: MemoryStore::default(),
        http,
        jwks: RefCell::default(),
        org_names: RefCell::default(),
        copies: RefCell::default(),
        checks: RefCell::default(),
        now: Cell::new(T0),
        up,
    }
}

impl World {
    fn ctx(&self) -> Ctx<'_, MemoryStore, ScriptedHttp<Handler>> {
        Ctx {
            config: &self.config,
            store: &self.store,
            http: &self.http,
            jwks: &self.jwks,
            org_names: &self.org_names,
            copies: &self.copies,
            now: self.now.get(),
            origin: ORIGIN,
        }
    }

    fn register(&self, body: Value) -> (String, Option<String>) {
        let r = block_on(registry::register(&self.ctx(), body.to_string().as_bytes())).unwrap();
        (r.record.client_id.to_string(), r.client_secret.clone())
    }

    fn public_client(&self) -> String {
        self.register(
            json!({"redirect_uris":[REDIRECT],"client_name":"Test client","token_endpoint_auth_method":"none",
                              "grant_types":["authorization_code","refresh_token"]}),
        )
        .0
    }

    /// A confidential client (`client_secret_post`): its id and secret.
    fn confidential_client(&self) -> (String, String) {
        let (id, secret) =
            self.register(json!({"redirect_uris":[REDIRECT],"token_endpoint_auth_method":"client_secret_post"}));
        (id, secret.expect("a confidential client is given a secret"))
    }

    /// A signed-in browser: returns its session cookie.
    fn sign_in(&self) -> String {
        self.sign_in_ago(3600)
    }

    /// A browser signed in `age` seconds ago (see `consent::HANDOVER_SECS`).
    fn sign_in_ago(&self, age: u64) -> String {
        self.store_session(self.session_record(age))
    }

    /// A browser whose sign-in the request `params` started, `age` seconds ago: the WorkOS token
    /// is kept for that request (`Session::handover_for`).
    fn sign_in_for(&self, params: &AuthorizeParams, age: u64) -> String {
        let handover_for = Some(crate::signin::handover_digest(&params.path()));
        self.store_session(Session { handover_for, ..self.session_record(age) })
    }

    /// `session` stored under a new id: its cookie.
    fn store_session(&self, session: Session) -> String {
        let now = self.now.get();
        let id = crate::random::token(16);
        block_on(self.store.put(&keys::session(&id), &serde_json::to_string(&session).unwrap(), 3600)).unwrap();
        self.config.seal_keys.seal(SESSION_COOKIE, id.as_bytes(), now + 3600)
    }

    /// Alice's session record from a sign-in `age` seconds ago (not stored).
    fn session_record(&self, age: u64) -> Session {
        let now = self.now.get();
        let keys = &self.config.seal_keys;
        let principal = Principal {
            user_id: ALICE.into(),
            email: "alice@example.com".into(),
            name: "Alice Admin".into(),
            organization_id: Some(ACME.into()),
            organization_name: Some("Acme".into()),
            role: Some("admin".into()),
            other_roles: Vec::new(),
            permissions: vec!["image_generation".into()],
            workos_session_id: Some("session_1".into()),
        };
        // Each sign-in is its own WorkOS session with its own (single-use) refresh token.
        let workos_refresh = format!("wrt-session-{}", crate::random::token(8));
        Session {
            principal,
            refresh_token_sealed: keys.seal(
                crate::signin::session::REFRESH_TOKEN_AAD,
                workos_refresh.as_bytes(),
                now + 3600,
            ),
            csrf: "csrf-token".into(),
            created_at: now - age,
            expires_at: now + 3600,
            // WorkOS asked 200 ms into the sign-in's second.
            standing_at_ms: (now - age) * 1000 + 200,
            handover_for: None,
        }
    }

    fn params(&self, client_id: &str, extra: &[(&str, &str)]) -> AuthorizeParams {
        let ch = challenge();
        let mut pairs = vec![
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("code_challenge", ch.as_str()),
            ("code_challenge_method", "S256"),
            ("state", "st-1"),
        ];
        for (k, v) in extra {
            pairs.retain(|(pk, _)| pk != k);
            if !v.is_empty() {
                pairs.push((k, v));
            }
        }
        AuthorizeParams::from_pairs(pairs)
    }

    /// The consent form for `params` approved in the browser signed in with `session`: the answer.
    fn submit_approval(&self, params: &AuthorizeParams, session: &str) -> Next {
        block_on(consent::decide(
            &self.ctx(),
            params,
            Some("approve"),
            Some("csrf-token"),
            Some(ORIGIN),
            Some(session),
            None,
        ))
    }

    /// Consent approved in a signed-in browser → the code (and the consent cookie).
    fn approve(&self, params: &AuthorizeParams, session: &str) -> (String, String) {
        match self.submit_approval(params, session) {
            Next::Redirect { location, set_cookies } => {
                (query(&location, "code").expect("code"), set_cookies[0].clone())
            }
            other => panic!("expected a code redirect, got {other:?}"),
        }
    }

    /// A `/token` request arriving now (the clock moves on 1 ms first: requests in sequence).
    fn token(&self, pairs: &[(&str, &str)]) -> Result<TokenResponse, super::OAuthError> {
        self.http.clock_ms.set(self.http.clock_ms.get() + 1);
        self.token_arriving(pairs, self.http.clock_ms.get())
    }

    /// A `/token` request that reached the grant's object at `arrived_ms`.
    fn token_arriving(&self, pairs: &[(&str, &str)], arrived_ms: u64) -> Result<TokenResponse, super::OAuthError> {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        let form = Form::parse(Some("application/x-www-form-urlencoded"), body.as_bytes())?;
        block_on(token::token_request(&self.ctx(), &form, None, arrived_ms))
    }

    /// Moves both clocks (s and ms) on.
    fn advance(&self, secs: u64) {
        self.now.set(self.now.get() + secs);
        self.http.clock_ms.set(self.http.clock_ms.get() + secs * 1000);
    }

    fn exchange(&self, client: &str, code: &str) -> Result<TokenResponse, super::OAuthError> {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("client_id", client),
            ("code", code),
            ("code_verifier", VERIFIER),
            ("redirect_uri", REDIRECT),
        ])
    }

    fn refresh(&self, client: &str, rt: &str) -> Result<TokenResponse, super::OAuthError> {
        self.token(&[("grant_type", "refresh_token"), ("client_id", client), ("refresh_token", rt)])
    }

    /// A WorkOS event's change mark (`keys::access_changed`, `keys::role_changed`) left now by an
    /// event that reached no grant (as when KV had not listed them yet).
    fn mark_changed(&self, mark: &str) {
        block_on(access::note_change(&self.store, mark, self.http.clock_ms.get())).unwrap();
    }

    /// The bearer check, which reads grants from KV's mirrors alone (as the Worker does).
    fn bearer(&self, token: &str, path: &str) -> Result<access::AccessClaims, BearerError> {
        self.store.through_mirrors(|| self.bearer_check(token, path))
    }

    fn bearer_check(&self, token: &str, path: &str) -> Result<access::AccessClaims, BearerError> {
        block_on(access::authenticate(
            &self.config.seal_keys,
            ORIGIN,
            &self.store,
            &self.checks,
            Some(&format!("Bearer {token}")),
            path,
            self.now.get(),
        ))
    }

    /// Register, sign in, approve, exchange: a client with tokens.
    fn connected(&self) -> (String, TokenResponse) {
        let client = self.public_client();
        let session = self.sign_in();
        let (code, _) = self.approve(&self.params(&client, &[]), &session);
        (client.clone(), self.exchange(&client, &code).unwrap())
    }
}

impl TokenResponse {
    /// The refresh token, which the tests' clients registered for.
    pub fn refresh(&self) -> &str {
        self.refresh_token.as_ref().map(crate::secret::Secret::as_str).expect("a refresh token")
    }
}

/// The grant that issued `t`.
fn grant_of(t: &TokenResponse) -> crate::ids::GrantId {
    super::types::RefreshToken::parse(t.refresh()).unwrap()
}

fn validate(w: &World, p: &AuthorizeParams) -> Checked {
    block_on(authorize::validate(&w.ctx(), p))
}

fn query(location: &str, name: &str) -> Option<String> {
    url::Url::parse(location).ok()?.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

#[path = "flow_upstream.rs"]
mod upstream;
use upstream::{workos, Handler, Upstream};

#[path = "authorize_tests.rs"]
mod authorize_tests;
#[path = "bearer_tests.rs"]
mod bearer_tests;
#[path = "connected_tests.rs"]
mod connected_tests;
#[path = "handover_tests.rs"]
mod handover_tests;
#[path = "refresh_upstream_tests.rs"]
mod refresh_upstream_tests;
#[path = "storage_fault_tests.rs"]
mod storage_fault_tests;
#[path = "token_tests.rs"]
mod token_tests;
#[path = "without_grant_tests.rs"]
mod without_grant_tests;
#[path = "workos_events_tests.rs"]
mod workos_events_tests;
