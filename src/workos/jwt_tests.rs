use super::*;
use crate::testing::{jwks_for, mint, mint_with, test_jwks, test_key, TEST_KID};
use futures_executor::block_on;
use jwt_compact::alg::{Hs256, Hs256Key, Rsa};
use jwt_compact::{AlgorithmExt, Claims, Header};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::json;
use std::sync::OnceLock;

const NOW: u64 = 1_800_000_000;
const AUD: &str = "client_test";
const ISS: &str = "https://api.workos.com/user_management/client_test";

fn rules() -> WorkosTokenRules {
    WorkosTokenRules::new(AUD, "https://api.workos.com", None)
}

fn other_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap())
}

fn cache() -> JwksCache {
    let mut c = JwksCache::default();
    c.load(&test_jwks(), NOW).unwrap();
    c
}

fn claims(extra: Value) -> Value {
    let mut c = json!({"iss":ISS,"sub":"user_1","sid":"session_1","org_id":"org_1","role":"admin","roles":["admin"],
                       "permissions":["image_generation"],"exp":NOW + 300,"iat":NOW});
    if let (Some(m), Value::Object(e)) = (c.as_object_mut(), extra) {
        m.extend(e);
    }
    c
}

fn verify(token: &str) -> Result<AccessClaims, TokenError> {
    block_on(cache().verify(token, &rules(), NOW))
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

#[test]
fn valid_token_yields_claims() {
    let c = verify(&mint(claims(json!({})))).unwrap();
    assert_eq!(
        c,
        AccessClaims {
            iss: Some(ISS.into()),
            sub: "user_1".into(),
            sid: Some("session_1".into()),
            org_id: Some("org_1".into()),
            role: Some("admin".into()),
            roles: Some(vec!["admin".into()]),
            permissions: Some(vec!["image_generation".into()]),
            exp: Some(NOW + 300),
            iat: Some(NOW),
        }
    );
    let minimal = verify(&mint(json!({"iss":ISS,"sub":"user_2","exp":NOW + 1}))).unwrap();
    assert_eq!((minimal.sub.as_str(), minimal.org_id, minimal.permissions), ("user_2", None, None));
}

#[test]
fn time_claims_with_leeway() {
    assert_eq!(
        verify(&mint(claims(json!({"exp": NOW - 59})))).map(|c| c.sub),
        Ok("user_1".into()),
        "59 s past exp is within leeway"
    );
    assert_eq!(
        verify(&mint(claims(json!({"exp": NOW - 60})))).map(|c| c.sub),
        Ok("user_1".into()),
        "exactly the leeway"
    );
    assert_eq!(verify(&mint(claims(json!({"exp": NOW - 61})))), Err(TokenError::Expired));
    assert_eq!(verify(&mint(claims(json!({"exp": NOW - 100_000})))), Err(TokenError::Expired));
    assert_eq!(verify(&mint(claims(json!({"exp": 0})))), Err(TokenError::Expired));
    assert!(verify(&mint(claims(json!({"nbf": NOW + 59})))).is_ok());
    assert_eq!(verify(&mint(claims(json!({"nbf": NOW + 61})))), Err(TokenError::NotYetValid));
    assert_eq!(verify(&mint(claims(json!({"nbf": NOW + 3600})))), Err(TokenError::NotYetValid));
    assert!(verify(&mint(claims(json!({"nbf": NOW - 10})))).is_ok());
    assert!(matches!(verify(&mint(json!({"sub":"u"}))), Err(TokenError::Malformed(_))), "missing exp");
    assert!(matches!(verify(&mint(json!({"sub":"u","exp":"soon"}))), Err(TokenError::Malformed(_))));
    assert!(matches!(verify(&mint(json!({"sub":"u","exp":-5}))), Err(TokenError::Malformed(_))));
    assert!(matches!(verify(&mint(json!({"iss":ISS,"exp":NOW + 10}))), Err(TokenError::Malformed(_))), "missing sub");
    assert!(verify(&mint(claims(json!({"exp": NOW * 100})))).is_ok(), "far-future exp");
    assert!(
        matches!(verify(&mint(claims(json!({"exp": u64::MAX})))), Err(TokenError::Malformed(_))),
        "beyond any clock"
    );
}

#[test]
fn issuer_rules() {
    // The issuers WorkOS signs User-Management tokens with.
    for iss in ["https://api.workos.com", "https://api.workos.com/", ISS] {
        assert!(verify(&mint(claims(json!({"iss": iss})))).is_ok(), "{iss}");
    }
    for iss in [
        json!(null),
        json!("https://api.workos.com/user_management/client_other"),
        json!("https://evil.example"),
        json!("https://api.workos.com.evil.example"),
        json!("http://api.workos.com"),
        json!("http://localhost:4101"),
        json!(5),
    ] {
        assert_eq!(verify(&mint(claims(json!({"iss": iss})))), Err(TokenError::WrongIssuer), "{iss}");
    }
    let mut no_iss = claims(json!({}));
    no_iss.as_object_mut().unwrap().remove("iss");
    assert_eq!(verify(&mint(no_iss)), Err(TokenError::WrongIssuer), "iss is required");
    // A custom authentication domain, and the configured base URL (a proxy, staging).
    let custom = WorkosTokenRules::new(AUD, "https://api.workos-test.com", Some("https://auth.example.com"));
    for iss in [
        "https://auth.example.com",
        "https://auth.example.com/user_management/client_test",
        "https://api.workos-test.com",
        ISS,
    ] {
        assert!(block_on(cache().verify(&mint(claims(json!({"iss": iss}))), &custom, NOW)).is_ok(), "{iss}");
    }
    assert_eq!(
        block_on(cache().verify(&mint(claims(json!({"iss": "http://localhost:4101"}))), &custom, NOW)),
        Err(TokenError::WrongIssuer)
    );
    // Locally (a loopback API base URL) the emulator signs with its own loopback URL.
    let local = WorkosTokenRules::new(AUD, "http://127.0.0.1:4100", None);
    for iss in ["http://localhost:4101", "http://127.0.0.1:4100", "http://127.0.0.1:4100/user_management/client_test"] {
        assert!(block_on(cache().verify(&mint(claims(json!({"iss": iss}))), &local, NOW)).is_ok(), "{iss}");
    }
    for iss in [
        "http://evil.example:4101",
        "http://localhost.evil.example",
        "https://localhost:4101/x",
        "http://localhost:4101/x",
    ] {
        assert_eq!(
            block_on(cache().verify(&mint(claims(json!({"iss": iss}))), &local, NOW)),
            Err(TokenError::WrongIssuer),
            "{iss}"
        );
    }
}

#[test]
fn audience_rules() {
    assert!(verify(&mint(claims(json!({"aud": AUD})))).is_ok());
    assert!(verify(&mint(claims(json!({"aud": ["https://mcp.example.com", AUD]})))).is_ok());
    assert!(verify(&mint(claims(json!({"aud": null})))).is_ok());
    assert!(verify(&mint(claims(json!({})))).is_ok(), "absent aud is fine (WorkOS UM tokens)");
    assert_eq!(verify(&mint(claims(json!({"aud": "client_other"})))), Err(TokenError::WrongAudience));
    assert_eq!(verify(&mint(claims(json!({"aud": ["a", "b"]})))), Err(TokenError::WrongAudience));
    assert_eq!(verify(&mint(claims(json!({"aud": []})))), Err(TokenError::WrongAudience));
    assert_eq!(verify(&mint(claims(json!({"aud": 5})))), Err(TokenError::WrongAudience));
    assert_eq!(verify(&mint(claims(json!({"aud": "CLIENT_TEST"})))), Err(TokenError::WrongAudience));
}

#[test]
fn signature_failures() {
    // Another key published under the same kid.
    let forged = mint_with(other_key(), TEST_KID, claims(json!({})));
    assert_eq!(verify(&forged), Err(TokenError::BadSignature));
    // Payload swapped for a more generous one, signature kept.
    let good = mint(claims(json!({})));
    let parts: Vec<&str> = good.split('.').collect();
    let richer = b64(&claims(json!({"permissions": ["everything"]})));
    assert_eq!(verify(&format!("{}.{}.{}", parts[0], richer, parts[2])), Err(TokenError::BadSignature));
    // Signature bit-flipped, truncated, or removed.
    let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    sig[10] ^= 1;
    assert_eq!(
        verify(&format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(&sig))),
        Err(TokenError::BadSignature)
    );
    assert_eq!(verify(&format!("{}.{}.{}", parts[0], parts[1], &parts[2][..40])), Err(TokenError::BadSignature));
    assert_eq!(verify(&format!("{}.{}.", parts[0], parts[1])), Err(TokenError::BadSignature));
}

