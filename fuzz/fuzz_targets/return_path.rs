//! The return-path rule: whatever comes in, what goes out is "/" or the input (its non-ASCII
//! characters percent-encoded), and never a location that leaves the site.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mcp_authkit_worker::return_path::safe_return_path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let out = safe_return_path(Some(text));
    assert!(out == "/" || out == ascii_only(text), "{text:?} became {out:?}");
    assert!(out.is_ascii());
    assert!(out.starts_with('/'));
    assert!(!out.starts_with("//") && !out.contains('\\'));
    assert!(!out.chars().any(|c| c.is_control()));
    // Resolved against our origin, the location stays on it.
    let base = url::Url::parse("https://mcp.example.com/").unwrap();
    if let Ok(resolved) = base.join(&out) {
        assert_eq!(resolved.host_str(), Some("mcp.example.com"), "{out:?} left the site");
        assert_eq!(resolved.scheme(), "https");
    }
});

/// The input with each non-ASCII character written as `%XX` escapes of its UTF-8 bytes.
fn ascii_only(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                c.to_string().bytes().map(|b| format!("%{b:02X}")).collect()
            }
        })
        .collect()
}
