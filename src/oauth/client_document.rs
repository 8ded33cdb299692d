//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, MCP 2025-11-25):
//! which `client_id` URLs name a document this server will fetch, the document's validation into
//! a public client record, and how long it is kept. Fetching and caching live in `registry.rs`.
use super::client::{
    check_client_name, check_web_url, grant_types, opt_str, redirect_uris, AuthMethod, ClientRecord, ClientSource,
    UrisProblem, MAX_URL_BYTES,
};
use super::redirect_uri::{is_loopback_host, quote};
use super::OAuthError;
use crate::ids::ClientId;
use serde_json::Value;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Some(url) when `client_id` is in URL form (it starts with a scheme) and so names a metadata
/// document; None for ordinary (registered) ids, which never contain `:`.
pub fn metadata_document_url(client_id: &str, allow_loopback: bool) -> Option<Result<url::Url, OAuthError>> {
    let (scheme, _) = client_id.split_once(':')?;
    let mut chars = scheme.chars();
    let url_form = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !url_form {
        return None;
    }
    Some(check_document_url(client_id, allow_loopback).map_err(|why| {
        OAuthError::invalid_client(format!(
            "the client_id {} is not a usable client metadata document URL: {why}",
            quote(client_id)
        ))
    }))
}

fn check_document_url(client_id: &str, allow_loopback: bool) -> Result<url::Url, String> {
    if client_id.len() > MAX_URL_BYTES {
        return Err(format!("it is longer than {MAX_URL_BYTES} bytes"));
    }
    if !client_id.chars().all(|c| c.is_ascii_graphic()) {
        return Err("it contains whitespace, control or non-ASCII characters".into());
    }
    let http = client_id.starts_with("http://");
    if !http && !client_id.starts_with("https://") {
        return Err("it must be an https:// URL".into());
    }
    if client_id.contains('#') {
        return Err("it must not have a fragment".into());
    }
    let url = crate::uri::parse(client_id).map_err(|e| format!("it is not a valid URL ({e})"))?;
    if crate::uri::has_credentials(&url) {
        return Err("it must not contain userinfo".into());
    }
    let host = url.host().ok_or_else(|| "it has no host".to_string())?;
    let (loopback, private) = match host {
        url::Host::Domain(d) => {
            // `localhost.` is `localhost`: a trailing dot only makes a name fully qualified.
            let d = d.strip_suffix('.').unwrap_or(d);
            (is_loopback_host(d), is_loopback_host(d) || d.to_ascii_lowercase().ends_with(".localhost"))
        }
        url::Host::Ipv4(a) => (a.is_loopback(), is_non_public_v4(a)),
        url::Host::Ipv6(a) => (a.is_loopback(), is_non_public_v6(a)),
    };
    if http && !(allow_loopback && loopback) {
        return Err("it must use https (http is only allowed for loopback hosts in local development)".into());
    }
    // ALLOW_LOOPBACK_CLIENT_METADATA admits loopback hosts (a document served on this machine
    // in local development) — never private or link-local ranges.
    if private && !(allow_loopback && loopback) {
        return Err("its host is a loopback, private or link-local address".into());
    }
    if has_dot_segment(client_id) {
        return Err("its path must not contain . or .. segments".into());
    }
    if url.path() == "/" || url.path().is_empty() {
        return Err("it must have a path (not just /)".into());
    }
    // The document's client_id must equal this string exactly, and the cache is keyed by it:
    // insisting on the canonical spelling keeps one client from having several names.
    if url.as_str() != client_id {
        return Err(format!("it is not in canonical form (expected {})", quote(url.as_str())));
    }
    Ok(url)
}

/// `.`/`..` path segments, also percent-encoded (`%2e`), in the raw URL string.
fn has_dot_segment(raw: &str) -> bool {
    let after_scheme = raw.split_once("://").map_or(raw, |(_, r)| r);
    let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.split('/').any(|seg| matches!(seg.to_ascii_lowercase().replace("%2e", ".").as_str(), "." | ".."))
}

fn is_non_public_v4(a: Ipv4Addr) -> bool {
    let [first, second, third, _] = a.octets();
    let cgnat = first == 100 && (64..128).contains(&second);
    // 192.0.0.0/24 (IETF protocol assignments) and 198.18.0.0/15 (benchmarking networks).
    let special = (first, second, third) == (192, 0, 0) || (first == 198 && (second & 0xfe) == 18);
    a.is_private()
        || a.is_loopback()
        || a.is_link_local()
        || a.is_broadcast()
        || a.is_multicast()
        || a.is_documentation()
        || first == 0
        || first >= 240
        || cgnat
        || special
}