#[test]
fn algorithm_confusion_is_refused_before_keys() {
    let payload = b64(&claims(json!({})));
    let none = format!("{}.{}.", b64(&json!({"alg":"none","kid":TEST_KID})), payload);
    assert_eq!(verify(&none), Err(TokenError::UnsupportedAlg("none".into())));
    // HS256 keyed with the RSA public key's bytes — the classic confusion attack.
    let public = test_key().to_public_key();
    let mut secret = public.n().to_bytes_be();
    secret.extend(public.e().to_bytes_be());
    let hs = Hs256
        .token(&Header::empty().with_key_id(TEST_KID), &Claims::new(claims(json!({}))), &Hs256Key::new(&secret))
        .unwrap();
    assert_eq!(verify(&hs), Err(TokenError::UnsupportedAlg("HS256".into())));
    let pem_secret = test_jwks();
    let hs2 = Hs256
        .token(
            &Header::empty().with_key_id(TEST_KID),
            &Claims::new(claims(json!({}))),
            &Hs256Key::new(pem_secret.as_bytes()),
        )
        .unwrap();
    assert_eq!(verify(&hs2), Err(TokenError::UnsupportedAlg("HS256".into())));
    for alg in ["RS384", "PS256", "rs256", "ES256"] {
        let t = format!("{}.{}.AAAA", b64(&json!({"alg":alg,"kid":TEST_KID})), payload);
        assert_eq!(verify(&t), Err(TokenError::UnsupportedAlg(alg.into())), "{alg}");
    }
    // Even with an empty cache, the alg is judged first.
    let empty = JwksCache::default();
    assert_eq!(block_on(empty.verify(&none, &rules(), NOW)), Err(TokenError::UnsupportedAlg("none".into())));
}

