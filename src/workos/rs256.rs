//! The RS256 step shared by both token verifiers (WorkOS User-Management tokens in
//! [`super::jwt`], AuthKit tokens in `crate::authkit::tokens`): a JWKS document's signing keys,
//! the header and `alg` check, and the signature. The compact token and its header are read here
//! ([`parse_rs256`]); the RSA signature is checked by [`signature_ok`] — in the Worker by
//! WebCrypto (`crypto.subtle.verify`, native code, in `crate::webcrypto`), so no big-integer RSA
//! is compiled into the Wasm; natively (tests, fuzzing) by `jwt-compact`'s `rsa` backend.
//!
//! Verification is split so a per-isolate key cache in a `RefCell` is never borrowed across the
//! `.await`: [`RsaKeys::prepare`] (parse, `alg`, key by `kid`) under the borrow, then
//! [`Prepared::check_signature`]. Claims are the callers'.
use crate::b64::URL_SAFE_NO_PAD;
use serde_json::Value;

/// More keys than any real rotation needs; bounds the work a hostile JWKS can cause.
const MAX_KEYS: usize = 32;
/// A JWKS of `MAX_KEYS` 4096-bit keys with certificates stays well below this.
pub const MAX_JWKS_BYTES: usize = 64 * 1024;
/// RSA modulus size accepted, in bytes (2048–4096 bits).
const MIN_MODULUS: usize = 256;
const MAX_MODULUS: usize = 512;

/// The RS256 signing keys of a JWKS document, by `kid`.
#[derive(Default)]
pub struct RsaKeys(Vec<RsaKey>);

/// An RSA public key for RS256, as its JWK fields decoded (big-endian, modulus without leading
/// zeros), checked when the JWKS is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaKey {
    pub kid: Option<String>,
    pub modulus: Vec<u8>,
    pub exponent: Vec<u8>,
}

/// A token whose header says RS256 and names a key we hold: what the signature step needs.
#[derive(Debug)]
pub struct Prepared<'t> {
    pub token: &'t str,
    pub key: RsaKey,
}

impl Prepared<'_> {
    /// Checks the signature; returns the payload (a JSON object), whose claims are the caller's
    /// to check.
    pub async fn check_signature(&self) -> Result<Value, Rs256Error> {
        let signed = self.token.rsplit_once('.').and_then(|(message, signature)| {
            URL_SAFE_NO_PAD.decode(signature).ok().map(|signature| (message, signature))
        });
        match signed {
            Some((message, signature)) if signature_ok(&self.key, message.as_bytes(), &signature).await => {}
            _ => return Err(Rs256Error::Signature),
        }
        payload_json(self.token).ok_or_else(|| Rs256Error::Malformed("payload is not a JSON object".into()))
    }
}

/// Why a JWKS document yielded no keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwksProblem {
    TooLarge,
    NotJson,
    NoKeysArray,
    NoUsableKey,
}

impl JwksProblem {
    pub fn describe(self) -> &'static str {
        match self {
            JwksProblem::TooLarge => "JWKS too large",
            JwksProblem::NotJson => "not JSON",
            JwksProblem::NoKeysArray => "no \"keys\" array",
            JwksProblem::NoUsableKey => "no usable RS256 signing key",
        }
    }
}

impl RsaKeys {
    /// The usable keys of a JWKS (at most `MAX_KEYS` entries looked at; the first key per `kid` wins).
    pub fn parse(jwks_json: &str) -> Result<Self, JwksProblem> {
        if jwks_json.len() > MAX_JWKS_BYTES {
            return Err(JwksProblem::TooLarge);
        }
        let doc: Value = serde_json::from_str(jwks_json).map_err(|_| JwksProblem::NotJson)?;
        let list = doc.get("keys").and_then(Value::as_array).ok_or(JwksProblem::NoKeysArray)?;
        let mut keys: Vec<RsaKey> = Vec::new();
        for jwk in list.iter().take(MAX_KEYS) {
            let Some(key) = rsa_signing_key(jwk) else { continue };
            if !keys.iter().any(|k| k.kid == key.kid) {
                keys.push(key);
            }
        }
        if keys.is_empty() {
            return Err(JwksProblem::NoUsableKey);
        }
        Ok(RsaKeys(keys))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The key for `kid`; a token without `kid` may use the only key of a one-key JWKS.
    pub fn get(&self, kid: Option<&str>) -> Option<&RsaKey> {
        match kid {
            Some(kid) => self.0.iter().find(|k| k.kid.as_deref() == Some(kid)),
            None if self.0.len() == 1 => self.0.first(),
            None => None,
        }
    }

    /// [`parse_rs256`], then the key by `kid`: everything but the signature, synchronously.
    pub fn prepare<'t>(&self, token: &'t str, max_len: usize) -> Result<Prepared<'t>, Rs256Error> {
        let header = parse_rs256(token, max_len)?;
        let kid = header.kid.as_deref();
        let key = self.get(kid).ok_or_else(|| Rs256Error::UnknownKey(kid.map(str::to_string)))?;
        Ok(Prepared { token, key: key.clone() })
    }
}

