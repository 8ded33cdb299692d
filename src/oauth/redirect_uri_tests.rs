use super::*;
use crate::oauth::ErrorCode;

fn uri(s: &str) -> RedirectUri {
    RedirectUri::parse(s).unwrap()
}

#[test]
fn real_client_uris_are_accepted() {
    for s in [
        "http://localhost:33418/oauth/callback", // mcp-remote
        "http://127.0.0.1:6274/oauth/callback",  // MCP Inspector
        "http://127.0.0.1:6276/oauth/callback",  // Inspector CLI
        "cursor://anysphere.cursor-mcp/oauth/callback",
        "https://www.cursor.com/agents/mcp/oauth/callback",
        "http://localhost:8787/callback",
        "https://claude.ai/api/mcp/auth_callback",
        "https://claude.com/api/mcp/auth_callback",
        "vscode://vscode.github-authentication/did-authenticate",
        "http://127.0.0.1:33418/",
        "https://vscode.dev/redirect",
    ] {
        assert_eq!(RedirectUri::parse(s).map(|u| u.as_str().to_string()), Ok(s.to_string()), "{s}");
    }
}

#[test]
fn registration_rules() {
    let long = format!("https://example.com/{}", "a".repeat(2000));
    let just_fits = format!("https://example.com/{}", "a".repeat(2000 - 20));
    // (uri, accepted, words the description must contain when refused)
    let cases: &[(&str, bool, &str)] = &[
        // Shape.
        ("", false, "empty"),
        (&long, false, "longer than 2000"),
        (&just_fits, true, ""),
        ("/oauth/callback", false, "no scheme"),
        ("callback", false, "no scheme"),
        ("//evil.com/cb", false, "no scheme"),
        ("1app:/cb", false, "no valid scheme"),
        ("my_app:/cb", false, "no valid scheme"),
        (":/cb", false, "no valid scheme"),
        // Dangerous schemes, in every spelling.
        ("javascript:alert(1)", false, "\"javascript\""),
        ("JaVaScRiPt:alert(1)", false, "\"javascript\""),
        ("JAVASCRIPT:alert(1)", false, "\"javascript\""),
        ("data:text/html,x", false, "\"data\""),
        ("file:///etc/passwd", false, "\"file\""),
        ("vbscript:msgbox(1)", false, "\"vbscript\""),
        ("blob:https://example.com/x", false, "\"blob\""),
        ("about:blank", false, "\"about\""),
        ("mailto:a@example.com", false, "\"mailto\""),
        ("ftp://example.com/x", false, "\"ftp\""),
        ("ws://localhost/x", false, "\"ws\""),
        ("wss://example.com/x", false, "\"wss\""),
        // Whitespace, control characters, non-ASCII (advisory #97 family).
        (" javascript:alert(1)", false, "whitespace"),
        ("javascript:alert(1) ", false, "whitespace"),
        ("https://claude.ai/cb ", false, "whitespace"),
        ("java\tscript:alert(1)", false, "control character"),
        ("javascript\n:alert(1)", false, "control character"),
        ("\u{0}javascript:alert(1)", false, "control character"),
        ("https://example.com/\u{7f}", false, "control character"),
        ("https://example.com/\u{85}", false, "control character"),
        ("\u{a0}https://example.com/cb", false, "whitespace"),
        ("https://example.com/a\u{2028}b", false, "whitespace"),
        ("https://example.com/\u{3000}", false, "whitespace"),
        ("https://exämple.com/cb", false, "non-ASCII"),
        ("https://example.com/\u{200b}", false, "non-ASCII"),
        ("https://example.com/a\\b", false, "not allowed in a URI"),
        ("https://example.com/<x>", false, "not allowed in a URI"),
        ("https://example.com/a\"b", false, "not allowed in a URI"),
        ("https://example.com/%zz", false, "percent-encoding"),
        ("https://example.com/%4", false, "percent-encoding"),
        ("https://example.com/a%20b?x=%2F", true, ""),
        // Scheme case.
        ("HTTPS://claude.ai/cb", false, "not lowercase"),
        ("Cursor://anysphere.cursor-mcp/cb", false, "not lowercase"),
        // Fragment.
        ("https://claude.ai/cb#x", false, "fragment"),
        ("https://claude.ai/cb#", false, "fragment"),
        ("cursor://a/cb#frag", false, "fragment"),
        // Userinfo and authority tricks.
        ("https://user@claude.ai/cb", false, "userinfo"),
        ("https://user:pw@claude.ai/cb", false, "userinfo"),
        ("https://evil.com%2F@good.com/cb", false, "userinfo"),
        ("https://evil.com%2Fgood.com/cb", false, "percent-encoding in the host"),
        ("https://good.com\\@evil.com/", false, "not allowed in a URI"),
        ("https://good.com;evil.com/", false, "host name cannot contain"),
        ("https://[evil.com]/", false, "not an IPv6"),
        ("https://[::1/cb", false, "unclosed"),
        ("https://[::1]x/cb", false, "after the ]"),
        ("https://example.com/[x]", false, "outside the host"),
        // Past the rules above, still no URL the code could be added to.
        ("https://1.2.3.256/cb", false, "not a well-formed URL"),
        ("https://xn--/cb", false, "not a well-formed URL"),
        // Ports.
        ("https://example.com:443/cb", true, ""),
        ("https://example.com:/cb", false, "invalid port"),
        ("https://example.com:99999/cb", false, "invalid port"),
        ("https://example.com:12a/cb", false, "invalid port"),
        ("http://localhost:1:2/cb", false, "invalid port"),
        // http only for loopback; https needs a host.
        ("http://localhost/cb", true, ""),
        ("http://LOCALHOST:3000/cb", true, ""),
        ("http://127.0.0.1/cb", true, ""),
        ("http://127.1.2.3:8080/cb", true, ""),
        ("http://[::1]:3000/cb", true, ""),
        ("http://example.com/cb", false, "not loopback"),
        ("http://localhost.evil.com/cb", false, "not loopback"),
        ("http://127.0.0.1.evil.com/cb", false, "not loopback"),
        ("http://0x7f.1/cb", false, "not loopback"),
        ("http://128.0.0.1/cb", false, "not loopback"),
        ("http://[::2]/cb", false, "not loopback"),
        ("http:/localhost/cb", false, "no host"),
        ("https:claude.ai/cb", false, "no host"),
        ("https:///cb", false, "no host"),
        ("https://claude.ai", true, ""),
        ("https://claude.ai?x=1", true, ""),
        // Private-use schemes.
        ("com.example.app:/callback", true, ""),
        ("com.example.app:callback", true, ""),
        ("com.my-app.x:///cb", true, ""),
        ("com.myapp://host:1234/cb?a=b", true, ""),
        ("cursor://anysphere.cursor-mcp/oauth/callback", true, ""),
        ("vscode://vscode.github-authentication/did-authenticate", true, ""),
        // Every other scheme is refused: an allow-list, so no OS protocol handler is reachable.
        ("ms-msdt:/id PCWDiagnostic", false, "whitespace"),
        ("ms-msdt:?id=PCWDiagnostic", false, "\"ms-msdt\", which is not allowed"),
        ("search-ms:query=x", false, "\"search-ms\", which is not allowed"),
        ("ms-officecmd:{}", false, "not allowed in a URI"),
        ("ms-officecmd:x", false, "\"ms-officecmd\", which is not allowed"),
        ("smb://evil.example/share", false, "\"smb\", which is not allowed"),
        ("intent://x#Intent;end", false, "not allowed"),
        ("intent://x/cb", false, "\"intent\", which is not allowed"),
        ("itms-services://?action=download-manifest", false, "\"itms-services\", which is not allowed"),
        ("chrome://settings", false, "\"chrome\", which is not allowed"),
        ("view-source:https://example.com", false, "\"view-source\", which is not allowed"),
        ("tel:+15555550100", false, "\"tel\", which is not allowed"),
        ("myapp://host:1234/cb?a=b", false, "reverse-domain"),
        ("my-app+x.y:///cb", false, "reverse-domain"),
        ("com..example:/cb", false, "reverse-domain"),
        ("com.-x:/cb", false, "reverse-domain"),
    ];
    for (s, ok, words) in cases {
        match RedirectUri::parse(s) {
            Ok(_) => assert!(ok, "{s:?} should be refused"),
            Err(e) => {
                assert!(!ok, "{s:?} should be accepted: {e}");
                assert_eq!(e.code, ErrorCode::InvalidRedirectUri, "{s:?}");
                assert_eq!(e.status, 400);
                assert!(e.description.contains(words), "{s:?}: {:?} lacks {words:?}", e.description);
            }
        }
    }
}