#[test]
fn key_selection() {
    let unknown = mint_with(test_key(), "rotated-key", claims(json!({})));
    assert_eq!(verify(&unknown), Err(TokenError::UnknownKey(Some("rotated-key".into()))));
    let header = b64(&json!({"alg":"RS256"}));
    let no_kid = {
        let t = Rsa::rs256().token(&Header::empty(), &Claims::new(claims(json!({}))), test_key()).unwrap();
        assert!(t.starts_with(&header));
        t
    };
    assert!(verify(&no_kid).is_ok(), "one key, no kid");
    // Two keys: a token without kid is ambiguous.
    let mut two = JwksCache::default();
    two.load(&two_key_jwks(), NOW).unwrap();
    assert_eq!(block_on(two.verify(&no_kid, &rules(), NOW)), Err(TokenError::UnknownKey(None)));
    assert!(block_on(two.verify(&mint(claims(json!({}))), &rules(), NOW)).is_ok());
    assert!(block_on(two.verify(&mint_with(other_key(), "k2", claims(json!({}))), &rules(), NOW)).is_ok());
    assert_eq!(
        block_on(JwksCache::default().verify(&mint(claims(json!({}))), &rules(), NOW)),
        Err(TokenError::UnknownKey(Some(TEST_KID.into())))
    );
}

fn jwk(key: &RsaPrivateKey, kid: &str) -> Value {
    serde_json::from_str::<Value>(&jwks_for(key, kid)).unwrap()["keys"][0].clone()
}

fn two_key_jwks() -> String {
    json!({"keys":[jwk(test_key(), TEST_KID), jwk(other_key(), "k2")]}).to_string()
}

#[test]
fn malformed_tokens() {
    let huge = format!("{}.{}.{}", "a".repeat(20_000), "b", "c");
    let bad_header = format!("{}.{}.AAAA", URL_SAFE_NO_PAD.encode("not json"), b64(&json!({})));
    // Claims that are an array, under a valid signature: refused for their shape (a signature
    // that failed would be refused first, and say nothing of the claims).
    let array_payload = {
        use rsa::signature::{SignatureEncoding, Signer};
        let input = format!("{}.{}", b64(&json!({"alg": "RS256", "kid": TEST_KID})), b64(&json!([1])));
        let signature = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(test_key().clone()).sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_vec()))
    };
    for t in [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "!!!.!!!.!!!",
        "e30.e30.e30",
        huge.as_str(),
        bad_header.as_str(),
        "..",
        "ey.ey.ey",
    ] {
        assert!(matches!(verify(t), Err(TokenError::Malformed(_))), "{t:.40}");
    }
    assert!(matches!(verify(&array_payload), Err(TokenError::Malformed(_))), "{:?}", verify(&array_payload));
}

