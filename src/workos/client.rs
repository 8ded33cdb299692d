//! WorkOS calls, through the [`HttpClient`]; the URLs come from `urls.rs`.
use super::error::{clean, WorkosError};
use super::types::{AuditEvent, AuthResponse, Membership, Organization, Role, User};
use super::urls::{endpoint, jwks_url};
use crate::outbound::{HttpClient, HttpRequest, HttpResponse, Method, TransportError};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

pub const USER_AGENT: &str = "mcp-authkit-worker/0.1";
/// The grant that finishes an authentication paused by `organization_selection_required`.
pub const ORGANIZATION_SELECTION_GRANT: &str = "urn:workos:oauth:grant-type:organization-selection";

pub struct WorkosClient<'a, H: HttpClient> {
    pub http: &'a H,
    /// e.g. `https://api.workos.com` (no trailing slash needed; both accepted).
    pub base_url: &'a str,
    pub client_id: &'a str,
    pub api_key: &'a str,
    /// Unix seconds, for `Retry-After` HTTP-dates.
    pub now: u64,
}

/// A page of a WorkOS list (`{"object":"list","data":[…],"list_metadata":{"before","after"}}`).
#[derive(Deserialize)]
struct List<T> {
    data: Vec<T>,
    #[serde(default)]
    list_metadata: Option<ListMetadata>,
}

#[derive(Deserialize, Default)]
struct ListMetadata {
    #[serde(default)]
    after: Option<String>,
}

/// Pages of memberships read at most (100 each): a person in more than 1,000 organizations is
/// not someone a sign-in should wait for.
pub const MAX_MEMBERSHIP_PAGES: usize = 10;
/// No WorkOS answer we read is near this large (a list page of 100 memberships is ~100 KiB).
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;
/// A retry waits at least this long, and WorkOS's `Retry-After` only when it is this short.
const RETRY_DELAY_MS: u64 = 250;
const MAX_RETRY_AFTER_MS: u64 = 2000;
/// A retry is only worth starting with this much of the time budget left.
const MIN_RETRY_BUDGET_MS: u64 = 500;

/// Whether a call may be sent twice: idempotent reads and writes, and POSTs that carry an
/// `Idempotency-Key` (WorkOS answers a repeated key with the first answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    Once,
    Never,
}

/// What the bridge tells AuthKit about the person (`POST /authkit/oauth2/complete` `user`).
#[derive(Debug, Clone, PartialEq)]
pub struct BridgeUser<'a> {
    /// The application's own id for the person, which WorkOS stores as the user's `external_id`.
    pub external_id: &'a str,
    pub email: &'a str,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
}

