//! [`Secret`]: a value that must never reach a log line. Its `Debug` prints a placeholder;
//! serialization is transparent (the stored bytes are the value's own), so wrapping a field
//! changes what `{:?}` shows and nothing else. Reading it takes an explicit [`Secret::expose`].
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Secret<T> {
        Secret(value)
    }

    /// The value itself, for the one place that sends or compares it.
    pub fn expose(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Secret<T> {
        Secret(value)
    }
}

impl From<&str> for Secret<String> {
    fn from(value: &str) -> Secret<String> {
        Secret(value.to_string())
    }
}

impl Secret<String> {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T: Serialize> Serialize for Secret<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Tokens {
        id: String,
        refresh_token: Secret<String>,
    }

    #[test]
    fn debug_never_shows_the_value_and_the_bytes_do_not_change() {
        let t = Tokens { id: "g1".into(), refresh_token: Secret::new("rt_very_secret".into()) };
        let shown = format!("{t:?} {t:#?}");
        assert!(!shown.contains("rt_very_secret") && shown.contains("[redacted]") && shown.contains("g1"), "{shown}");
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, r#"{"id":"g1","refresh_token":"rt_very_secret"}"#);
        assert_eq!(serde_json::from_str::<Tokens>(&json).unwrap(), t);
        assert_eq!(t.refresh_token.expose(), "rt_very_secret");
    }
}