/// Why a token failed the RS256 signature step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rs256Error {
    Malformed(String),
    /// `alg` other than RS256 (incl. `none`, HS256); at most 20 characters of it.
    Algorithm(String),
    UnknownKey(Option<String>),
    Signature,
}

/// What a token's header says that verification needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub kid: Option<String>,
}

/// Parse a compact JWT and check the header, then `alg` (RS256 only, decided on the header alone,
/// before any key is touched: no algorithm confusion is possible). Three base64url parts; the
/// header a JSON object with a string `alg`, and `kid`, `typ`, `cty` strings when present (`cty`
/// only "JSON"); the payload is read after the signature ([`Prepared::check_signature`]).
pub fn parse_rs256(token: &str, max_len: usize) -> Result<Header, Rs256Error> {
    let malformed = |why: &str| Rs256Error::Malformed(why.to_string());
    if token.len() > max_len {
        return Err(malformed("token too long"));
    }
    let [header, payload, signature] = token.split('.').collect::<Vec<_>>()[..] else {
        return Err(malformed("not three dot-separated parts"));
    };
    let decoded = [header, payload, signature].map(|part| URL_SAFE_NO_PAD.decode(part));
    let [Ok(header), Ok(_), Ok(_)] = decoded else {
        return Err(malformed("not base64url"));
    };
    let Some(Value::Object(header)) = crate::json::from_bytes::<Value>(&header) else {
        return Err(malformed("header is not valid JSON"));
    };
    let text = |name: &str| match header.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(malformed("header is not valid JSON")),
    };
    let (alg, kid, _typ, cty) = (text("alg")?, text("kid")?, text("typ")?, text("cty")?);
    if cty.is_some_and(|c| !c.eq_ignore_ascii_case("json")) {
        return Err(malformed("unsupported cty"));
    }
    match alg {
        Some("RS256") => Ok(Header { kid: kid.map(str::to_string) }),
        Some(alg) => Err(Rs256Error::Algorithm(alg.chars().take(20).collect())),
        None => Err(malformed("header is not valid JSON")),
    }
}

/// [`RsaKeys::prepare`] and [`Prepared::check_signature`] in one (no `RefCell` in between).
pub async fn verify_rs256(keys: &RsaKeys, token: &str, max_len: usize) -> Result<Value, Rs256Error> {
    keys.prepare(token, max_len)?.check_signature().await
}

/// Whether `signature` is `key`'s RS256 signature (PKCS#1 v1.5, SHA-256) of `message` (the
/// token's `header.payload`): natively with `jwt-compact`'s `rsa` backend.
#[cfg(not(target_arch = "wasm32"))]
async fn signature_ok(key: &RsaKey, message: &[u8], signature: &[u8]) -> bool {
    use jwt_compact::alg::{Rsa, RsaPublicKey, RsaSignature};
    use jwt_compact::jwk::JsonWebKey;
    use jwt_compact::{Algorithm, AlgorithmSignature};
    use std::borrow::Cow;
    let jwk = JsonWebKey::Rsa {
        modulus: Cow::Borrowed(&key.modulus),
        public_exponent: Cow::Borrowed(&key.exponent),
        private_parts: None,
    };
    let (Ok(public), Ok(signature)) = (RsaPublicKey::try_from(&jwk), RsaSignature::try_from_slice(signature)) else {
        return false;
    };
    Rsa::rs256().verify_signature(&signature, &public, message)
}

/// In the Worker: WebCrypto (`crate::webcrypto`).
#[cfg(target_arch = "wasm32")]
async fn signature_ok(key: &RsaKey, message: &[u8], signature: &[u8]) -> bool {
    crate::webcrypto::rs256_signature_ok(&key.modulus, &key.exponent, message, signature).await
}

/// The (already verified) payload segment, when it is a JSON object.
fn payload_json(token: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(token.split('.').nth(1)?).ok()?;
    match crate::json::from_bytes(&bytes) {
        Some(v @ Value::Object(_)) => Some(v),
        _ => None,
    }
}

