use super::*;
use crate::oauth::ErrorCode;
use serde_json::json;

const NOW: u64 = 1_760_000_000;

#[test]
fn metadata_document_urls() {
    let long = format!("https://example.com/{}", "a".repeat(2000));
    // (client_id, allow_loopback, Some(accepted) or None for "not URL form", words when refused)
    let cases: &[(&str, bool, Option<bool>, &str)] = &[
        ("6f1c2a9e0b7d4c3a", false, None, ""),
        ("abc_DEF-123", false, None, ""),
        ("", false, None, ""),
        ("https://vscode.dev/oauth/client-metadata.json", false, Some(true), ""),
        ("https://app.example.com/client.json?v=1", false, Some(true), ""),
        ("https://app.example.com:8443/client", false, Some(true), ""),
        ("https://93.184.216.34/client.json", false, Some(true), ""),
        ("https://example.com", false, Some(false), "path"),
        ("https://example.com/", false, Some(false), "path"),
        ("http://example.com/client.json", false, Some(false), "https"),
        ("http://example.com/client.json", true, Some(false), "https"),
        ("http://localhost:3000/client.json", false, Some(false), "https"),
        ("http://localhost:3000/client.json", true, Some(true), ""),
        ("http://127.0.0.1:3000/client.json", true, Some(true), ""),
        ("http://[::1]:3000/client.json", true, Some(true), ""),
        ("HTTPS://example.com/client.json", false, Some(false), "https://"),
        ("ftp://example.com/client.json", false, Some(false), "https://"),
        ("urn:example:client", false, Some(false), "https://"),
        ("https://user@example.com/client.json", false, Some(false), "userinfo"),
        ("https://user:pw@example.com/client.json", false, Some(false), "userinfo"),
        ("https://example.com/client.json#x", false, Some(false), "fragment"),
        ("https://example.com/a/../client.json", false, Some(false), ". or .."),
        ("https://example.com/./client.json", false, Some(false), ". or .."),
        ("https://example.com/a/%2e%2E/client.json", false, Some(false), ". or .."),
        ("https://example.com/a/..", false, Some(false), ". or .."),
        ("https://Example.com/client.json", false, Some(false), "canonical"),
        ("https://example.com:443/client.json", false, Some(false), "canonical"),
        ("https://example.com/a b", false, Some(false), "whitespace"),
        (" https://example.com/client.json", false, None, ""),
        ("https://exämple.com/client.json", false, Some(false), "non-ASCII"),
        (&long, false, Some(false), "longer than 2000"),
        ("https://localhost/client.json", false, Some(false), "loopback, private"),
        ("https://localhost/client.json", true, Some(true), ""),
        ("https://app.localhost/client.json", false, Some(false), "loopback, private"),
        ("https://127.0.0.1/client.json", false, Some(false), "loopback, private"),
        ("https://10.0.0.1/client.json", false, Some(false), "loopback, private"),
        ("https://172.16.5.4/client.json", false, Some(false), "loopback, private"),
        ("https://192.168.1.1/client.json", false, Some(false), "loopback, private"),
        ("https://169.254.169.254/latest/meta-data", false, Some(false), "loopback, private"),
        ("https://100.64.0.1/client.json", false, Some(false), "loopback, private"),
        ("https://0.0.0.0/client.json", false, Some(false), "loopback, private"),
        ("https://[::1]/client.json", false, Some(false), "loopback, private"),
        ("https://[fd00::1]/client.json", false, Some(false), "loopback, private"),
        ("https://[fe80::1]/client.json", false, Some(false), "loopback, private"),
        ("https://[febf::1]/client.json", false, Some(false), "loopback, private"),
        ("https://[fec0::1]/client.json", false, Some(false), "loopback, private"),
        ("https://[ff02::1]/client.json", false, Some(false), "loopback, private"),
        ("https://[::]/client.json", false, Some(false), "loopback, private"),
        ("https://[::a00:1]/client.json", false, Some(false), "loopback, private"),
        ("https://[fc00::1]/client.json", false, Some(false), "loopback, private"),
        ("https://[ff00::]/client.json", false, Some(false), "loopback, private"),
        ("https://224.0.0.1/client.json", false, Some(false), "loopback, private"),
        ("https://255.255.255.255/client.json", false, Some(false), "loopback, private"),
        ("https://100.127.255.255/client.json", false, Some(false), "loopback, private"),
        ("https://100.128.0.1/client.json", false, Some(true), ""),
        ("https://172.32.0.1/client.json", false, Some(true), ""),
        ("http://10.0.0.1/client.json", true, Some(false), "https"),
        ("https://[::ffff:10.0.0.1]/client.json", false, Some(false), "loopback, private"),
        ("https://[2606:4700::1111]/client.json", false, Some(true), ""),
        ("https://10.0.0.1/client.json", true, Some(false), "loopback, private"),
        ("https://192.168.1.1/client.json", true, Some(false), "loopback, private"),
        ("https://169.254.169.254/latest/meta-data", true, Some(false), "loopback, private"),
        ("https://[fd00::1]/client.json", true, Some(false), "loopback, private"),
        ("https://localhost/client.json", true, Some(true), ""),
        ("https://0x7f000001/client.json", false, Some(false), "loopback, private"),
        // A trailing dot, reserved IPv4 ranges, and IPv6 forms that carry an IPv4 address.
        ("https://localhost./client.json", false, Some(false), "loopback, private"),
        ("https://app.localhost./client.json", false, Some(false), "loopback, private"),
        // With the loopback flag, `localhost.` is `localhost` (docs/security.md says so).
        ("http://localhost./client.json", true, Some(true), ""),
        ("https://192.0.0.8/client.json", false, Some(false), "loopback, private"),
        ("https://198.18.0.1/client.json", false, Some(false), "loopback, private"),
        ("https://198.19.255.1/client.json", false, Some(false), "loopback, private"),
        ("https://198.20.0.1/client.json", false, Some(true), ""),
        ("https://[64:ff9b::7f00:1]/client.json", false, Some(false), "loopback, private"),
        ("https://[64:ff9b::a9fe:a9fe]/client.json", false, Some(false), "loopback, private"),
        ("https://[64:ff9b::808:808]/client.json", false, Some(true), ""),
        ("https://[64:ff9b:1::1]/client.json", false, Some(false), "loopback, private"),
        ("https://[::ffff:0:7f00:1]/client.json", false, Some(false), "loopback, private"),
        ("https://[2002:7f00:1::]/client.json", false, Some(false), "loopback, private"),
        ("https://[2002:a00:1::]/client.json", false, Some(false), "loopback, private"),
        ("https://[2002:808:808::]/client.json", false, Some(true), ""),
        ("https://[2001::1]/client.json", false, Some(false), "loopback, private"),
        ("https://[2001:db8::1]/client.json", false, Some(false), "loopback, private"),
        ("https://[100::1]/client.json", false, Some(false), "loopback, private"),
    ];
    for (id, allow, want, words) in cases {
        let got = metadata_document_url(id, *allow);
        match (want, got) {
            (None, None) => {}
            (Some(true), Some(Ok(url))) => assert_eq!(url.as_str(), *id),
            (Some(false), Some(Err(e))) => {
                assert_eq!((e.code, e.status), (ErrorCode::InvalidClient, 401), "{id}");
                assert!(e.description.contains(words), "{id}: {:?} lacks {words:?}", e.description);
            }
            (want, got) => panic!("{id} (allow_loopback={allow}): wanted {want:?}, got {got:?}"),
        }
    }
}