fn is_non_public_v6(a: Ipv6Addr) -> bool {
    if let Some(v4) = a.to_ipv4_mapped() {
        return is_non_public_v4(v4);
    }
    let s = a.segments();
    let v4_at = |i: usize| Ipv4Addr::from((u32::from(s[i]) << 16) | u32::from(s[i + 1]));
    // Addresses that carry an IPv4 address a gateway turns back into it: NAT64 64:ff9b::/96,
    // IPv4-translated ::ffff:0:a.b.c.d, 6to4 2002::/16. They are as public as what they carry.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || s[..6] == [0, 0, 0, 0, 0xffff, 0] {
        return is_non_public_v4(v4_at(6));
    }
    if s[0] == 0x2002 {
        return is_non_public_v4(v4_at(1));
    }
    // ::, ::1 and IPv4-compatible ::a.b.c.d; unique local fc00::/7; link-local fe80::/10 and the
    // deprecated site-local fec0::/10 (together fe80::/9); local-use NAT64 64:ff9b:1::/48;
    // Teredo 2001::/32 (an IPv4 address hidden in it); documentation 2001:db8::/32; discard 100::/64.
    s[..6].iter().all(|&x| x == 0)
        || a.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xff80) == 0xfe80
        || s[..3] == [0x64, 0xff9b, 1]
        || s[..2] == [0x2001, 0]
        || s[..2] == [0x2001, 0xdb8]
        || s[..4] == [0x100, 0, 0, 0]
}

pub const MAX_METADATA_DOCUMENT_BYTES: usize = 5 * 1024;

/// Validate a fetched document → a public client record. Errors are `invalid_client` naming the
/// problem. Unlike DCR, optional fields are read leniently (documents are written once for many
/// servers): unsupported grant types are dropped, unusable `client_uri`/`logo_uri` are ignored.
pub fn validate_metadata_document(client_id_url: &str, body: &[u8], now: u64) -> Result<ClientRecord, OAuthError> {
    let refuse = |why: String| {
        OAuthError::invalid_client(format!(
            "the client metadata document at {} is not valid: {why}",
            quote(client_id_url)
        ))
    };
    if body.len() > MAX_METADATA_DOCUMENT_BYTES {
        return Err(refuse(format!("it is larger than {} KiB", MAX_METADATA_DOCUMENT_BYTES / 1024)));
    }
    let text = std::str::from_utf8(body).map_err(|_| refuse("it is not UTF-8".into()))?;
    let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(text) else {
        return Err(refuse("it is not a JSON object".into()));
    };
    match obj.get("client_id") {
        Some(Value::String(id)) if id == client_id_url => {}
        Some(Value::String(_)) => {
            return Err(refuse("its client_id does not equal the URL it was fetched from".into()))
        }
        _ => return Err(refuse("client_id is missing or not a string".into())),
    }
    let client_name = match opt_str(&obj, "client_name").map_err(refuse)? {
        Some(n) if !n.trim().is_empty() => check_client_name(n).map_err(refuse)?,
        _ => return Err(refuse("client_name is required".into())),
    };
    let redirect_uris = redirect_uris(&obj).map_err(|p| match p {
        UrisProblem::Missing => refuse("redirect_uris is required and must list at least one URI".into()),
        UrisProblem::Shape(d) => refuse(d),
        UrisProblem::Invalid(e) => refuse(e.description),
    })?;
    for key in ["client_secret", "client_secret_expires_at"] {
        if obj.contains_key(key) {
            return Err(refuse(format!("it contains {key}, but metadata document clients are public")));
        }
    }
    match opt_str(&obj, "token_endpoint_auth_method").map_err(refuse)? {
        None | Some("none") => {}
        Some(m) => return Err(refuse(format!("token_endpoint_auth_method {} is not supported (only none)", quote(m)))),
    }
    let grant_types = grant_types(&obj, false).map_err(refuse)?;
    let usable_url = |key: &str| match obj.get(key) {
        Some(Value::String(s)) if check_web_url(s).is_ok() => Some(s.clone()),
        _ => None,
    };
    Ok(ClientRecord {
        client_id: ClientId::new(client_id_url.to_string()),
        client_secret_hash: None,
        redirect_uris,
        client_name: Some(client_name),
        client_uri: usable_url("client_uri"),
        logo_uri: usable_url("logo_uri"),
        token_endpoint_auth_method: AuthMethod::None,
        grant_types,
        created_at: now,
        source: ClientSource::MetadataDocument,
    })
}

/// How long to cache a document: `max-age=N` clamped to [60, 86400]; `no-store`/`no-cache` → 60;
/// absent (or no usable directive) → 3600.
pub fn metadata_cache_ttl(cache_control: Option<&str>) -> u64 {
    let Some(header) = cache_control else { return 3600 };
    let mut max_age = None;
    for directive in header.split(',') {
        let (name, value) = directive.split_once('=').unwrap_or((directive, ""));
        let value = value.trim().trim_matches('"');
        match name.trim().to_ascii_lowercase().as_str() {
            "no-store" | "no-cache" => return 60,
            // The first max-age counts; too many digits to fit is just "very long".
            "max-age" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                max_age.get_or_insert(value.parse::<u64>().unwrap_or(u64::MAX));
            }
            _ => {}
        }
    }
    max_age.map_or(3600, |n| n.clamp(60, 86_400))
}

#[cfg(test)]
#[path = "client_document_tests.rs"]
mod tests;
