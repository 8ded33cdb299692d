//! The verification matrix of issue 5 against loaded keys ([`AuthkitKeys::verify`]).
use super::*;
use crate::testing::{jwks_for, mint, mint_with, test_jwks, test_key, TEST_KID};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use futures_executor::block_on;
use jwt_compact::alg::{Hs256, Hs256Key, Rsa};
use jwt_compact::{AlgorithmExt, Claims, Header};
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::json;
use std::sync::OnceLock;

pub(super) const NOW: u64 = 1_800_000_000;
pub(super) const ISSUER: &str = "https://acme.authkit.app";
pub(super) const RESOURCE: &str = "https://mcp.example.com/mcp";
pub(super) const CLIENT_ID: &str = "client_01ENV";

pub(super) fn other_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap())
}

pub(super) fn audiences() -> Vec<String> {
    vec![RESOURCE.to_string()]
}

/// A Connect access token's claims, merged with `extra` (null removes).
pub(super) fn claims(extra: Value) -> Value {
    let mut c = json!({"iss": ISSUER, "aud": RESOURCE, "sub": "user_01JQ", "org_id": "org_01HR",
                       "sid": "app_consent_01JQ", "jti": "01JQ0E27", "client_id": "client_mcp",
                       "scope": "openid profile email offline_access", "exp": NOW + 300, "iat": NOW});
    if let (Some(m), Value::Object(e)) = (c.as_object_mut(), extra) {
        for (k, v) in e {
            if v.is_null() {
                m.remove(&k);
            } else {
                m.insert(k, v);
            }
        }
    }
    c
}

fn keys() -> AuthkitKeys {
    let mut k = AuthkitKeys::default();
    k.load(&test_jwks(), NOW).unwrap();
    k
}

fn verify_with(token: &str, audiences: &[String]) -> Result<AuthkitClaims, AuthkitTokenError> {
    block_on(keys().verify(token, &Expectations { issuer: ISSUER, audiences }, NOW))
}

fn verify(token: &str) -> Result<AuthkitClaims, AuthkitTokenError> {
    verify_with(token, &audiences())
}

pub(super) fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

fn sub(r: Result<AuthkitClaims, AuthkitTokenError>) -> Result<String, AuthkitTokenError> {
    r.map(|c| c.sub)
}

#[test]
fn valid_token_yields_claims() {
    let full = claims(json!({"role": "admin", "roles": ["admin", "member"], "permissions": ["image_generation"],
                             "email": "ada@example.com", "name": "Ada"}));
    assert_eq!(
        verify(&mint(full)),
        Ok(AuthkitClaims {
            sub: "user_01JQ".into(),
            sid: Some("app_consent_01JQ".into()),
            org_id: Some("org_01HR".into()),
            role: Some("admin".into()),
            roles: vec!["admin".into(), "member".into()],
            permissions: Some(vec!["image_generation".into()]),
            email: Some("ada@example.com".into()),
            name: Some("Ada".into()),
            client_id: Some("client_mcp".into()),
            scope: Some("openid profile email offline_access".into()),
            expires_at: NOW + 300,
        })
    );
    // The docs' minimal Connect token: no permissions, no roles (the caller resolves them).
    let minimal = verify(&mint(json!({"iss": ISSUER, "aud": RESOURCE, "sub": "user_2", "exp": NOW + 1}))).unwrap();
    assert_eq!((minimal.roles.len(), minimal.permissions, minimal.org_id), (0, None, None));
    assert_eq!(verify(&mint(claims(json!({"permissions": []})))).unwrap().permissions, Some(vec![]));
}

#[test]
fn expired() {
    assert!(verify(&mint(claims(json!({"exp": NOW - 60})))).is_ok(), "within the 60 s leeway");
    assert_eq!(sub(verify(&mint(claims(json!({"exp": NOW - 61}))))), Err(AuthkitTokenError::Expired));
    assert_eq!(sub(verify(&mint(claims(json!({"exp": 0}))))), Err(AuthkitTokenError::Expired));
    assert!(
        matches!(verify(&mint(claims(json!({"exp": null})))), Err(AuthkitTokenError::Malformed(_))),
        "exp is required"
    );
    assert!(matches!(verify(&mint(claims(json!({"exp": "soon"})))), Err(AuthkitTokenError::Malformed(_))));
}

