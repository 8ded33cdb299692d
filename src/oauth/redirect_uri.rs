//! The one redirect-URI rule: what may be registered (`RedirectUri::parse`) and when a presented
//! `redirect_uri` matches a registered one (`matches`). Everything that handles redirect URIs
//! (DCR, CIMD, `/authorize`, `/token`, the consent page) goes through this file.
//!
//! Registration is deliberately narrower than RFC 3986: ASCII only, no whitespace or control
//! characters anywhere, lowercase schemes, no fragment, no userinfo, no `%` in the authority. Real
//! clients never need more, and each restriction removes a class of filter bypasses (the
//! workers-oauth-provider advisory, issue #97: `JaVaScRiPt:`, ` javascript:`, `java\tscript:`).
use super::OAuthError;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Longest redirect URI accepted at registration, in bytes.
pub const MAX_REDIRECT_URI_BYTES: usize = 2000;

/// Schemes that can never be a redirect target (compared case-insensitively, so the message
/// names the real problem even for `JaVaScRiPt:`).
const REFUSED_SCHEMES: &[&str] =
    &["javascript", "data", "file", "vbscript", "blob", "about", "mailto", "ftp", "ws", "wss"];
/// Private-use schemes not in reverse-domain form that well-known MCP clients register
/// (Cursor, VS Code). Every other non-web scheme must be reverse-domain (RFC 8252 §7.1).
const NAMED_PRIVATE_USE_SCHEMES: &[&str] = &["cursor", "vscode", "vscode-insiders"];

/// A redirect URI that passed registration rules. Holds the string exactly as registered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// Apply the registration rules; the error (`invalid_redirect_uri`) names the problem and
    /// quotes the URI (escaped, truncated to 100 characters).
    /// A presented URI that [`find_match`] accepted for a registered one (exact, or loopback
    /// with another port, which itself passed the rules).
    pub(crate) fn matched(presented: &str) -> RedirectUri {
        RedirectUri(presented.to_string())
    }

    pub fn parse(s: &str) -> Result<RedirectUri, OAuthError> {
        check(s)
            .map_err(|problem| OAuthError::invalid_redirect_uri(format!("the redirect URI {} {problem}", quote(s))))?;
        Ok(RedirectUri(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `http` or `https` with host `localhost`, an address in 127.0.0.0/8, or `[::1]`.
    pub fn is_loopback(&self) -> bool {
        split(&self.0).is_ok_and(|p| is_web(p.scheme) && is_loopback_host(p.host))
    }

    /// What the consent page's `form-action` names besides itself, since its form leads here
    /// through a redirect: `https://host:port` for web redirect URIs, `scheme:` for private-use
    /// schemes.
    pub fn form_action_source(&self) -> String {
        match crate::uri::parse(&self.0) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u.origin().ascii_serialization(),
            Ok(u) => format!("{}:", u.scheme()),
            Err(_) => String::new(),
        }
    }

    /// What the consent page shows prominently: `host[:port]` for http(s); `scheme://authority`
    /// for private-use schemes with an authority (`cursor://anysphere.cursor-mcp`); otherwise the
    /// whole URI (`com.example.app:/callback`).
    pub fn display_host(&self) -> String {
        match split(&self.0) {
            Ok(p) if is_web(p.scheme) => p.authority.unwrap_or_default().to_ascii_lowercase(),
            Ok(Parts { scheme, authority: Some(a), .. }) if !a.is_empty() => {
                format!("{scheme}://{}", a.to_ascii_lowercase())
            }
            _ => self.0.clone(),
        }
    }
}

impl std::fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The exact-match rule: equal strings, except that loopback redirect URIs may differ only in
/// port (RFC 8252 §7.3) — scheme, host (as written: `localhost` ≠ `127.0.0.1`), path and query
/// must still be identical. `https://localhost` counts as loopback too: the port of a local
/// listener is just as unpredictable over TLS, and the host is still this machine.
pub fn matches(registered: &RedirectUri, presented: &str) -> bool {
    if registered.0 == presented {
        return true;
    }
    if !registered.is_loopback() {
        return false;
    }
    // The presented URI must itself pass registration rules (no fragment, no tricks).
    if check(presented).is_err() {
        return false;
    }
    match (split(&registered.0), split(presented)) {
        (Ok(r), Ok(p)) => r.scheme == p.scheme && r.host == p.host && r.rest == p.rest,
        _ => false,
    }
}

/// The registered URI that `presented` matches; an exact match wins over a port-only one.
pub fn find_match<'a>(registered: &'a [RedirectUri], presented: &str) -> Option<&'a RedirectUri> {
    registered.iter().find(|r| r.0 == presented).or_else(|| registered.iter().find(|r| matches(r, presented)))
}

/// A URI cut into the pieces the rules look at. Only built from strings whose characters have
/// already been checked (see [`check_characters`]).
#[derive(Debug, PartialEq, Eq)]
struct Parts<'a> {
    scheme: &'a str,
    /// Between `//` and the path; `None` when the URI has no `//`.
    authority: Option<&'a str>,
    /// The host part of the authority (brackets kept for IPv6); empty without an authority.
    host: &'a str,
    port: Option<&'a str>,
    /// Path and query.
    rest: &'a str,
}

fn is_web(scheme: &str) -> bool {
    scheme == "http" || scheme == "https"
}