const DOC_URL: &str = "https://vscode.dev/oauth/client-metadata.json";

fn doc(extra: Value) -> Vec<u8> {
    let mut d = json!({
        "client_id": DOC_URL,
        "client_name": "Visual Studio Code",
        "redirect_uris": ["http://127.0.0.1:33418/", "https://vscode.dev/redirect"],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
        "client_uri": "https://code.visualstudio.com",
        "logo_uri": "javascript:alert(1)"
    });
    if let (Some(map), Value::Object(extra)) = (d.as_object_mut(), extra) {
        for (k, v) in extra {
            map.insert(k, v);
        }
    }
    d.to_string().into_bytes()
}

#[test]
fn metadata_document_accepted() {
    let r = validate_metadata_document(DOC_URL, &doc(json!({})), NOW).unwrap();
    assert_eq!(r.client_id, DOC_URL);
    assert_eq!(r.source, ClientSource::MetadataDocument);
    assert_eq!(r.token_endpoint_auth_method, AuthMethod::None);
    assert_eq!(r.client_secret_hash, None);
    assert_eq!(r.client_name.as_deref(), Some("Visual Studio Code"));
    assert_eq!(r.redirect_uris.len(), 2);
    assert_eq!(r.grant_types, vec!["authorization_code", "refresh_token"]);
    assert_eq!(r.client_uri.as_deref(), Some("https://code.visualstudio.com"));
    assert_eq!(r.logo_uri, None, "an unusable logo_uri is dropped, not fatal");
    assert_eq!(r.created_at, NOW);
    assert!(r.is_public());
    let minimal = json!({"client_id": DOC_URL, "client_name": "X", "redirect_uris": ["https://x.example/cb"]});
    let r = validate_metadata_document(DOC_URL, minimal.to_string().as_bytes(), NOW).unwrap();
    assert_eq!(r.grant_types, vec!["authorization_code"]);
}