#[test]
fn not_yet_valid() {
    assert!(verify(&mint(claims(json!({"nbf": NOW + 60})))).is_ok(), "within the 60 s leeway");
    assert_eq!(sub(verify(&mint(claims(json!({"nbf": NOW + 61}))))), Err(AuthkitTokenError::NotYetValid));
    assert_eq!(sub(verify(&mint(claims(json!({"nbf": NOW + 86_400}))))), Err(AuthkitTokenError::NotYetValid));
}

#[test]
fn wrong_issuer() {
    for iss in [
        json!("https://evil.authkit.app"),
        json!("https://acme.authkit.app/"),
        json!("http://acme.authkit.app"),
        json!("https://ACME.authkit.app"),
        json!("https://acme.authkit.app.evil.com"),
        json!("https://api.workos.com"),
        json!(""),
        json!([ISSUER]),
        json!(null),
    ] {
        assert_eq!(sub(verify(&mint(claims(json!({"iss": iss.clone()}))))), Err(AuthkitTokenError::Issuer), "{iss}");
    }
    // An empty expectation (misconfiguration) matches nothing, not an empty `iss`.
    let token = mint(claims(json!({"iss": ""})));
    let aud = audiences();
    assert_eq!(
        sub(block_on(keys().verify(&token, &Expectations { issuer: "", audiences: &aud }, NOW))),
        Err(AuthkitTokenError::Issuer)
    );
}

#[test]
fn wrong_audience() {
    for aud in [
        json!("https://other.example.com/mcp"),
        json!("https://mcp.example.com"),
        json!("https://mcp.example.com/mcp/"),
        json!(CLIENT_ID),
        json!(["a", "b"]),
        json!([]),
        json!(""),
        json!(5),
        json!({"aud": RESOURCE}),
        json!(null),
    ] {
        assert_eq!(sub(verify(&mint(claims(json!({"aud": aud.clone()}))))), Err(AuthkitTokenError::Audience), "{aud}");
    }
    assert_eq!(sub(verify_with(&mint(claims(json!({"aud": ""}))), &[String::new()])), Err(AuthkitTokenError::Audience));
    assert_eq!(sub(verify_with(&mint(claims(json!({}))), &[])), Err(AuthkitTokenError::Audience));
}

#[test]
fn audience_array_containing_ours_is_accepted() {
    assert!(verify(&mint(claims(json!({"aud": ["https://other.example.com", RESOURCE]})))).is_ok());
    assert!(verify(&mint(claims(json!({"aud": [5, RESOURCE]})))).is_ok(), "non-string entries are skipped");
}

#[test]
fn client_id_audience_when_configured_is_accepted() {
    // No Resource Indicator in the dashboard: WorkOS issues `aud` = the environment's client id.
    let token = mint(claims(json!({"aud": CLIENT_ID})));
    assert_eq!(sub(verify(&token)), Err(AuthkitTokenError::Audience), "not configured");
    let both = vec![RESOURCE.to_string(), CLIENT_ID.to_string()];
    assert!(verify_with(&token, &both).is_ok());
    assert!(verify_with(&mint(claims(json!({}))), &both).is_ok(), "the resource URL still works");
}

#[test]
fn alg_none_is_refused() {
    let payload = b64(&claims(json!({})));
    for header in
        [json!({"alg": "none", "kid": TEST_KID}), json!({"alg": "none"}), json!({"alg": "None", "typ": "JWT"})]
    {
        let alg = header["alg"].as_str().unwrap().to_string();
        for token in [format!("{}.{payload}.", b64(&header)), format!("{}.{payload}.AAAA", b64(&header))] {
            assert_eq!(sub(verify(&token)), Err(AuthkitTokenError::Algorithm(alg.clone())));
            let empty = AuthkitKeys::default();
            let aud = audiences();
            let exp = Expectations { issuer: ISSUER, audiences: &aud };
            assert_eq!(
                sub(block_on(empty.verify(&token, &exp, NOW))),
                Err(AuthkitTokenError::Algorithm(alg.clone())),
                "before keys"
            );
        }
    }
}

