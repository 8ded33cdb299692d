//! OAuth clients: the stored record, Dynamic Client Registration (RFC 7591), and the field
//! rules both it and Client ID Metadata Documents (`client_document.rs`) apply.
//! Validation only — storage and fetching live in `registry.rs`.
use super::redirect_uri::{quote, RedirectUri};
use super::types::TokenHash;
use super::OAuthError;
use crate::ids::ClientId;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    None,
    ClientSecretBasic,
    ClientSecretPost,
}

impl AuthMethod {
    /// The method a registration names, by its registered name.
    pub fn named(name: &str) -> Option<AuthMethod> {
        [AuthMethod::None, AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost]
            .into_iter()
            .find(|m| m.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientSource {
    Registered,
    MetadataDocument,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientRecord {
    pub client_id: ClientId,
    /// hex(SHA-256(secret)) — never the secret itself.
    pub client_secret_hash: Option<TokenHash>,
    pub redirect_uris: Vec<RedirectUri>,
    pub client_name: Option<String>,
    pub client_uri: Option<String>,
    pub logo_uri: Option<String>,
    pub token_endpoint_auth_method: AuthMethod,
    pub grant_types: Vec<String>,
    pub created_at: u64,
    pub source: ClientSource,
}

/// How a client authenticates at `/token`, as it registered (a pending grant keeps a copy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientAuth {
    pub method: AuthMethod,
    /// hex(SHA-256(secret)) — never the secret itself.
    pub secret_hash: Option<TokenHash>,
    /// The client did not register the `refresh_token` grant: its code's tokens come without a
    /// refresh token (absent, so false, in grants kept before this was).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_refresh: bool,
}

impl ClientAuth {
    pub fn of(client: &ClientRecord) -> ClientAuth {
        ClientAuth {
            method: client.token_endpoint_auth_method,
            secret_hash: client.client_secret_hash.clone(),
            no_refresh: !client.can_refresh(),
        }
    }

    /// Constant-time comparison of hex(SHA-256(presented)) with the stored hash; false when the
    /// client has no secret.
    pub fn verify_secret(&self, presented: &str) -> bool {
        self.secret_hash.as_ref().is_some_and(|stored| stored.matches(&TokenHash::of(presented)))
    }
}

impl ClientRecord {
    /// Whether the client registered the `refresh_token` grant (RFC 7591 §2: without
    /// `grant_types`, only `authorization_code`).
    pub fn can_refresh(&self) -> bool {
        self.grant_types.iter().any(|g| g == "refresh_token")
    }

    pub fn is_public(&self) -> bool {
        self.token_endpoint_auth_method == AuthMethod::None
    }

    /// Name for people: `client_name`, else "Unknown client".
    pub fn display_name(&self) -> &str {
        self.client_name.as_deref().filter(|n| !n.trim().is_empty()).unwrap_or("Unknown client")
    }
}

/// A registration request body larger than this is refused before parsing.
pub const MAX_REGISTRATION_BYTES: usize = 16 * 1024;
/// What one registration may store in KV, all fields together (each registration is kept for
/// 90 days, and anyone may register: the total is what bounds the storage a caller can take).
pub const MAX_STORED_CLIENT_BYTES: usize = 8 * 1024;
pub const MAX_REDIRECT_URIS: usize = 20;
pub const MAX_CLIENT_NAME_CHARS: usize = 200;
/// Longest `client_uri`/`logo_uri`/… and URL-form `client_id`, in bytes.
pub const MAX_URL_BYTES: usize = 2000;
const GRANT_TYPES: [&str; 2] = ["authorization_code", "refresh_token"];

pub struct Registration {
    pub record: ClientRecord,
    /// The plain secret, returned once in the 201 body.
    pub client_secret: Option<String>,
    /// The RFC 7591 §3.2.1 response body.
    pub response: Value,
}

/// Validate a DCR request body. `new_id` and `new_secret` are fresh random values from the caller
/// (a secret is used only when the auth method is not `none`).
pub fn register(body: &[u8], now: u64, new_id: &str, new_secret: &str) -> Result<Registration, OAuthError> {
    if body.len() > MAX_REGISTRATION_BYTES {
        return Err(OAuthError::invalid_request(format!(
            "the registration is larger than {} KiB",
            MAX_REGISTRATION_BYTES / 1024
        ))
        .with_status(413));
    }
    let Some(Value::Object(obj)) = crate::json::from_bytes::<Value>(body) else {
        return Err(OAuthError::invalid_request("the registration body must be a JSON object"));
    };
    let meta = |d: String| OAuthError::invalid_client_metadata(d);
    let redirect_uris = redirect_uris(&obj).map_err(|p| match p {
        UrisProblem::Missing => {
            OAuthError::invalid_redirect_uri("redirect_uris is required and must list at least one URI")
        }
        UrisProblem::Shape(d) => meta(d),
        UrisProblem::Invalid(e) => {
            OAuthError::invalid_redirect_uri(format!("{}; the whole registration was refused", e.description))
        }
    })?;
    let method = match opt_str(&obj, "token_endpoint_auth_method").map_err(meta)? {
        None => AuthMethod::ClientSecretBasic,
        Some(m) => AuthMethod::named(m).ok_or_else(|| {
            meta(format!(
                "token_endpoint_auth_method {} is not supported (use none, client_secret_basic or client_secret_post)",
                quote(m)
            ))
        })?,
    };
    let grant_types = grant_types(&obj, true).map_err(meta)?;
    if let Some(list) = opt_str_array(&obj, "response_types").map_err(meta)? {
        if let Some(r) = list.iter().find(|r| **r != "code") {
            return Err(meta(format!("response type {} is not supported (only code)", quote(r))));
        }
        if list.is_empty() {
            return Err(meta("response_types must include code".into()));
        }
    }
    let client_name = match opt_str(&obj, "client_name").map_err(meta)? {
        Some(n) if !n.trim().is_empty() => Some(check_client_name(n).map_err(meta)?),
        _ => None,
    };
    // policy_uri and tos_uri are checked but not kept: nothing shows them.
    let [client_uri, logo_uri, policy_uri, tos_uri] =
        ["client_uri", "logo_uri", "policy_uri", "tos_uri"].map(|key| match opt_str(&obj, key) {
            Ok(Some(v)) => {
                check_web_url(v).map(|()| Some(v.to_string())).map_err(|why| meta(format!("{key} {} {why}", quote(v))))
            }
            Ok(None) => Ok(None),
            Err(d) => Err(meta(d)),
        });
    let (client_uri, logo_uri, _, _) = (client_uri?, logo_uri?, policy_uri?, tos_uri?);
    if new_id.is_empty() || (method != AuthMethod::None && new_secret.is_empty()) {
        return Err(OAuthError::server_error("no client id or secret was generated"));
    }
    let client_secret = (method != AuthMethod::None).then(|| new_secret.to_string());
    let record = ClientRecord {
        client_id: ClientId::new(new_id.to_string()),
        client_secret_hash: client_secret.as_deref().map(TokenHash::of),
        redirect_uris,
        client_name,
        client_uri,
        logo_uri,
        token_endpoint_auth_method: method,
        grant_types,
        created_at: now,
        source: ClientSource::Registered,
    };
    let stored = serde_json::to_string(&record).map(|j| j.len()).unwrap_or(usize::MAX);
    if stored > MAX_STORED_CLIENT_BYTES {
        return Err(meta(format!(
            "the registration is too large to keep ({stored} bytes; the limit is {} KiB for all fields together)",
            MAX_STORED_CLIENT_BYTES / 1024
        )));
    }
    let response = registration_response(&record, client_secret.as_deref());
    Ok(Registration { record, client_secret, response })
}

fn registration_response(record: &ClientRecord, secret: Option<&str>) -> Value {
    let mut body = Map::new();
    let mut add = |key: &str, value: Value| body.insert(key.to_string(), value);
    add("client_id", json!(record.client_id));
    add("client_id_issued_at", json!(record.created_at));
    add("redirect_uris", json!(record.redirect_uris));
    for (key, value) in
        [("client_name", &record.client_name), ("client_uri", &record.client_uri), ("logo_uri", &record.logo_uri)]
    {
        if let Some(v) = value {
            add(key, json!(v));
        }
    }
    add("grant_types", json!(record.grant_types));
    add("response_types", json!(["code"]));
    add("token_endpoint_auth_method", json!(record.token_endpoint_auth_method.as_str()));
    if let Some(s) = secret {
        add("client_secret", json!(s));
        add("client_secret_expires_at", json!(0));
    }
    Value::Object(body)
}

pub(super) enum UrisProblem {
    Missing,
    Shape(String),
    Invalid(OAuthError),
}

/// `redirect_uris`: a non-empty array of at most 20 strings, each passing the registration rules;
/// duplicates are dropped.
pub(super) fn redirect_uris(obj: &Map<String, Value>) -> Result<Vec<RedirectUri>, UrisProblem> {
    let list = match opt_str_array(obj, "redirect_uris") {
        Ok(None) => return Err(UrisProblem::Missing),
        Ok(Some(list)) if list.is_empty() => return Err(UrisProblem::Missing),
        Ok(Some(list)) => list,
        Err(d) => return Err(UrisProblem::Shape(d)),
    };
    if list.len() > MAX_REDIRECT_URIS {
        return Err(UrisProblem::Shape(format!("redirect_uris lists more than {MAX_REDIRECT_URIS} URIs")));
    }
    let uris = dedup(list).iter().map(|s| RedirectUri::parse(s)).collect::<Result<Vec<_>, _>>();
    uris.map_err(UrisProblem::Invalid)
}

/// `grant_types`, by default `["authorization_code"]`, which it must include. Unsupported types
/// are refused when `strict` (DCR) and dropped otherwise (metadata documents).
pub(super) fn grant_types(obj: &Map<String, Value>, strict: bool) -> Result<Vec<String>, String> {
    let list = match opt_str_array(obj, "grant_types")? {
        None => return Ok(vec!["authorization_code".to_string()]),
        Some(list) => list,
    };
    if let (true, Some(g)) = (strict, list.iter().find(|g| !GRANT_TYPES.contains(g))) {
        return Err(format!("grant type {} is not supported (only authorization_code and refresh_token)", quote(g)));
    }
    let list = dedup(list.into_iter().filter(|g| GRANT_TYPES.contains(g)).collect());
    match list.iter().any(|g| g == "authorization_code") {
        true => Ok(list),
        false => Err("grant_types must include authorization_code".into()),
    }
}

pub(super) fn opt_str<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("{key} must be a string")),
    }
}

