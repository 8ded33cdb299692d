//! OAuth errors (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 8707, RFC 7009) and the one place they
//! become a status and a JSON body. Pure data: the route layer turns it into a `Response`.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    AccessDenied,
    UnsupportedResponseType,
    InvalidTarget,
    InvalidRedirectUri,
    InvalidClientMetadata,
    ServerError,
    TemporarilyUnavailable,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidRequest => "invalid_request",
            InvalidClient => "invalid_client",
            InvalidGrant => "invalid_grant",
            UnauthorizedClient => "unauthorized_client",
            UnsupportedGrantType => "unsupported_grant_type",
            InvalidScope => "invalid_scope",
            AccessDenied => "access_denied",
            UnsupportedResponseType => "unsupported_response_type",
            InvalidTarget => "invalid_target",
            InvalidRedirectUri => "invalid_redirect_uri",
            InvalidClientMetadata => "invalid_client_metadata",
            ServerError => "server_error",
            TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

/// An OAuth error with a human-readable description (never containing secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: String,
    /// HTTP status; defaults per code (see [`OAuthError::new`]), overridable (413, 415, 429…).
    pub status: u16,
    /// Seconds, for 429/503 answers.
    pub retry_after: Option<u64>,
    /// The client tried HTTP Basic authentication: a 401 must carry `WWW-Authenticate: Basic`.
    pub basic_challenge: bool,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> OAuthError {
        let status = match code {
            ErrorCode::InvalidClient => 401,
            ErrorCode::ServerError => 500,
            ErrorCode::TemporarilyUnavailable => 503,
            _ => 400,
        };
        OAuthError { code, description: description.into(), status, retry_after: None, basic_challenge: false }
    }

    pub fn with_status(mut self, status: u16) -> OAuthError {
        self.status = status;
        self
    }

    pub fn invalid_request(d: impl Into<String>) -> OAuthError {
        OAuthError::new(ErrorCode::InvalidRequest, d)
    }
    pub fn invalid_client(d: impl Into<String>) -> OAuthError {
        OAuthError::new(ErrorCode::InvalidClient, d)
    }
    pub fn invalid_grant(d: impl Into<String>) -> OAuthError {
        OAuthError::new(ErrorCode::InvalidGrant, d)
    }
    pub fn invalid_client_metadata(d: impl Into<String>) -> OAuthError {
        OAuthError::new(ErrorCode::InvalidClientMetadata, d)
    }
    pub fn invalid_redirect_uri(d: impl Into<String>) -> OAuthError {
        OAuthError::new(ErrorCode::InvalidRedirectUri, d)
    }
    pub fn server_error(d: impl Into<String>) -> OAuthError {
        OAuthError::new(ErrorCode::ServerError, d)
    }
    pub fn unavailable(d: impl Into<String>, retry_after: Option<u64>) -> OAuthError {
        OAuthError { retry_after, ..OAuthError::new(ErrorCode::TemporarilyUnavailable, d) }
    }

    /// `{"error": "...", "error_description": "..."}`.
    pub fn body(&self) -> ErrorBody<'_> {
        ErrorBody { error: self.code.as_str(), error_description: &self.description }
    }
}

/// An error answer's JSON body (RFC 6749 §5.2, RFC 6750 §3.1): a code and what went wrong.
#[derive(serde::Serialize)]
pub struct ErrorBody<'a> {
    pub error: &'a str,
    pub error_description: &'a str,
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

/// The storage's own words stay in the log (written where the failure arises: `platform::kv`,
/// `platform::grants`): a client or a page is told only that storage is unavailable.
impl From<crate::store::StoreError> for OAuthError {
    fn from(_: crate::store::StoreError) -> OAuthError {
        OAuthError::unavailable(STORAGE_UNAVAILABLE, Some(30))
    }
}

/// What a client or a person is told when storage fails.
pub const STORAGE_UNAVAILABLE: &str = "storage is unavailable; try again shortly";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statuses_follow_the_rfcs() {
        assert_eq!(OAuthError::invalid_client("x").status, 401);
        assert_eq!(OAuthError::invalid_grant("x").status, 400);
        assert_eq!(OAuthError::unavailable("x", Some(3)).status, 503);
        assert_eq!(OAuthError::invalid_request("x").with_status(413).status, 413);
    }

    #[test]
    fn body_is_the_rfc_6749_shape() {
        let e = OAuthError::new(ErrorCode::InvalidTarget, "not this server");
        assert_eq!(
            serde_json::to_value(e.body()).unwrap(),
            json!({"error":"invalid_target","error_description":"not this server"})
        );
    }
}