/// HS256 with the RSA public key as the HMAC secret, in every form a confused verifier might use.
#[test]
fn hs256_signed_with_the_public_key_is_refused() {
    let public = test_key().to_public_key();
    let mut raw = public.n().to_bytes_be();
    raw.extend(public.e().to_bytes_be());
    let secrets: Vec<Vec<u8>> = vec![
        raw,
        public.to_public_key_pem(LineEnding::LF).unwrap().into_bytes(),
        public.to_pkcs1_pem(LineEnding::LF).unwrap().into_bytes(),
        public.to_public_key_der().unwrap().as_bytes().to_vec(),
        test_jwks().into_bytes(),
    ];
    for secret in secrets {
        let header = Header::empty().with_key_id(TEST_KID);
        let token = Hs256.token(&header, &Claims::new(claims(json!({}))), &Hs256Key::new(&secret)).unwrap();
        assert_eq!(sub(verify(&token)), Err(AuthkitTokenError::Algorithm("HS256".into())));
    }
}

#[test]
fn other_algorithms_are_refused() {
    let payload = b64(&claims(json!({})));
    for alg in ["HS384", "HS512", "RS384", "RS512", "PS256", "ES256", "EdDSA", "rs256", "RS256 ", ""] {
        let token = format!("{}.{payload}.AAAA", b64(&json!({"alg": alg, "kid": TEST_KID})));
        assert_eq!(sub(verify(&token)), Err(AuthkitTokenError::Algorithm(alg.into())), "{alg:?}");
    }
    let long = "X".repeat(500);
    let token = format!("{}.{payload}.AAAA", b64(&json!({"alg": long})));
    assert_eq!(sub(verify(&token)), Err(AuthkitTokenError::Algorithm("X".repeat(20))), "quoted briefly");
}

#[test]
fn tampered_payload() {
    let good = mint(claims(json!({})));
    let parts: Vec<&str> = good.split('.').collect();
    for richer in [
        claims(json!({"permissions": ["everything"]})),
        claims(json!({"sub": "user_admin"})),
        claims(json!({"exp": NOW + 86_400})),
    ] {
        let token = format!("{}.{}.{}", parts[0], b64(&richer), parts[2]);
        assert_eq!(sub(verify(&token)), Err(AuthkitTokenError::Signature));
    }
    let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    sig[7] ^= 0x40;
    let flipped = format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(&sig));
    assert_eq!(sub(verify(&flipped)), Err(AuthkitTokenError::Signature));
    assert_eq!(sub(verify(&format!("{}.{}.", parts[0], parts[1]))), Err(AuthkitTokenError::Signature));
    // Another key under our kid.
    assert_eq!(sub(verify(&mint_with(other_key(), TEST_KID, claims(json!({}))))), Err(AuthkitTokenError::Signature));
}

#[test]
fn missing_subject() {
    for s in [json!(null), json!(""), json!(42), json!(["user_1"])] {
        assert_eq!(
            sub(verify(&mint(claims(json!({"sub": s.clone()}))))),
            Err(AuthkitTokenError::MissingSubject),
            "{s}"
        );
    }
}

#[test]
fn unknown_kid_and_key_selection() {
    let rotated = mint_with(other_key(), "key_rotated", claims(json!({})));
    assert_eq!(sub(verify(&rotated)), Err(AuthkitTokenError::UnknownKey(Some("key_rotated".into()))));
    let no_kid = Rsa::rs256().token(&Header::empty(), &Claims::new(claims(json!({}))), test_key()).unwrap();
    assert!(verify(&no_kid).is_ok(), "a one-key JWKS serves a token without kid");
    let mut two = AuthkitKeys::default();
    two.load(&two_key_jwks(), NOW).unwrap();
    let aud = audiences();
    let exp = Expectations { issuer: ISSUER, audiences: &aud };
    assert_eq!(sub(block_on(two.verify(&no_kid, &exp, NOW))), Err(AuthkitTokenError::UnknownKey(None)), "ambiguous");
    assert!(block_on(two.verify(&mint(claims(json!({}))), &exp, NOW)).is_ok());
    assert!(block_on(two.verify(&mint_with(other_key(), "key_2", claims(json!({}))), &exp, NOW)).is_ok());
}

pub(super) fn jwk(key: &RsaPrivateKey, kid: &str) -> Value {
    serde_json::from_str::<Value>(&jwks_for(key, kid)).unwrap()["keys"][0].clone()
}

pub(super) fn two_key_jwks() -> String {
    json!({"keys": [jwk(test_key(), TEST_KID), jwk(other_key(), "key_2")]}).to_string()
}

