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

const SECRET_BYTES: usize = 32;

/// A grant id is its **partition** (8 characters), which names the Durable Object that keeps
/// it and is the same for every grant of one person, then 16 characters of its own (96 bits).
/// Grants from before partitions have 22 random characters and an object each.
pub const PARTITION_CHARS: usize = 8;
const GRANT_ID_CHARS: usize = PARTITION_CHARS + 16;
const UNPARTITIONED_ID_CHARS: usize = 22;

/// Whether `id` has a grant id's shape: 24 (or, from before partitions, 22) URL-safe characters.
pub fn is_grant_id(id: &str) -> bool {
    crate::b64::is_url_safe(id, GRANT_ID_CHARS) || crate::b64::is_url_safe(id, UNPARTITIONED_ID_CHARS)
}

/// The partition of `user`'s grants: 48 bits of a keyed digest of the user id, so a grant id
/// tells nobody without the key whose it is.
pub fn grant_partition(keys: &crate::seal::SealKeys, user: &crate::ids::UserId) -> String {
    crate::b64::URL_SAFE_NO_PAD.encode(&keys.tag("grant-partition", user.as_str().as_bytes())[..6])
}

/// A grant id in `partition` with 16 characters of `own` (at least 12 bytes; the rest unused).
pub fn grant_id_in(partition: &str, own: &[u8]) -> GrantId {
    GrantId::new(format!("{partition}{}", crate::b64::URL_SAFE_NO_PAD.encode(&own[..12])))
}

/// A fresh grant id in `partition` (96 random bits of its own).
pub fn new_grant_id(partition: &str) -> GrantId {
    grant_id_in(partition, &crate::random::bytes::<12>())
}

/// The name of the Durable Object that keeps the grant `id`: its partition (one object keeps a
/// person's grants); a grant from before partitions is kept by an object named by its whole id.
pub fn grant_object_name(id: &str) -> &str {
    match id.len() {
        GRANT_ID_CHARS => id.get(..PARTITION_CHARS).unwrap_or(id),
        _ => id,
    }
}

/// `<prefix><grant id>.<secret>`: the grant id finds the record, the hash of the whole string
/// must match the one it keeps.
fn mint(prefix: &str, grant: &GrantId) -> Secret<String> {
    Secret::new(format!("{prefix}{grant}.{}", crate::random::token(SECRET_BYTES)))
}

/// The grant a well-formed token of this kind names (a grant id, a 43-character secret).
fn grant_of(token: &str, prefix: &str) -> Option<GrantId> {
    let (id, secret) = token.strip_prefix(prefix)?.split_once('.')?;
    (is_grant_id(id) && crate::b64::is_url_safe(secret, 43)).then(|| GrantId::new(id))
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
        let id = new_grant_id("p_artit1");
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
        let t = RefreshToken::new(&new_grant_id("p_artit1"));
        assert!(t.hash().matches(&TokenHash::of(t.expose())));
    }

    #[test]
    fn a_persons_grants_share_a_partition_that_names_their_object() {
        let keys = crate::seal::SealKeys::parse(&"k".repeat(32)).unwrap();
        let (alice, bob) = (crate::ids::UserId::new("user_alice"), crate::ids::UserId::new("user_bob"));
        let p = grant_partition(&keys, &alice);
        assert_eq!(p.len(), PARTITION_CHARS);
        assert_eq!(p, grant_partition(&keys, &alice), "the same person, the same partition");
        assert_ne!(p, grant_partition(&keys, &bob));
        let other_key = crate::seal::SealKeys::parse(&"o".repeat(32)).unwrap();
        assert_ne!(p, grant_partition(&other_key, &alice), "keyed: the id alone does not give it");
        let (one, two) = (new_grant_id(&p), new_grant_id(&p));
        assert_ne!(one, two);
        for id in [&one, &two] {
            assert!(is_grant_id(id.as_str()) && id.as_str().len() == 24, "{id}");
            assert_eq!(grant_object_name(id.as_str()), p);
        }
        assert_eq!(grant_id_in(&p, &[7; 16]), grant_id_in(&p, &[7; 12]), "16 characters of its own");
        // A grant from before partitions: 22 characters, its own object; its tokens still parse.
        let old = GrantId::new("A".repeat(22));
        assert_eq!(grant_object_name(old.as_str()), old.as_str());
        assert_eq!(RefreshToken::parse(RefreshToken::new(&old).expose()), Some(old));
        for bad in ["A".repeat(23), "A".repeat(21), format!("{}é", "A".repeat(22)), format!("{p}{}", "/".repeat(16))] {
            assert!(!is_grant_id(&bad), "{bad}");
        }
    }

    #[test]
    fn grant_types() {
        assert_eq!(GrantType::parse("refresh_token"), Some(GrantType::RefreshToken));
        assert_eq!(GrantType::parse("authorization_code").map(GrantType::as_str), Some("authorization_code"));
        assert_eq!(GrantType::parse("password"), None);
    }
}
