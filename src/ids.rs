//! A type per identifier, so a client id is never passed where a grant id belongs. Each is
//! `#[serde(transparent)]`: stored and sent exactly as the string it wraps.

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> $name {
                $name(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> $name {
                $name(id.to_string())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> $name {
                $name(id)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

string_id!(
    /// A WorkOS user id (`user_…`).
    UserId
);
string_id!(
    /// An OAuth client id: a registered client's random id, or a Client ID Metadata Document's URL.
    ClientId
);
string_id!(
    /// A grant's id: names its KV record and its Durable Object, and is the first part of its
    /// codes and refresh tokens.
    GrantId
);

/// Grant ids as one text, each followed by a space (an id has none): what a grant object is sent
/// and answers (`platform::grant_changes`); [`ids_of`] reads it back.
pub fn ids_text(ids: &[GrantId]) -> String {
    ids.iter().fold(String::new(), |text, id| text + id.as_str() + " ")
}

/// The grant ids in a text [`ids_text`] wrote.
pub fn ids_of(text: &str) -> Vec<GrantId> {
    text.split_whitespace().map(GrantId::new).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialize_as_their_string_and_compare_with_str() {
        let id = GrantId::new("g_1");
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""g_1""#);
        assert_eq!(serde_json::from_str::<GrantId>(r#""g_1""#).unwrap(), id);
        assert_eq!(id, "g_1");
        assert_eq!(id.to_string(), "g_1");
        assert_eq!(UserId::from("user_a").as_str(), "user_a");
    }

    #[test]
    fn grant_ids_read_back_as_written() {
        let ids = [GrantId::new("AbCdEfGh0123456789abcdef"), GrantId::new("legacy-grant-id_012345")];
        assert_eq!(ids_of(&ids_text(&ids)), ids);
        assert_eq!(ids_of(&ids_text(&[])), Vec::<GrantId>::new());
    }
}
