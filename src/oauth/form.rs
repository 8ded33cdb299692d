//! The body of a `/token` or `/revoke` request: `application/x-www-form-urlencoded`, bounded,
//! every parameter at most once (RFC 6749 §3.2).
use super::OAuthError;
use std::collections::HashMap;

/// Bodies above this are refused before parsing.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// An `application/x-www-form-urlencoded` body with every parameter at most once.
#[derive(Debug, Default)]
pub struct Form(HashMap<String, String>);

impl Form {
    pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Form, OAuthError> {
        let media = content_type.and_then(|c| c.split(';').next()).map(|m| m.trim().to_ascii_lowercase());
        if media.as_deref() != Some("application/x-www-form-urlencoded") {
            return Err(OAuthError::invalid_request("the body must be application/x-www-form-urlencoded"));
        }
        if body.len() > MAX_FORM_BYTES {
            return Err(OAuthError::invalid_request("the body is too large").with_status(413));
        }
        let mut map = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(body) {
            if map.insert(k.to_string(), v.to_string()).is_some() {
                return Err(OAuthError::invalid_request(format!("parameter {k} appears more than once")));
            }
        }
        Ok(Form(map))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    pub(super) fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name).ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
    }
}
