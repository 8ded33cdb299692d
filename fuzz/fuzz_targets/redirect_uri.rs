//! Redirect-URI registration rules and exact matching, and the guarded URL parser every outside
//! URL goes through (`uri::parse`, over `url` with ASCII-only IDNA). Input: `registered \n presented`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mcp_authkit_worker::oauth::redirect_uri::{matches, RedirectUri};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (registered, presented) = text.split_once('\n').unwrap_or((text, text));
    if let Ok(url) = mcp_authkit_worker::uri::parse(registered) {
        assert!(url.as_str().is_ascii(), "{registered:?} parsed to {url}");
    }
    let Ok(r) = RedirectUri::parse(registered) else { return };
    let _ = r.display_host();
    assert!(matches(&r, r.as_str()), "a registered URI matches itself");
    if matches(&r, presented) && presented != r.as_str() {
        // Only a loopback URI may differ, and only in its port.
        assert!(r.is_loopback(), "{registered:?} matched {presented:?}");
        let p = RedirectUri::parse(presented).expect("a matching URI passes the rules");
        assert!(p.is_loopback());
        let strip = |u: &str| {
            let url = url_parts(u);
            (url.0, url.1, url.3)
        };
        assert_eq!(strip(registered), strip(presented), "{registered:?} vs {presented:?}");
    }
});

/// (scheme, host, port, rest) split by hand, so the check does not share the matcher's code.
fn url_parts(u: &str) -> (String, String, String, String) {
    let (scheme, after) = u.split_once("://").unwrap_or(("", u));
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], &authority[i + 1..]),
        _ => (authority, ""),
    };
    (scheme.to_string(), host.to_string(), port.to_string(), rest.to_string())
}
