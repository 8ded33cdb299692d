//! WorkOS URLs, pure: the AuthKit authorization URL a browser is sent to, the logout URL, the
//! JWKS URL, and how every API path is joined to the configured base URL.

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
/// (keys sorted alphabetically, as the Node SDK sends them; empty optional values are left out).
pub fn authorization_url<'a>(base_url: &str, client_id: &'a str, p: &AuthorizeParams<'a>) -> String {
    // Listed in that order (no sort to link); an optional value absent or empty is left out.
    let optional = |v: Option<&'a str>| v.filter(|v| !v.is_empty());
    let query: Vec<(&str, &str)> = [
        ("client_id", Some(client_id)),
        ("code_challenge", Some(p.code_challenge)),
        ("code_challenge_method", Some("S256")),
        ("login_hint", optional(p.login_hint)),
        ("organization_id", optional(p.organization_id)),
        ("provider", Some("authkit")),
        ("redirect_uri", Some(p.redirect_uri)),
        ("response_type", Some("code")),
        ("screen_hint", optional(p.screen_hint)),
        ("state", Some(p.state)),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    endpoint(base_url, &["user_management", "authorize"], &query)
}

/// `{base}/user_management/sessions/logout?session_id=…[&return_to=…]`
/// (the Node SDK's order: `session_id` first).
pub fn logout_url(base_url: &str, session_id: &str, return_to: Option<&str>) -> String {
    let mut query = vec![("session_id", session_id)];
    if let Some(r) = return_to.filter(|r| !r.is_empty()) {
        query.push(("return_to", r));
    }
    endpoint(base_url, &["user_management", "sessions", "logout"], &query)
}

/// `{base}/sso/jwks/{client_id}`
pub fn jwks_url(base_url: &str, client_id: &str) -> String {
    endpoint(base_url, &["sso", "jwks", client_id], &[])
}

/// `base` + percent-encoded path segments + form-encoded query (space → `+`, like the SDKs).
/// A base path prefix (e.g. a proxy's `/workos/`) is kept; a trailing slash is not doubled.
pub(super) fn endpoint(base_url: &str, segments: &[&str], query: &[(&str, &str)]) -> String {
    let parsed = crate::uri::parse(base_url).ok().filter(|u| !u.cannot_be_a_base());
    let Some(mut url) = parsed else {
        // Config validates the base URL; this keeps a bad one from panicking anyway.
        let path: Vec<String> =
            segments.iter().map(|s| url::form_urlencoded::byte_serialize(s.as_bytes()).collect()).collect();
        return format!("{}/{}{}", base_url.trim_end_matches('/'), path.join("/"), query_string(query));
    };
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url.set_query(None);
    url.set_fragment(None);
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    url.to_string()
}

fn query_string(query: &[(&str, &str)]) -> String {
    if query.is_empty() {
        return String::new();
    }
    let encoded = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(query).finish();
    format!("?{encoded}")
}

#[cfg(test)]
#[path = "urls_tests.rs"]
mod tests;