#[test]
fn malformed_tokens() {
    let huge = mint(claims(json!({"name": "x".repeat(9 * 1024)})));
    let bad_header = format!("{}.{}.AAAA", URL_SAFE_NO_PAD.encode("not json"), b64(&claims(json!({}))));
    for t in ["", "abc", "a.b", "a.b.c.d", "!!!.!!!.!!!", "..", huge.as_str(), bad_header.as_str()] {
        assert!(matches!(verify(t), Err(AuthkitTokenError::Malformed(_))), "{t:.40}");
    }
    let typed = |extra: Value| verify(&mint(claims(extra)));
    for extra in
        [json!({"roles": "admin"}), json!({"permissions": "a b"}), json!({"email": 1}), json!({"scope": ["openid"]})]
    {
        assert!(matches!(typed(extra.clone()), Err(AuthkitTokenError::Malformed(_))), "{extra}");
    }
}

#[test]
fn jwks_loading() {
    let mut k = AuthkitKeys::default();
    assert!(!k.has_keys() && k.is_stale(NOW));
    for unusable in [r#"{"keys":[]}"#, "{}", r#"{"keys":[{"kty":"oct","k":"AAAA"}]}"#, r#"{"keys":[1,null]}"#] {
        assert_eq!(k.load(unusable, NOW), Err(AuthkitTokenError::NoKeys), "{unusable}");
    }
    for garbage in ["", "<html>", &format!(r#"{{"keys":[],"pad":"{}"}}"#, "x".repeat(70_000))] {
        assert!(matches!(k.load(garbage, NOW), Err(AuthkitTokenError::JwksUnavailable(_))), "{garbage:.20}");
    }
    // Too-small and too-large moduli are skipped, leaving nothing usable.
    let small = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).unwrap();
    assert_eq!(k.load(&jwks_for(&small, "small"), NOW), Err(AuthkitTokenError::NoKeys));
    let mut big = jwk(test_key(), "big");
    big["n"] = json!(URL_SAFE_NO_PAD.encode([0xc5u8; 513]));
    assert_eq!(k.load(&json!({"keys": [big]}).to_string(), NOW), Err(AuthkitTokenError::NoKeys));
    let aud = audiences();
    let exp = Expectations { issuer: ISSUER, audiences: &aud };
    assert_eq!(
        sub(block_on(k.verify(&mint(claims(json!({}))), &exp, NOW))),
        Err(AuthkitTokenError::NoKeys),
        "nothing loaded"
    );
    // Keys beyond the cap are not looked at.
    let many: Vec<Value> =
        (0..40).map(|i| jwk(if i == 39 { other_key() } else { test_key() }, &format!("k{i}"))).collect();
    k.load(&json!({"keys": many}).to_string(), NOW).unwrap();
    assert!(block_on(k.verify(&mint_with(test_key(), "k31", claims(json!({}))), &exp, NOW)).is_ok());
    assert!(matches!(
        block_on(k.verify(&mint_with(other_key(), "k39", claims(json!({}))), &exp, NOW)),
        Err(AuthkitTokenError::UnknownKey(_))
    ));
    // A bad document keeps the keys that work, and their age.
    k.load(&test_jwks(), NOW).unwrap();
    assert_eq!(k.load(r#"{"keys":[]}"#, NOW + 700), Err(AuthkitTokenError::NoKeys));
    assert!(block_on(k.verify(&mint(claims(json!({}))), &exp, NOW)).is_ok());
    assert!(k.is_stale(NOW + 700));
}

#[test]
fn staleness() {
    let k = keys();
    assert!(k.has_keys());
    assert!(!k.is_stale(NOW + AuthkitKeys::TTL_SECS - 1));
    assert!(k.is_stale(NOW + AuthkitKeys::TTL_SECS));
}

#[test]
fn descriptions_are_fixed_and_header_safe() {
    let all = [
        AuthkitTokenError::Malformed("eyJ secret".into()),
        AuthkitTokenError::Algorithm("HS256\"".into()),
        AuthkitTokenError::UnknownKey(Some("kid\\".into())),
        AuthkitTokenError::Signature,
        AuthkitTokenError::Issuer,
        AuthkitTokenError::Audience,
        AuthkitTokenError::Expired,
        AuthkitTokenError::NotYetValid,
        AuthkitTokenError::MissingSubject,
        AuthkitTokenError::NoKeys,
        AuthkitTokenError::JwksUnavailable("network: dns".into()),
    ];
    for e in &all {
        let d = e.description();
        // RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E.
        assert!(!d.is_empty() && d.bytes().all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\'), "{d}");
        assert!(!d.contains("eyJ") && !d.contains("HS256") && !d.contains("kid") && !d.contains("dns"));
        assert!(!e.to_string().is_empty());
    }
}