/// An RSA key meant for RS256 signatures, or `None` for anything else (skipped, not fatal:
/// JWKS documents may legitimately carry encryption or other-algorithm keys). The modulus is
/// 2048–4096 bits; the exponent an odd number from 3 to 2³³ − 1 (what RSA libraries accept).
fn rsa_signing_key(jwk: &Value) -> Option<RsaKey> {
    let field = |name: &str| jwk.get(name).and_then(Value::as_str);
    if field("kty") != Some("RSA")
        || field("use").is_some_and(|u| u != "sig")
        || field("alg").is_some_and(|a| a != "RS256")
    {
        return None;
    }
    let mut modulus = b64url(field("n")?)?;
    let exponent = b64url(field("e")?)?;
    let leading = modulus.iter().take_while(|b| **b == 0).count();
    modulus.drain(..leading);
    if !(MIN_MODULUS..=MAX_MODULUS).contains(&modulus.len()) || modulus.last().is_some_and(|b| b % 2 == 0) {
        return None;
    }
    let significant: Vec<u8> = exponent.iter().copied().skip_while(|b| *b == 0).collect();
    let e = (significant.len() <= 8).then(|| significant.iter().fold(0u64, |e, b| (e << 8) | u64::from(*b)))?;
    if e < 3 || e % 2 == 0 || e >= 1 << 33 {
        return None;
    }
    Some(RsaKey { kid: field("kid").map(str::to_string), modulus, exponent: significant })
}

/// base64url, tolerating `=` padding some JWKS publishers add.
fn b64url(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{mint, TEST_KID};

    fn with_header(header: &str) -> String {
        format!("{}.e30.AAAA", URL_SAFE_NO_PAD.encode(header))
    }

    fn parse(token: &str) -> Result<Header, Rs256Error> {
        parse_rs256(token, 1024)
    }

    fn malformed(why: &str) -> Result<Header, Rs256Error> {
        Err(Rs256Error::Malformed(why.into()))
    }

    #[test]
    fn a_signed_token_names_its_key() {
        let token = mint(serde_json::json!({"sub": "u"}));
        assert_eq!(parse_rs256(&token, 8192), Ok(Header { kid: Some(TEST_KID.into()) }));
        assert_eq!(
            parse(&with_header(r#"{"alg":"RS256","typ":"JWT","cty":"json","x5t":1}"#)),
            Ok(Header { kid: None })
        );
        assert_eq!(parse(&with_header(r#"{"alg":"RS256","kid":null,"cty":"JSON"}"#)), Ok(Header { kid: None }));
    }

    #[test]
    fn only_rs256_is_accepted_and_decided_on_the_header_alone() {
        for alg in ["none", "HS256", "RS512", "rs256"] {
            let token = with_header(&format!(r#"{{"alg":"{alg}","kid":"{TEST_KID}"}}"#));
            assert_eq!(parse(&token), Err(Rs256Error::Algorithm(alg.into())), "{alg}");
        }
        let long = with_header(&format!(r#"{{"alg":"{}"}}"#, "A".repeat(100)));
        assert_eq!(parse(&long), Err(Rs256Error::Algorithm("A".repeat(20))), "named, cut to 20 characters");
    }

    #[test]
    fn malformed_tokens_are_named_by_what_is_wrong() {
        let json = "header is not valid JSON";
        for (token, expected) in [
            ("a.b".to_string(), malformed("not three dot-separated parts")),
            ("e30.e30.e30.e30".to_string(), malformed("not three dot-separated parts")),
            ("e30.e30.!!!".to_string(), malformed("not base64url")),
            ("e30.e=.e30".to_string(), malformed("not base64url")),
            (with_header("not json"), malformed(json)),
            (with_header(r#"["RS256"]"#), malformed(json)),
            (with_header(r#"{"kid":"k"}"#), malformed(json)),
            (with_header(r#"{"alg":256}"#), malformed(json)),
            (with_header(r#"{"alg":"RS256","kid":7}"#), malformed(json)),
            (with_header(r#"{"alg":"RS256","typ":["JWT"]}"#), malformed(json)),
            (with_header(r#"{"alg":"RS256","cty":"cbor"}"#), malformed("unsupported cty")),
            (with_header(&format!(r#"{{"alg":"RS256","kid":"{}"}}"#, "k".repeat(1024))), malformed("token too long")),
        ] {
            assert_eq!(parse(&token), expected, "{token:.60}");
        }
    }
}