/// Every registration rule; `Err` is the problem, worded to follow "the redirect URI X ".
fn check(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("is empty".into());
    }
    if s.len() > MAX_REDIRECT_URI_BYTES {
        return Err(format!("is longer than {MAX_REDIRECT_URI_BYTES} bytes"));
    }
    check_characters(s)?;
    let parts = split(s)?;
    let scheme = parts.scheme;
    let lower = scheme.to_ascii_lowercase();
    if REFUSED_SCHEMES.contains(&lower.as_str()) {
        return Err(format!("uses the scheme \"{lower}\", which is never allowed for redirects"));
    }
    if scheme != lower {
        return Err("has a scheme that is not lowercase".into());
    }
    // An allow-list, not a deny-list: one link must not be able to launch an arbitrary OS
    // protocol handler (`ms-msdt:`, `search-ms:`, `smb:`, `intent:`, `tel:` …).
    if !is_web(scheme) && !is_private_use_scheme(scheme) {
        return Err(format!(
            "uses the scheme \"{scheme}\", which is not allowed: use https, http on a loopback host, or a private-use scheme in reverse-domain form such as com.example.app"
        ));
    }
    if s.contains('#') {
        return Err("contains a fragment (#), which redirect URIs may not have".into());
    }
    if parts.rest.contains(['[', ']']) {
        return Err("contains [ or ] outside the host".into());
    }
    if is_web(scheme) {
        if parts.host.is_empty() {
            return Err(format!("has no host (an {scheme} redirect URI needs one)"));
        }
        if scheme == "http" && !is_loopback_host(parts.host) {
            return Err(
                "uses http with a host that is not loopback (use https, or localhost / 127.0.0.1 / [::1])".into()
            );
        }
    }
    // What passes the rules above must also be a URL the authorization's answer can be added to
    // (`https://1.2.3.256/cb`, an empty `xn--` label: the browser would get no code).
    if crate::uri::parse(s).is_err() {
        return Err("is not a well-formed URL (check its host)".into());
    }
    Ok(())
}

/// ASCII only; no control characters or whitespace anywhere; only characters RFC 3986 allows;
/// well-formed percent-encoding.
fn check_characters(s: &str) -> Result<(), String> {
    let bytes = s.as_bytes();
    for (i, c) in s.chars().enumerate() {
        if c.is_control() {
            return Err("contains a control character".into());
        }
        if c.is_whitespace() {
            return Err("contains whitespace".into());
        }
        if !c.is_ascii() {
            return Err("contains a non-ASCII character (percent-encode it)".into());
        }
        if !(c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)) {
            return Err(format!("contains the character {c:?}, which is not allowed in a URI"));
        }
        // All characters so far were ASCII, so `i` is also the byte index.
        if c == '%'
            && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return Err("contains malformed percent-encoding".into());
        }
    }
    Ok(())
}

/// Scheme, authority (host and port) and the rest. Refuses userinfo, `%` in the authority and
/// hosts that are neither a plain name/IPv4 address nor a bracketed IPv6 address.
fn split(s: &str) -> Result<Parts<'_>, String> {
    let Some((scheme, after)) = s.split_once(':') else {
        return Err("is not an absolute URI (it has no scheme)".into());
    };
    let mut chars = scheme.chars();
    let valid_scheme = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !valid_scheme {
        return Err("is not an absolute URI (it has no valid scheme)".into());
    }
    let Some(hier) = after.strip_prefix("//") else {
        return Ok(Parts { scheme, authority: None, host: "", port: None, rest: after });
    };
    let end = hier.find(['/', '?', '#']).unwrap_or(hier.len());
    let (authority, rest) = hier.split_at(end);
    let (host, port) = split_authority(authority)?;
    Ok(Parts { scheme, authority: Some(authority), host, port, rest })
}

fn split_authority(authority: &str) -> Result<(&str, Option<&str>), String> {
    if authority.contains('@') {
        return Err("contains userinfo (user@host), which is not allowed".into());
    }
    if authority.contains('%') {
        return Err("contains percent-encoding in the host, which is not allowed".into());
    }
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']').ok_or_else(|| "has an unclosed [ in the host".to_string())?;
        let (host, after) = authority.split_at(close + 1);
        let inner = &host[1..close];
        if inner.parse::<Ipv6Addr>().is_err() {
            return Err("has a bracketed host that is not an IPv6 address".into());
        }
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or_else(|| "has text after the ] of its host".to_string())?)),
        }
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        if !host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')) {
            return Err("has a host with characters a host name cannot contain".into());
        }
        (host, port)
    };
    if let Some(p) = port {
        let valid = !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| n <= 65535);
        if !valid {
            return Err("has an invalid port".into());
        }
    }
    Ok((host, port))
}

/// A private-use scheme an app can own: reverse-domain form (`com.example.app`: at least two
/// labels of letters, digits and hyphens, each starting with a letter or digit), or one of
/// [`NAMED_PRIVATE_USE_SCHEMES`].
fn is_private_use_scheme(scheme: &str) -> bool {
    if NAMED_PRIVATE_USE_SCHEMES.contains(&scheme) {
        return true;
    }
    let labels: Vec<&str> = scheme.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            l.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// `localhost`, 127.0.0.0/8, or the IPv6 loopback address (bracketed, as in a URI).
pub(crate) fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<Ipv6Addr>().is_ok_and(|a| a.is_loopback());
    }
    host.parse::<Ipv4Addr>().is_ok_and(|a| a.is_loopback())
}

/// A URI quoted for an error description: escaped (so control characters show as `\t`, `\u{0}`…)
/// and cut to 100 characters.
pub(crate) fn quote(s: &str) -> String {
    let mut out: String = s.chars().take(100).flat_map(char::escape_debug).collect();
    if s.chars().nth(100).is_some() {
        out.push('…');
    }
    format!("\"{out}\"")
}

#[cfg(test)]
#[path = "redirect_uri_tests.rs"]
mod tests;