fn opt_str_array<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<Vec<&'a str>>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(Value::as_str)
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| format!("{key} must be an array of strings")),
        Some(_) => Err(format!("{key} must be an array of strings")),
    }
}

fn dedup(list: Vec<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for item in list {
        if !out.iter().any(|o| o == item) {
            out.push(item.to_string());
        }
    }
    out
}

/// At most 200 characters; no control characters, line or paragraph separators, and no
/// invisible format characters (Unicode category Cf: bidi controls, zero-width space and
/// joiners, soft hyphen, BOM, tag characters…) — they could make the consent page show
/// something other than what the name says. Look-alike letters from other scripts are not
/// refused: the consent page's trust anchor is the redirect host it shows prominently.
pub(super) fn check_client_name(name: &str) -> Result<String, String> {
    if name.chars().count() > MAX_CLIENT_NAME_CHARS {
        return Err(format!("client_name is longer than {MAX_CLIENT_NAME_CHARS} characters"));
    }
    if name.chars().any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') || is_format_char(c)) {
        return Err("client_name contains control, invisible or direction-changing characters".into());
    }
    Ok(name.to_string())
}

/// Unicode general category Cf (format characters), Unicode 15.1.
fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{ad}' | '\u{600}'..='\u{605}' | '\u{61c}' | '\u{6dd}' | '\u{70f}' | '\u{890}'..='\u{891}' | '\u{8e2}' | '\u{180e}'
        | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206f}' | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}' | '\u{110bd}' | '\u{110cd}' | '\u{13430}'..='\u{1343f}' | '\u{1bca0}'..='\u{1bca3}'
        | '\u{1d173}'..='\u{1d17a}' | '\u{e0001}' | '\u{e0020}'..='\u{e007f}')
}

/// An absolute `http://` or `https://` URL with a host, ASCII, no userinfo.
pub(super) fn check_web_url(s: &str) -> Result<(), &'static str> {
    if s.len() > MAX_URL_BYTES {
        return Err("is too long");
    }
    if !s.chars().all(|c| c.is_ascii_graphic()) || !(s.starts_with("https://") || s.starts_with("http://")) {
        return Err("must be an absolute http or https URL");
    }
    let url = crate::uri::parse(s).map_err(|_| "must be an absolute http or https URL")?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err("has no host");
    }
    if crate::uri::has_credentials(&url) {
        return Err("must not contain userinfo");
    }
    Ok(())
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
