use super::*;
use crate::seal::SealKeys;

const NAME: &str = "__Host-mcp-session";
const NOW: u64 = 1_800_000_000;

#[test]
fn set_cookie_attributes() {
    assert_eq!(
        set_cookie("__Host-mcp-session", "abc", 3600),
        "__Host-mcp-session=abc; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=3600"
    );
    assert_eq!(
        clear_cookie("__Host-mcp-session"),
        "__Host-mcp-session=; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0"
    );
    assert!(!set_cookie("__Host-x", "v", u64::MAX).contains("Domain"));
}

#[test]
fn read_cookie_cases() {
    let h = Some("a=1; __Host-s=first;b=2;  __Host-s=second ; junk; =x; c=");
    assert_eq!(read_cookie(h, "__Host-s"), Some("first"));
    assert_eq!(read_cookie(h, "a"), Some("1"));
    assert_eq!(read_cookie(h, "b"), Some("2"));
    assert_eq!(read_cookie(h, "c"), Some(""));
    assert_eq!(read_cookie(h, "missing"), None);
    assert_eq!(read_cookie(h, "__Host"), None, "no prefix match");
    assert_eq!(read_cookie(None, "a"), None);
    assert_eq!(read_cookie(Some(""), "a"), None);
    assert_eq!(read_cookie(Some(";;; ;"), "a"), None);
    assert_eq!(read_cookie(Some("  a=x  "), "a"), Some("x"));
    // A sealed value survives the trip through the header.
    let k = SealKeys::parse("new-key-0123456789abcdef0123456789abcdef").unwrap();
    let sealed = k.seal(NAME, b"id", NOW + 60);
    let header = format!("other=1; {NAME}={sealed}");
    assert_eq!(k.open(NAME, read_cookie(Some(&header), NAME).unwrap(), NOW).as_deref(), Some(&b"id"[..]));
}
