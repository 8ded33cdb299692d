//! The OAuth concepts that are strings on the wire, each a type: hashes of one-time secrets,
//! authorization codes and refresh tokens (which name their grant), grant types. Identifiers
//! are in [`crate::ids`]; redirect URIs in [`super::redirect_uri`].
use crate::ids::GrantId;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Lowercase hex SHA-256 of a secret (an authorization code, a refresh token, a client
/// secret): what KV keeps instead of the secret. Compared only in constant time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenHash(String);

impl TokenHash {
    pub fn of(secret: &str) -> TokenHash {
        TokenHash(Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Constant-time equality (a timing difference must not tell how much of a guess matched).
    pub fn matches(&self, other: &TokenHash) -> bool {
        bool::from(self.0.as_bytes().ct_eq(other.0.as_bytes()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const GRANT_ID_BYTES: usize = 16;
const SECRET_BYTES: usize = 32;

/// A fresh grant id (128 random bits).
pub fn new_grant_id() -> GrantId {
    GrantId::new(crate::random::token(GRANT_ID_BYTES))
}

/// `<prefix><grant id>.<secret>`: the grant id finds the record, the hash of the whole string
/// must match the one it keeps.
fn mint(prefix: &str, grant: &GrantId) -> Secret<String> {
    Secret::new(format!("{prefix}{grant}.{}", crate::random::token(SECRET_BYTES)))
}

/// The grant a well-formed token of this kind names (22-character id, 43-character secret).
fn grant_of(token: &str, prefix: &str) -> Option<GrantId> {
    let (id, secret) = token.strip_prefix(prefix)?.split_once('.')?;
    let ok = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (ok(id, 22) && ok(secret, 43)).then(|| GrantId::new(id))
}

macro_rules! grant_token {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(Secret<String>);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A new one for `grant`.
            pub fn new(grant: &GrantId) -> $name {
                $name(mint(Self::PREFIX, grant))
            }

            /// The grant a presented token names, if it is well-formed.
            pub fn parse(token: &str) -> Option<GrantId> {
                grant_of(token, Self::PREFIX)
            }

            pub fn hash(&self) -> TokenHash {
                TokenHash::of(self.0.as_str())
            }

            /// The token itself, for the one answer that hands it to the client.
            pub fn into_secret(self) -> Secret<String> {
                self.0
            }

            pub fn expose(&self) -> &str {
                self.0.as_str()
            }
        }
    };
}

grant_token!(
    /// A one-time authorization code (`mcp_code_…`, 10 minutes).
    AuthorizationCode,
    "mcp_code_"
);
grant_token!(
    /// A refresh token (`mcp_rt_…`), rotated at every use.
    RefreshToken,
    "mcp_rt_"
);

/// The `grant_type`s `/token` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
}

impl GrantType {
    /// `None` for any other (or no) grant type.
    pub fn parse(s: &str) -> Option<GrantType> {
        match s {
            "authorization_code" => Some(GrantType::AuthorizationCode),
            "refresh_token" => Some(GrantType::RefreshToken),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_their_grant_id_and_nothing_else_parses() {
        let id = new_grant_id();
        let t = RefreshToken::new(&id);
        let s = t.expose().to_string();
        assert_eq!(RefreshToken::parse(&s), Some(id.clone()));
        assert_eq!(AuthorizationCode::parse(&s), None, "a refresh token is not a code");
        assert_eq!(AuthorizationCode::parse(AuthorizationCode::new(&id).expose()), Some(id));
        for bad in ["", "mcp_rt_", "mcp_rt_abc.def", &s[..s.len() - 1], &format!("{s}x"), &s.replace('.', ":")] {
            assert_eq!(RefreshToken::parse(bad), None, "{bad}");
        }
        assert!(!format!("{t:?}").contains(&s), "Debug never shows the token");
    }

    #[test]
    fn hashes_are_hex_sha256_and_compare_exactly() {
        assert_eq!(TokenHash::of("abc").as_str(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(TokenHash::of("a").matches(&TokenHash::of("a")));
        assert!(!TokenHash::of("a").matches(&TokenHash::of("b")));
        let t = RefreshToken::new(&new_grant_id());
        assert!(t.hash().matches(&TokenHash::of(t.expose())));
    }

    #[test]
    fn grant_types() {
        assert_eq!(GrantType::parse("refresh_token"), Some(GrantType::RefreshToken));
        assert_eq!(GrantType::parse("authorization_code").map(GrantType::as_str), Some("authorization_code"));
        assert_eq!(GrantType::parse("password"), None);
    }
}
