use super::*;
use crate::oauth::types::TokenHash;
use crate::oauth::ErrorCode;

const NOW: u64 = 1_760_000_000;

fn reg(body: Value) -> Result<Registration, OAuthError> {
    register(body.to_string().as_bytes(), NOW, "client-id-1", "secret-1")
}

fn reg_err(body: Value) -> OAuthError {
    match reg(body) {
        Ok(r) => panic!("accepted: {}", r.response),
        Err(e) => e,
    }
}

#[test]
fn hash_and_verify_secret() {
    assert_eq!(TokenHash::of("abc").as_str(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    let r = reg(json!({"redirect_uris": ["https://claude.ai/api/mcp/auth_callback"]})).unwrap().record;
    let auth = ClientAuth::of(&r);
    assert!(auth.verify_secret("secret-1"));
    assert!(!auth.verify_secret("secret-2"));
    assert!(!auth.verify_secret(""));
    assert!(!auth.verify_secret(TokenHash::of("secret-1").as_str()));
    let public = ClientAuth::of(&ClientRecord { client_secret_hash: None, ..r.clone() });
    assert!(!public.verify_secret(""));
    assert!(!public.verify_secret("secret-1"));
}

#[test]
fn display_name_and_public() {
    let r =
        reg(json!({"redirect_uris": ["http://localhost/cb"], "token_endpoint_auth_method": "none"})).unwrap().record;
    assert!(r.is_public());
    assert_eq!(r.display_name(), "Unknown client");
    let named = ClientRecord { client_name: Some("Claude".into()), ..r.clone() };
    assert_eq!(named.display_name(), "Claude");
    let blank = ClientRecord { client_name: Some("  ".into()), ..r };
    assert_eq!(blank.display_name(), "Unknown client");
}

#[test]
fn mcp_remote_registration() {
    // What mcp-remote sends (public client, native app).
    let body = json!({
        "redirect_uris": ["http://localhost:33418/oauth/callback"],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "client_name": "MCP CLI Proxy",
        "client_uri": "https://github.com/modelcontextprotocol/mcp-cli",
        "software_id": "2e6dc280-f3c3-4e01-99a7-8181dbd1d23d",
        "software_version": "0.1.29",
        "application_type": "native",
        "scope": "mcp"
    });
    let r = reg(body).unwrap();
    assert_eq!(r.client_secret, None);
    assert_eq!(r.record.client_secret_hash, None);
    assert_eq!(r.record.source, ClientSource::Registered);
    assert_eq!(r.record.created_at, NOW);
    assert_eq!(r.record.client_uri.as_deref(), Some("https://github.com/modelcontextprotocol/mcp-cli"));
    assert_eq!(
        r.response,
        json!({
            "client_id": "client-id-1",
            "client_id_issued_at": NOW,
            "redirect_uris": ["http://localhost:33418/oauth/callback"],
            "client_name": "MCP CLI Proxy",
            "client_uri": "https://github.com/modelcontextprotocol/mcp-cli",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none"
        })
    );
}

#[test]
fn confidential_registration_with_defaults() {
    let body =
        json!({"redirect_uris": ["https://claude.ai/api/mcp/auth_callback"], "logo_uri": "https://claude.ai/logo.png"});
    let r = reg(body).unwrap();
    assert_eq!(r.record.token_endpoint_auth_method, AuthMethod::ClientSecretBasic);
    assert_eq!(r.record.grant_types, vec!["authorization_code"]);
    assert_eq!(r.client_secret.as_deref(), Some("secret-1"));
    assert_eq!(r.record.client_secret_hash, Some(TokenHash::of("secret-1")));
    assert_eq!(
        r.response,
        json!({
            "client_id": "client-id-1",
            "client_id_issued_at": NOW,
            "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"],
            "logo_uri": "https://claude.ai/logo.png",
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "client_secret_basic",
            "client_secret": "secret-1",
            "client_secret_expires_at": 0
        })
    );
    let post =
        reg(json!({"redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "client_secret_post"}))
            .unwrap();
    assert_eq!(post.record.token_endpoint_auth_method, AuthMethod::ClientSecretPost);
    assert_eq!(post.response["client_secret"], "secret-1");
}

#[test]
fn cursor_registers_three_uris_and_duplicates_collapse() {
    let uris = [
        "cursor://anysphere.cursor-mcp/oauth/callback",
        "https://www.cursor.com/agents/mcp/oauth/callback",
        "http://localhost:8787/callback",
    ];
    let r = reg(json!({"redirect_uris": [uris[0], uris[1], uris[2], uris[0]], "token_endpoint_auth_method": "none"}))
        .unwrap();
    let got: Vec<&str> = r.record.redirect_uris.iter().map(RedirectUri::as_str).collect();
    assert_eq!(got, uris);
    assert_eq!(r.response["redirect_uris"], json!(uris));
}

#[test]
fn registration_refusals() {
    let ok = "https://claude.ai/cb";
    let twenty_one: Vec<String> = (0..21).map(|i| format!("https://a.example/{i}")).collect();
    let long_name = "n".repeat(201);
    // (body, code, words in the description)
    let cases: Vec<(Value, ErrorCode, &str)> = vec![
        (json!({}), ErrorCode::InvalidRedirectUri, "redirect_uris is required"),
        (json!({"redirect_uris": []}), ErrorCode::InvalidRedirectUri, "at least one"),
        (json!({"redirect_uris": null}), ErrorCode::InvalidRedirectUri, "required"),
        (json!({"redirect_uris": "x"}), ErrorCode::InvalidClientMetadata, "array of strings"),
        (json!({"redirect_uris": [ok, 5]}), ErrorCode::InvalidClientMetadata, "array of strings"),
        (json!({"redirect_uris": twenty_one}), ErrorCode::InvalidClientMetadata, "more than 20"),
        (
            json!({"redirect_uris": [ok, "javascript:alert(1)"]}),
            ErrorCode::InvalidRedirectUri,
            "\"javascript:alert(1)\"",
        ),
        (
            json!({"redirect_uris": [ok, "JaVaScRiPt:alert(1)"]}),
            ErrorCode::InvalidRedirectUri,
            "whole registration was refused",
        ),
        (json!({"redirect_uris": ["http://example.com/cb"]}), ErrorCode::InvalidRedirectUri, "not loopback"),
        (json!({"redirect_uris": ["https://claude.ai/cb#x"]}), ErrorCode::InvalidRedirectUri, "fragment"),
        (
            json!({"redirect_uris": [ok], "token_endpoint_auth_method": "private_key_jwt"}),
            ErrorCode::InvalidClientMetadata,
            "private_key_jwt",
        ),
        (
            json!({"redirect_uris": [ok], "token_endpoint_auth_method": 1}),
            ErrorCode::InvalidClientMetadata,
            "must be a string",
        ),
        (json!({"redirect_uris": [ok], "grant_types": ["implicit"]}), ErrorCode::InvalidClientMetadata, "\"implicit\""),
        (
            json!({"redirect_uris": [ok], "grant_types": ["client_credentials", "authorization_code"]}),
            ErrorCode::InvalidClientMetadata,
            "not supported",
        ),
        (
            json!({"redirect_uris": [ok], "grant_types": ["refresh_token"]}),
            ErrorCode::InvalidClientMetadata,
            "must include authorization_code",
        ),
        (
            json!({"redirect_uris": [ok], "grant_types": []}),
            ErrorCode::InvalidClientMetadata,
            "must include authorization_code",
        ),
        (
            json!({"redirect_uris": [ok], "grant_types": "authorization_code"}),
            ErrorCode::InvalidClientMetadata,
            "array of strings",
        ),
        (json!({"redirect_uris": [ok], "response_types": ["token"]}), ErrorCode::InvalidClientMetadata, "\"token\""),
        (json!({"redirect_uris": [ok], "response_types": []}), ErrorCode::InvalidClientMetadata, "must include code"),
        (
            json!({"redirect_uris": [ok], "client_name": 5}),
            ErrorCode::InvalidClientMetadata,
            "client_name must be a string",
        ),
        (json!({"redirect_uris": [ok], "client_name": long_name}), ErrorCode::InvalidClientMetadata, "longer than 200"),
        (json!({"redirect_uris": [ok], "client_name": "Good\nApp"}), ErrorCode::InvalidClientMetadata, "control"),
        (
            json!({"redirect_uris": [ok], "client_name": "abc\u{202e}gpj.exe"}),
            ErrorCode::InvalidClientMetadata,
            "direction",
        ),
        (
            json!({"redirect_uris": [ok], "client_uri": "javascript:alert(1)"}),
            ErrorCode::InvalidClientMetadata,
            "client_uri",
        ),
        (json!({"redirect_uris": [ok], "client_uri": "/relative"}), ErrorCode::InvalidClientMetadata, "absolute http"),
        (json!({"redirect_uris": [ok], "logo_uri": "https:logo.png"}), ErrorCode::InvalidClientMetadata, "logo_uri"),
        (
            json!({"redirect_uris": [ok], "logo_uri": "https://a b.example/"}),
            ErrorCode::InvalidClientMetadata,
            "logo_uri",
        ),
        (
            json!({"redirect_uris": [ok], "policy_uri": "ftp://example.com/p"}),
            ErrorCode::InvalidClientMetadata,
            "policy_uri",
        ),
        (
            json!({"redirect_uris": [ok], "tos_uri": "https://user@example.com/"}),
            ErrorCode::InvalidClientMetadata,
            "userinfo",
        ),
        (
            json!({"redirect_uris": [ok], "tos_uri": ["https://example.com/"]}),
            ErrorCode::InvalidClientMetadata,
            "tos_uri must be a string",
        ),
    ];
    for (body, code, words) in cases {
        let e = reg_err(body.clone());
        assert_eq!(e.code, code, "{body}: {e}");
        assert_eq!(e.status, 400, "{body}");
        assert!(e.description.contains(words), "{body}: {:?} lacks {words:?}", e.description);
    }
}

#[test]
fn registration_body_shape() {
    for body in [&b"not json"[..], b"[]", b"\"x\"", b"null", b"", b"{\"redirect_uris\": [\"https://a.example/cb\"]"] {
        let e = register(body, NOW, "id", "secret").err().unwrap();
        assert_eq!((e.code, e.status), (ErrorCode::InvalidRequest, 400), "{body:?}");
        assert!(e.description.contains("JSON object"));
    }
    let big =
        format!("{{\"redirect_uris\":[\"https://a.example/cb\"],\"x\":\"{}\"}}", "a".repeat(MAX_REGISTRATION_BYTES));
    let e = register(big.as_bytes(), NOW, "id", "secret").err().unwrap();
    assert_eq!((e.code, e.status), (ErrorCode::InvalidRequest, 413));
}

#[test]
fn registration_lenient_parts() {
    let r = reg(json!({
        "redirect_uris": ["https://a.example/cb"],
        "client_name": "  ",
        "client_uri": null,
        "grant_types": ["authorization_code", "authorization_code"],
        "policy_uri": "https://a.example/policy",
        "contacts": ["a@example.com"],
        "jwks": {"keys": []}
    }))
    .unwrap();
    assert_eq!(r.record.client_name, None);
    assert_eq!(r.record.client_uri, None);
    assert_eq!(r.record.grant_types, vec!["authorization_code"]);
    assert!(r.response.get("policy_uri").is_none());
    let named =
        reg(json!({"redirect_uris": ["https://a.example/cb"], "client_name": "Zoë's \"MCP\" <client> ✨"})).unwrap();
    assert_eq!(named.record.display_name(), "Zoë's \"MCP\" <client> ✨");
}

#[test]
fn registration_needs_fresh_values() {
    let body = json!({"redirect_uris": ["https://a.example/cb"]}).to_string();
    assert_eq!(register(body.as_bytes(), NOW, "id", "").err().map(|e| e.code), Some(ErrorCode::ServerError));
    assert_eq!(register(body.as_bytes(), NOW, "", "s").err().map(|e| e.code), Some(ErrorCode::ServerError));
    let public = json!({"redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "none"}).to_string();
    assert!(register(public.as_bytes(), NOW, "id", "").is_ok());
}

#[test]
fn record_round_trips_through_json() {
    let r = reg(json!({"redirect_uris": ["cursor://anysphere.cursor-mcp/oauth/callback"], "client_name": "Cursor"}))
        .unwrap()
        .record;
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(json["source"], "registered");
    assert_eq!(json["redirect_uris"], json!(["cursor://anysphere.cursor-mcp/oauth/callback"]));
    assert_eq!(serde_json::from_value::<ClientRecord>(json).unwrap(), r);
    for m in [AuthMethod::None, AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost] {
        assert_eq!(serde_json::to_value(m).unwrap(), m.as_str(), "stored as its registered name");
        assert_eq!(AuthMethod::named(m.as_str()), Some(m));
    }
    assert_eq!(AuthMethod::named("private_key_jwt"), None);
    assert_eq!(serde_json::to_value(ClientSource::MetadataDocument).unwrap(), "metadata_document");
}

#[test]
fn a_registration_is_capped_as_a_whole_not_only_per_uri() {
    // Seven redirect URIs of 1,900 bytes each pass every per-URI rule (and the body limit) but
    // not the total kept.
    let uris: Vec<String> = (0..7).map(|i| format!("https://example.com/{i}/{}", "a".repeat(1900))).collect();
    let e = reg_err(json!({"redirect_uris": uris, "token_endpoint_auth_method": "none"}));
    assert_eq!(e.code, ErrorCode::InvalidClientMetadata);
    assert!(e.description.contains("too large to keep"), "{}", e.description);
    let few: Vec<String> = (0..3).map(|i| format!("https://example.com/{i}/{}", "a".repeat(1900))).collect();
    assert!(reg(json!({"redirect_uris": few, "token_endpoint_auth_method": "none"})).is_ok(), "three long URIs fit");
    let body = json!({"redirect_uris": ["https://claude.ai/cb"], "client_name": "x".repeat(MAX_REGISTRATION_BYTES)});
    assert_eq!(reg_err(body).status, 413, "the request body itself is capped first");
}

#[test]
fn invisible_format_characters_are_refused_in_client_names_like_bidi_controls() {
    for bad in [
        "Cla\u{200b}ude",
        "\u{feff}Claude",
        "Cla\u{ad}ude",
        "Claude\u{2060}",
        "Claude\u{202e}edualc",
        "C\u{2066}laude",
        "Claude\u{e0041}",
        "Cla\u{200d}ude",
    ] {
        let e = reg_err(json!({"redirect_uris": ["https://claude.ai/cb"], "client_name": bad}));
        assert_eq!(e.code, ErrorCode::InvalidClientMetadata, "{bad:?}");
        assert!(e.description.contains("invisible"), "{bad:?}: {}", e.description);
    }
    for ok in ["Claude", "Café Client", "クライアント", "Zoë's MCP client (beta)"] {
        assert!(reg(json!({"redirect_uris": ["https://claude.ai/cb"], "client_name": ok})).is_ok(), "{ok}");
    }
}