#[test]
fn jwks_parsing() {
    let mut c = JwksCache::default();
    for garbage in ["", "nope", "[]", "{}", r#"{"keys":{}}"#, r#"{"keys":[]}"#, r#"{"keys":[1,"x",null]}"#] {
        assert!(matches!(c.load(garbage, NOW), Err(TokenError::BadJwks(_))), "{garbage}");
    }
    assert!(c.is_stale(NOW), "failed loads leave the cache empty");
    let good = jwk(test_key(), TEST_KID);
    let with = |patch: Value| {
        let mut k = good.clone();
        k.as_object_mut().unwrap().extend(patch.as_object().unwrap().clone());
        json!({"keys":[k]}).to_string()
    };
    for skipped in [
        json!({"kty":"EC"}),
        json!({"use":"enc"}),
        json!({"alg":"RS512"}),
        json!({"n":"!!"}),
        json!({"n": URL_SAFE_NO_PAD.encode([0xffu8; 128])}),
        json!({"e":""}),
        json!({"n": null}),
        json!({"e": URL_SAFE_NO_PAD.encode([1u8])}),
        json!({"e": URL_SAFE_NO_PAD.encode([2u8])}),
        json!({"e": URL_SAFE_NO_PAD.encode([2u8, 0, 0, 0, 1])}),
        json!({"n": URL_SAFE_NO_PAD.encode([0xfeu8; 256])}),
    ] {
        assert!(matches!(c.load(&with(skipped.clone()), NOW), Err(TokenError::BadJwks(_))), "{skipped}");
    }
    // Unknown fields, x5c, padding and a missing `use`/`alg` are tolerated.
    let mut lenient = good.clone();
    let m = lenient.as_object_mut().unwrap();
    m.remove("use");
    m.remove("alg");
    m.insert("x5c".into(), json!(["MIIC"]));
    let n = m["n"].as_str().unwrap().to_string();
    m.insert("n".into(), json!(format!("{n}==")));
    c.load(&json!({"keys":[{"kty":"oct","k":"AAAA"}, lenient]}).to_string(), NOW).unwrap();
    assert!(block_on(c.verify(&mint(claims(json!({}))), &rules(), NOW)).is_ok());
    // A bad document keeps the keys that work.
    assert!(c.load("{}", NOW + 1).is_err());
    assert!(block_on(c.verify(&mint(claims(json!({}))), &rules(), NOW)).is_ok());
}

#[test]
fn staleness_and_refetch_limits() {
    let mut c = JwksCache::default();
    assert!(c.is_stale(NOW));
    c.load(&test_jwks(), NOW).unwrap();
    assert!(!c.is_stale(NOW));
    assert!(!c.is_stale(NOW + 599));
    assert!(c.is_stale(NOW + 600));
    // A known kid never triggers a refetch.
    assert!(!c.should_refetch_for(Some(TEST_KID), NOW + 120));
    assert!(!c.should_refetch_for(None, NOW + 120), "single key serves kid-less tokens");
    // Unknown kid: not within 60 s of the load, then once per 60 s.
    assert!(!c.should_refetch_for(Some("new"), NOW + 30));
    assert!(c.should_refetch_for(Some("new"), NOW + 60));
    assert!(!c.should_refetch_for(Some("new"), NOW + 61));
    assert!(!c.should_refetch_for(Some("other"), NOW + 119));
    assert!(c.should_refetch_for(Some("other"), NOW + 120));
    // Empty cache: the first unknown kid may refetch at once.
    let mut empty = JwksCache::default();
    assert!(empty.should_refetch_for(Some("x"), NOW));
    assert!(!empty.should_refetch_for(Some("x"), NOW + 59));
    assert!(empty.should_refetch_for(None, NOW + 60));
}

#[test]
fn peek_kid_reads_only_the_header() {
    assert_eq!(peek_kid(&mint(claims(json!({})))), Some(TEST_KID.into()));
    assert_eq!(peek_kid(&format!("{}.garbage.garbage", b64(&json!({"alg":"none","kid":"k9"})))), Some("k9".into()));
    assert_eq!(peek_kid(&b64(&json!({"kid":"solo"}))), Some("solo".into()));
    for t in ["", ".", "!!.a.b", "e30.a.b", &b64(&json!({"kid":5})), &format!("{}.a.b", "a".repeat(20_000))] {
        assert_eq!(peek_kid(t), None, "{t:.30}");
    }
}