#[test]
fn metadata_document_refusals() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"not json".to_vec(), "not a JSON object"),
        (b"[1]".to_vec(), "not a JSON object"),
        (vec![0xff, 0xfe, b'{', b'}'], "not UTF-8"),
        (format!("{{\"x\":\"{}\"}}", "a".repeat(MAX_METADATA_DOCUMENT_BYTES)).into_bytes(), "larger than 5 KiB"),
        (doc(json!({"client_id": "https://vscode.dev/oauth/client-metadata.json/"})), "does not equal"),
        (doc(json!({"client_id": "https://VSCODE.dev/oauth/client-metadata.json"})), "does not equal"),
        (doc(json!({"client_id": null})), "client_id is missing"),
        (doc(json!({"client_id": 1})), "client_id is missing"),
        (doc(json!({"client_name": null})), "client_name is required"),
        (doc(json!({"client_name": ""})), "client_name is required"),
        (doc(json!({"client_name": 7})), "client_name must be a string"),
        (doc(json!({"client_name": "a\u{0}b"})), "control"),
        (doc(json!({"redirect_uris": []})), "redirect_uris is required"),
        (doc(json!({"redirect_uris": null})), "redirect_uris is required"),
        (doc(json!({"redirect_uris": "https://x.example/cb"})), "array of strings"),
        (doc(json!({"redirect_uris": ["https://x.example/cb", " javascript:alert(1)"]})), "whitespace"),
        (doc(json!({"redirect_uris": ["http://evil.example/cb"]})), "not loopback"),
        (doc(json!({"client_secret": "s"})), "client_secret"),
        (doc(json!({"client_secret_expires_at": 0})), "client_secret_expires_at"),
        (doc(json!({"token_endpoint_auth_method": "client_secret_basic"})), "only none"),
        (doc(json!({"token_endpoint_auth_method": "private_key_jwt"})), "only none"),
        (doc(json!({"grant_types": ["refresh_token"]})), "authorization_code"),
        (doc(json!({"grant_types": "authorization_code"})), "array of strings"),
    ];
    for (body, words) in cases {
        let e = validate_metadata_document(DOC_URL, &body, NOW).unwrap_err();
        assert_eq!((e.code, e.status), (ErrorCode::InvalidClient, 401), "{words}");
        assert!(e.description.contains(words), "{:?} lacks {words:?}", e.description);
        assert!(e.description.contains(DOC_URL), "{:?}", e.description);
    }
}

#[test]
fn metadata_cache_ttls() {
    let cases: &[(Option<&str>, u64)] = &[
        (None, 3600),
        (Some(""), 3600),
        (Some("public"), 3600),
        (Some("max-age=600"), 600),
        (Some("public, max-age=600"), 600),
        (Some("Max-Age=600"), 600),
        (Some("max-age=\"600\""), 600),
        (Some(" max-age = 600 "), 600),
        (Some("max-age=10"), 60),
        (Some("max-age=0"), 60),
        (Some("max-age=604800"), 86400),
        (Some("max-age=99999999999999999999999"), 86400),
        (Some("max-age=-5"), 3600),
        (Some("max-age=abc"), 3600),
        (Some("max-age="), 3600),
        (Some("no-store"), 60),
        (Some("No-Cache"), 60),
        (Some("max-age=3000, no-cache"), 60),
        (Some("no-cache=\"set-cookie\""), 60),
        (Some("s-maxage=100"), 3600),
        (Some("max-age=120, max-age=9000"), 120),
    ];
    for (header, want) in cases {
        assert_eq!(metadata_cache_ttl(*header), *want, "{header:?}");
    }
}