impl<'a, H: HttpClient> WorkosClient<'a, H> {
    /// `POST /user_management/authenticate` grant `authorization_code` (JSON; `client_secret` = API key).
    /// Not retried: WorkOS spends the code on the first request that reaches it.
    pub async fn authenticate_with_code(
        &self,
        code: &str,
        code_verifier: &str,
        ip_address: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<AuthResponse, WorkosError> {
        let mut body = json!({
            "grant_type": "authorization_code",
            "client_id": self.client_id,
            "client_secret": self.api_key,
            "code": code,
            "code_verifier": code_verifier,
        });
        put_opt(&mut body, "ip_address", ip_address);
        put_opt(&mut body, "user_agent", user_agent);
        let req = self.post(&["user_management", "authenticate"], &body, None);
        self.call_json(req, &[code, code_verifier], Retry::Never).await
    }

    /// Same endpoint, grant `refresh_token`, optionally switching to `organization_id`.
    pub async fn authenticate_with_refresh_token(
        &self,
        refresh_token: &str,
        organization_id: Option<&str>,
    ) -> Result<AuthResponse, WorkosError> {
        let mut body = json!({
            "grant_type": "refresh_token",
            "client_id": self.client_id,
            "client_secret": self.api_key,
            "refresh_token": refresh_token,
        });
        put_opt(&mut body, "organization_id", organization_id);
        let req = self.post(&["user_management", "authenticate"], &body, None);
        self.call_json(req, &[refresh_token], Retry::Never).await
    }

    /// Same endpoint, grant `urn:workos:oauth:grant-type:organization-selection`: finishes an
    /// authentication WorkOS paused with `organization_selection_required`.
    pub async fn authenticate_with_organization_selection(
        &self,
        pending_authentication_token: &str,
        organization_id: &str,
        ip_address: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<AuthResponse, WorkosError> {
        let mut body = json!({
            "grant_type": ORGANIZATION_SELECTION_GRANT,
            "client_id": self.client_id,
            "client_secret": self.api_key,
            "pending_authentication_token": pending_authentication_token,
            "organization_id": organization_id,
        });
        put_opt(&mut body, "ip_address", ip_address);
        put_opt(&mut body, "user_agent", user_agent);
        let req = self.post(&["user_management", "authenticate"], &body, None);
        self.call_json(req, &[pending_authentication_token], Retry::Never).await
    }

    /// `POST /authkit/oauth2/complete` (standalone Connect, "bring your own login"): tells AuthKit
    /// who signed in for `external_auth_id`; returns the `redirect_uri` to send the browser to.
    /// WorkOS finds (or creates) its user by `user.id` = the person's `external_id`.
    pub async fn complete_authkit_oauth2(
        &self,
        external_auth_id: &str,
        user: &BridgeUser<'_>,
    ) -> Result<String, WorkosError> {
        let mut person = json!({ "id": user.external_id, "email": user.email });
        put_opt(&mut person, "first_name", user.first_name);
        put_opt(&mut person, "last_name", user.last_name);
        let body = json!({ "external_auth_id": external_auth_id, "user": person });
        let req = self.post(&["authkit", "oauth2", "complete"], &body, None);
        #[derive(Deserialize)]
        struct Completion {
            redirect_uri: String,
        }
        let done: Completion = self.call_json(req, &[], Retry::Never).await?;
        Ok(done.redirect_uri)
    }

    /// `GET /user_management/users/{id}`.
    pub async fn get_user(&self, user_id: &str) -> Result<User, WorkosError> {
        let req = self.get(endpoint(self.base_url, &["user_management", "users", user_id], &[]));
        self.call_json(req, &[], Retry::Once).await
    }

    /// `PUT /user_management/users/{id}` with only `external_id` (an idempotent update).
    pub async fn set_external_id(&self, user_id: &str, external_id: &str) -> Result<User, WorkosError> {
        let url = endpoint(self.base_url, &["user_management", "users", user_id], &[]);
        let req = self.with_body(Method::Put, url, &json!({ "external_id": external_id }), None);
        self.call_json(req, &[], Retry::Once).await
    }

    /// `GET /organizations/{id}`.
    pub async fn get_organization(&self, organization_id: &str) -> Result<Organization, WorkosError> {
        let req = self.get(endpoint(self.base_url, &["organizations", organization_id], &[]));
        self.call_json(req, &[], Retry::Once).await
    }

    /// An organization's name: the one a membership carried (`from_membership`), else
    /// `GET /organizations/{id}` (older API versions and the emulator leave it out of
    /// memberships). The name is only shown, so a failed lookup is `None`, not an error.
    pub async fn organization_name(&self, organization_id: &str, from_membership: Option<&str>) -> Option<String> {
        match from_membership {
            Some(name) => Some(name.to_string()),
            None => self.get_organization(organization_id).await.ok().map(|o| o.name),
        }
    }

    /// `GET /user_management/organization_memberships?user_id=…[&organization_id=…]&statuses=active,inactive,pending`
    /// (the spec's `style: form, explode: false`), every status so callers can tell "inactive"
    /// from "none". Follows `list_metadata.after` for up to [`MAX_MEMBERSHIP_PAGES`] pages of 100.
    pub async fn list_memberships(
        &self,
        user_id: &str,
        organization_id: Option<&str>,
    ) -> Result<Vec<Membership>, WorkosError> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_MEMBERSHIP_PAGES {
            let mut query = vec![("limit", "100")];
            if let Some(org) = organization_id.filter(|o| !o.is_empty()) {
                query.push(("organization_id", org));
            }
            if let Some(cursor) = after.as_deref() {
                query.push(("after", cursor));
            }
            query.push(("user_id", user_id));
            let url = endpoint(self.base_url, &["user_management", "organization_memberships"], &query);
            // A form-style array that is not exploded: one parameter, values joined by literal commas.
            let req = self.get(format!("{url}&statuses=active,inactive,pending"));
            let page: List<Membership> = self.call_json(req, &[], Retry::Once).await?;
            let full = page.data.len() >= 100;
            all.extend(page.data);
            after = page.list_metadata.and_then(|m| m.after).filter(|a| !a.is_empty());
            if after.is_none() || !full {
                break;
            }
        }
        Ok(all)
    }

    /// The permission slugs of role `slug` as seen from `organization_id`: the environment role
    /// (`GET /authorization/roles/{slug}`), else — on 404 — the organization's own custom role
    /// (`GET /authorization/organizations/{id}/roles/{slug}`). The spec makes `permissions` a
    /// required field of the role object.
    pub async fn role_permissions(&self, organization_id: &str, slug: &str) -> Result<Vec<String>, WorkosError> {
        let environment = endpoint(self.base_url, &["authorization", "roles", slug], &[]);
        let role: Role = match self.call_json(self.get(environment), &[], Retry::Once).await {
            Ok(role) => role,
            Err(WorkosError::Api { status: 404, .. }) => {
                let custom =
                    endpoint(self.base_url, &["authorization", "organizations", organization_id, "roles", slug], &[]);
                self.call_json(self.get(custom), &[], Retry::Once).await?
            }
            Err(e) => return Err(e),
        };
        Ok(role.permissions)
    }

    /// `POST /audit_logs/events` with an `Idempotency-Key`: one key per event, the same on the
    /// retry, so WorkOS records the event once however many times it arrives.
    pub async fn create_audit_event(&self, event: &AuditEvent, idempotency_key: &str) -> Result<(), WorkosError> {
        let req = self.post(&["audit_logs", "events"], &event.request_body(), Some(idempotency_key));
        // Any 2xx: the spec says 200 `{"success":true}`, SDK tests mock 201; the body adds nothing.
        self.call(req, &[], Retry::Once).await.map(|_| ())
    }

    /// `GET /sso/jwks/{client_id}` → raw JWKS JSON text (parsed by [`super::jwt::JwksCache`]).
    pub async fn fetch_jwks(&self) -> Result<String, WorkosError> {
        let req = self.get(jwks_url(self.base_url, self.client_id));
        let resp = self.call(req, &[], Retry::Once).await?;
        String::from_utf8(resp.body)
            .map_err(|_| WorkosError::Malformed { status: resp.status, detail: "JWKS is not UTF-8".into() })
    }

    fn headers(&self) -> Vec<(String, String)> {
        vec![
            ("Authorization".into(), format!("Bearer {}", self.api_key)),
            ("Accept".into(), "application/json".into()),
            ("User-Agent".into(), USER_AGENT.into()),
        ]
    }

    fn get(&self, url: String) -> HttpRequest {
        HttpRequest {
            method: Method::Get,
            url,
            headers: self.headers(),
            body: None,
            max_response_bytes: Some(MAX_RESPONSE_BYTES),
            timeout_ms: None,
        }
    }

    fn post(&self, segments: &[&str], body: &Value, idempotency_key: Option<&str>) -> HttpRequest {
        self.with_body(Method::Post, endpoint(self.base_url, segments, &[]), body, idempotency_key)
    }

    /// A JSON request; `Idempotency-Key` only where WorkOS documents it (audit events).
    fn with_body(&self, method: Method, url: String, body: &Value, idempotency_key: Option<&str>) -> HttpRequest {
        let mut headers = self.headers();
        headers.push(("Content-Type".into(), "application/json".into()));
        if let Some(key) = idempotency_key {
            headers.push(("Idempotency-Key".into(), key.into()));
        }
        HttpRequest {
            method,
            url,
            headers,
            body: Some(body.to_string().into_bytes()),
            max_response_bytes: Some(MAX_RESPONSE_BYTES),
            timeout_ms: None,
        }
    }

    /// Send; a transient failure of a retryable call is tried once more within the client's
    /// time budget (see [`retry_delay`]). Non-2xx and transport failures become
    /// [`WorkosError`]s scrubbed of the API key and of the request's own secrets.
    async fn call(&self, req: HttpRequest, secrets: &[&str], retry: Retry) -> Result<HttpResponse, WorkosError> {
        let started = self.http.now_ms();
        let first = self.attempt(req.clone(), secrets).await;
        let Err(err) = &first else { return first };
        let Some(delay) = (retry == Retry::Once).then(|| retry_delay(err)).flatten() else { return first };
        let spent = self.http.now_ms().saturating_sub(started) + delay;
        let left = self.http.timeout_ms().saturating_sub(spent);
        if left < MIN_RETRY_BUDGET_MS {
            return first;
        }
        self.http.sleep(delay).await;
        self.attempt(HttpRequest { timeout_ms: Some(left), ..req }, secrets).await
    }

    async fn attempt(&self, req: HttpRequest, secrets: &[&str]) -> Result<HttpResponse, WorkosError> {
        let scrub = |e: WorkosError| std::iter::once(&self.api_key).chain(secrets).fold(e, |e, s| e.redact(s));
        let resp = match self.http.send(req).await {
            Ok(resp) => resp,
            Err(TransportError::Timeout) => {
                return Err(WorkosError::Unreachable { timeout: true, detail: "timed out".into() })
            }
            Err(TransportError::Network(detail)) => {
                return Err(scrub(WorkosError::Unreachable { timeout: false, detail: clean(&detail) }))
            }
            Err(TransportError::TooLarge) => {
                return Err(WorkosError::Unreachable { timeout: false, detail: "response too large".into() })
            }
        };
        if (200..300).contains(&resp.status) {
            return Ok(resp);
        }
        let err = WorkosError::from_response(
            resp.status,
            &resp.body,
            resp.header("Retry-After"),
            resp.header("X-Request-ID"),
            self.now,
        );
        Err(scrub(err))
    }

    async fn call_json<T: DeserializeOwned>(
        &self,
        req: HttpRequest,
        secrets: &[&str],
        retry: Retry,
    ) -> Result<T, WorkosError> {
        let resp = self.call(req, secrets, retry).await?;
        // From `str`, as everywhere (see `crate::json`), with the reason named.
        let text = std::str::from_utf8(&resp.body)
            .map_err(|_| WorkosError::Malformed { status: resp.status, detail: "invalid JSON (not UTF-8)".into() })?;
        crate::json::from_str(text).map_err(|e| WorkosError::Malformed { status: resp.status, detail: describe(&e) })
    }
}

/// How long to wait before the one retry of a failure worth retrying: a failed connection,
/// 408, 429 (WorkOS's `Retry-After` when at most 2 s, else none) and 5xx. A timeout is not
/// retried: it spent the whole budget.
fn retry_delay(e: &WorkosError) -> Option<u64> {
    let after = |secs: &Option<u64>| match secs {
        None => Some(RETRY_DELAY_MS),
        Some(s) if s.saturating_mul(1000) <= MAX_RETRY_AFTER_MS => Some((s * 1000).max(RETRY_DELAY_MS)),
        Some(_) => None,
    };
    match e {
        WorkosError::Unreachable { timeout: false, .. } => Some(RETRY_DELAY_MS),
        WorkosError::RateLimited { retry_after, .. } | WorkosError::Server { retry_after, .. } => after(retry_after),
        WorkosError::Api { status: 408, .. } | WorkosError::OAuth { status: 408, .. } => Some(RETRY_DELAY_MS),
        _ => None,
    }
}

/// Where and why JSON failed, without echoing values (serde's "invalid type" messages quote them).
fn describe(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Eof => "truncated JSON".to_string(),
        Category::Syntax => "invalid JSON".to_string(),
        Category::Io => "unreadable body".to_string(),
        Category::Data => {
            let msg = e.to_string();
            if msg.starts_with("missing field") {
                msg.split(" at line").next().unwrap_or("").to_string()
            } else {
                "unexpected JSON shape".to_string()
            }
        }
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

fn put_opt(body: &mut Value, key: &str, value: Option<&str>) {
    if let (Some(map), Some(v)) = (body.as_object_mut(), value.filter(|v| !v.is_empty())) {
        map.insert(key.into(), Value::String(v.into()));
    }
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
