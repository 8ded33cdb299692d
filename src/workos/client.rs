//! WorkOS calls. URL builders are pure; the rest go through the [`HttpClient`].
use super::error::WorkosError;
use super::types::{AuditEvent, AuthResponse, Membership, User};
use crate::http::HttpClient;

pub struct WorkosClient<'a, H: HttpClient> {
    pub http: &'a H,
    /// e.g. `https://api.workos.com` (no trailing slash needed; both accepted).
    pub base_url: &'a str,
    pub client_id: &'a str,
    pub api_key: &'a str,
    /// Unix seconds, for `Retry-After` HTTP-dates.
    pub now: u64,
}

/// Parameters of `GET /user_management/authorize` (provider=authkit, PKCE S256).
#[derive(Debug, Clone, Default)]
pub struct AuthorizeParams<'a> {
    pub redirect_uri: &'a str,
    pub state: &'a str,
    /// base64url(SHA-256(verifier)).
    pub code_challenge: &'a str,
    pub organization_id: Option<&'a str>,
    pub login_hint: Option<&'a str>,
    /// `sign-in` or `sign-up`.
    pub screen_hint: Option<&'a str>,
}

/// `{base}/user_management/authorize?client_id&code_challenge&code_challenge_method=S256&…&provider=authkit&redirect_uri&response_type=code&state`
pub fn authorization_url(base_url: &str, client_id: &str, p: &AuthorizeParams<'_>) -> String { todo!() }

/// `{base}/user_management/sessions/logout?session_id=…[&return_to=…]`
pub fn logout_url(base_url: &str, session_id: &str, return_to: Option<&str>) -> String { todo!() }

/// `{base}/sso/jwks/{client_id}`
pub fn jwks_url(base_url: &str, client_id: &str) -> String { todo!() }

impl<'a, H: HttpClient> WorkosClient<'a, H> {
    /// `POST /user_management/authenticate` grant `authorization_code` (JSON; `client_secret` = API key).
    pub async fn authenticate_with_code(&self, code: &str, code_verifier: &str, ip_address: Option<&str>, user_agent: Option<&str>) -> Result<AuthResponse, WorkosError> { todo!() }
    /// Same endpoint, grant `refresh_token`, optionally switching to `organization_id`.
    pub async fn authenticate_with_refresh_token(&self, refresh_token: &str, organization_id: Option<&str>) -> Result<AuthResponse, WorkosError> { todo!() }
    /// `GET /user_management/users/{id}`.
    pub async fn get_user(&self, user_id: &str) -> Result<User, WorkosError> { todo!() }
    /// `GET /user_management/organization_memberships?user_id=…[&organization_id=…]` — all statuses
    /// (`statuses[]=active&statuses[]=inactive&statuses[]=pending`) so callers can tell "inactive" from "none"; first page, limit 100.
    pub async fn list_memberships(&self, user_id: &str, organization_id: Option<&str>) -> Result<Vec<Membership>, WorkosError> { todo!() }
    /// `POST /audit_logs/events` with an `Idempotency-Key`.
    pub async fn create_audit_event(&self, event: &AuditEvent, idempotency_key: &str) -> Result<(), WorkosError> { todo!() }
    /// `GET /sso/jwks/{client_id}` → raw JWKS JSON text (parsed by [`super::jwt::JwksCache`]).
    pub async fn fetch_jwks(&self) -> Result<String, WorkosError> { todo!() }
}