#[test]
fn error_quotes_the_uri_escaped_and_truncated() {
    let e = RedirectUri::parse("java\tscript:alert(1)").unwrap_err();
    assert!(e.description.contains(r#""java\tscript:alert(1)""#), "{}", e.description);
    let long = format!("http://example.com/{}", "x".repeat(300));
    let e = RedirectUri::parse(&long).unwrap_err();
    assert!(e.description.contains('…'));
    assert!(e.description.len() < 250, "{}", e.description);
    let e = RedirectUri::parse("\u{0}").unwrap_err();
    assert!(!e.description.contains('\u{0}'));
}

#[test]
fn loopback_detection() {
    let cases = [
        ("http://localhost:33418/oauth/callback", true),
        ("http://127.0.0.1:6274/oauth/callback", true),
        ("http://127.255.0.9/cb", true),
        ("http://[::1]/cb", true),
        ("https://localhost:8443/cb", true),
        ("https://127.0.0.1/cb", true),
        ("https://claude.ai/api/mcp/auth_callback", false),
        ("https://localhost.example.com/cb", false),
        ("cursor://localhost/cb", false),
        ("com.example.app:/callback", false),
    ];
    for (s, want) in cases {
        assert_eq!(uri(s).is_loopback(), want, "{s}");
    }
}

#[test]
fn display_host() {
    let cases = [
        ("http://localhost:33418/oauth/callback", "localhost:33418"),
        ("http://127.0.0.1:6274/oauth/callback", "127.0.0.1:6274"),
        ("http://[::1]:80/cb", "[::1]:80"),
        ("https://claude.ai/api/mcp/auth_callback", "claude.ai"),
        ("https://Claude.AI/cb", "claude.ai"),
        ("https://example.com:8443", "example.com:8443"),
        ("cursor://anysphere.cursor-mcp/oauth/callback", "cursor://anysphere.cursor-mcp"),
        ("com.example.app:/callback", "com.example.app:/callback"),
        ("app.example.x:///cb", "app.example.x:///cb"),
    ];
    for (s, want) in cases {
        assert_eq!(uri(s).display_host(), want, "{s}");
    }
}

#[test]
fn matching_rule() {
    let cases: &[(&str, &str, bool)] = &[
        // Exact.
        ("https://claude.ai/api/mcp/auth_callback", "https://claude.ai/api/mcp/auth_callback", true),
        ("cursor://anysphere.cursor-mcp/oauth/callback", "cursor://anysphere.cursor-mcp/oauth/callback", true),
        ("com.example.app:/callback", "com.example.app:/callback", true),
        // Anything else that differs does not match.
        ("https://claude.ai/cb", "https://claude.ai/cb/", false),
        ("https://claude.ai/cb/", "https://claude.ai/cb", false),
        ("https://claude.ai/cb", "https://claude.ai/CB", false),
        ("https://claude.ai/cb", "https://CLAUDE.ai/cb", false),
        ("https://claude.ai/cb?a=1", "https://claude.ai/cb?a=2", false),
        ("https://claude.ai/cb", "https://claude.ai/cb?a=1", false),
        ("https://claude.ai/cb?a=1", "https://claude.ai/cb?a=1&b=2", false),
        ("https://claude.ai/cb", "https://claude.ai/cb#x", false),
        ("https://claude.ai/cb", "https://claude.ai:443/cb", false),
        ("https://example.com:8443/cb", "https://example.com:9443/cb", false),
        ("https://claude.ai/cb", "http://claude.ai/cb", false),
        ("cursor://anysphere.cursor-mcp/cb", "cursor://anysphere.cursor-mcp:1/cb", false),
        // Loopback: any port, everything else identical.
        ("http://localhost:33418/oauth/callback", "http://localhost:50123/oauth/callback", true),
        ("http://localhost/oauth/callback", "http://localhost:50123/oauth/callback", true),
        ("http://localhost:33418/oauth/callback", "http://localhost/oauth/callback", true),
        ("http://127.0.0.1:6274/oauth/callback", "http://127.0.0.1:1/oauth/callback", true),
        ("http://[::1]:6274/oauth/callback", "http://[::1]:9999/oauth/callback", true),
        ("http://127.0.0.1:6274/", "http://127.0.0.1:7000/", true),
        ("http://127.0.0.1:6274", "http://127.0.0.1:7000", true),
        ("https://localhost:8443/cb", "https://localhost:9443/cb", true), // https loopback: decided yes
        ("http://localhost:3000/cb?x=1", "http://localhost:4000/cb?x=1", true),
        ("http://localhost:3000/cb", "http://127.0.0.1:3000/cb", false),
        ("http://127.0.0.1:3000/cb", "http://localhost:3000/cb", false),
        ("http://127.0.0.1:3000/cb", "http://127.0.0.2:3000/cb", false),
        ("http://127.0.0.1:3000/cb", "http://[::1]:3000/cb", false),
        ("http://localhost:3000/cb", "https://localhost:3000/cb", false),
        ("http://localhost:3000/cb", "http://localhost:4000/cb/", false),
        ("http://localhost:3000/cb", "http://localhost:4000/CB", false),
        ("http://localhost:3000/cb", "http://localhost:4000/cb?x=1", false),
        ("http://localhost:3000/cb?x=1", "http://localhost:4000/cb?x=2", false),
        ("http://localhost:3000/cb", "http://localhost:4000/cb#x", false),
        ("http://localhost:3000/cb", "http://localhost:3000/cb#x", false),
        ("http://localhost:3000/cb", "http://user@localhost:4000/cb", false),
        ("http://localhost:3000/cb", "http://localhost:/cb", false),
        ("http://localhost:3000/cb", "http://localhost:99999/cb", false),
        ("http://localhost:3000/cb", "http://localhost:4000/cb ", false),
        ("http://localhost:3000/cb", "HTTP://localhost:4000/cb", false),
        ("http://localhost:3000/cb", "http://LOCALHOST:4000/cb", false),
        ("http://localhost:3000/cb", "", false),
    ];
    for (registered, presented, want) in cases {
        assert_eq!(matches(&uri(registered), presented), *want, "{registered} vs {presented}");
    }
}

#[test]
fn find_match_prefers_exact() {
    let registered = vec![
        uri("cursor://anysphere.cursor-mcp/oauth/callback"),
        uri("http://localhost/callback"),
        uri("http://localhost:8787/callback"),
    ];
    assert_eq!(find_match(&registered, "http://localhost:8787/callback"), Some(&registered[2]));
    assert_eq!(find_match(&registered, "http://localhost:9000/callback"), Some(&registered[1]));
    assert_eq!(find_match(&registered, "cursor://anysphere.cursor-mcp/oauth/callback"), Some(&registered[0]));
    assert_eq!(find_match(&registered, "https://www.cursor.com/agents/mcp/oauth/callback"), None);
    assert_eq!(find_match(&[], "http://localhost/callback"), None);
}

#[test]
fn serde_is_the_plain_string() {
    let u = uri("https://claude.ai/api/mcp/auth_callback");
    let json = serde_json::to_string(&u).unwrap();
    assert_eq!(json, "\"https://claude.ai/api/mcp/auth_callback\"");
    assert_eq!(serde_json::from_str::<RedirectUri>(&json).unwrap(), u);
    assert_eq!(u.to_string(), u.as_str());
}

#[test]
fn host_names_are_ascii_internationalized_ones_as_punycode() {
    // Non-ASCII is refused with a clear error; the punycode form is an ordinary host.
    let refused = RedirectUri::parse("https://bücher.example/callback").unwrap_err();
    assert_eq!(refused.code.as_str(), "invalid_redirect_uri");
    assert!(refused.description.contains("bücher"), "{}", refused.description);
    assert_eq!(uri("https://xn--bcher-kva.example/callback").as_str(), "https://xn--bcher-kva.example/callback");
}
