//! PKCE (RFC 7636), S256 only: `plain` and a missing method are refused at `/authorize`.
use crate::b64::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A validated S256 code challenge (43 base64url characters = a SHA-256 digest).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// `method` must be `S256` (exactly; RFC 7636 names are case-sensitive). A missing method
    /// means `plain` per RFC 7636 §4.3, so it is refused as well.
    pub fn parse(challenge: Option<&str>, method: Option<&str>) -> Result<CodeChallenge, &'static str> {
        let challenge = challenge.filter(|c| !c.is_empty()).ok_or("code_challenge is required (PKCE with S256)")?;
        match method {
            Some("S256") => {}
            Some("plain") | None => return Err("code_challenge_method must be S256; plain is not supported"),
            Some(_) => return Err("unsupported code_challenge_method; use S256"),
        }
        let decoded = URL_SAFE_NO_PAD.decode(challenge).map_err(|_| "code_challenge is not base64url")?;
        if challenge.len() != 43 || decoded.len() != 32 {
            return Err("code_challenge must be the 43-character base64url SHA-256 of the verifier");
        }
        Ok(CodeChallenge(challenge.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// RFC 7636 §4.1 verifier syntax, then `BASE64URL(SHA256(verifier)) == challenge` in constant time.
    pub fn verify(&self, verifier: &str) -> bool {
        let well_formed = (43..=128).contains(&verifier.len())
            && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if !well_formed {
            return false;
        }
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        bool::from(computed.as_bytes().ct_eq(self.0.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"; // RFC 7636 appendix B

    #[test]
    fn rfc_7636_example_verifies() {
        let c = CodeChallenge::parse(Some(CHALLENGE), Some("S256")).unwrap();
        assert!(c.verify(VERIFIER));
        assert!(!c.verify("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK"));
        assert!(!c.verify(""));
        assert!(!c.verify(CHALLENGE));
    }

    #[test]
    fn plain_missing_and_unknown_methods_are_refused() {
        assert!(CodeChallenge::parse(Some(CHALLENGE), Some("plain")).is_err());
        assert!(CodeChallenge::parse(Some(CHALLENGE), None).is_err());
        assert!(CodeChallenge::parse(Some(CHALLENGE), Some("s256")).is_err());
        assert!(CodeChallenge::parse(None, Some("S256")).is_err());
        assert!(CodeChallenge::parse(Some(""), Some("S256")).is_err());
    }

    #[test]
    fn malformed_challenges_are_refused() {
        assert!(CodeChallenge::parse(Some("short"), Some("S256")).is_err());
        assert!(CodeChallenge::parse(Some(&"a".repeat(44)), Some("S256")).is_err());
        assert!(CodeChallenge::parse(Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"), Some("S256")).is_err());
    }

    #[test]
    fn verifiers_outside_the_rfc_syntax_never_match() {
        let v = "a".repeat(129);
        let c =
            CodeChallenge::parse(Some(&URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes()))), Some("S256")).unwrap();
        assert!(!c.verify(&v), "over 128 characters");
        let v = "a b".repeat(20);
        let c =
            CodeChallenge::parse(Some(&URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes()))), Some("S256")).unwrap();
        assert!(!c.verify(&v), "space is not in the verifier alphabet");
    }
}
