//! Typed WorkOS failures: the four error-body families of the reference (§0.1) plus transport.

#[derive(Debug, Clone, PartialEq)]
pub enum WorkosError {
    /// Not reachable within 5 s, or the connection failed.
    Unreachable { timeout: bool, detail: String },
    /// 429; `retry_after` in seconds when WorkOS sent `Retry-After` (seconds or HTTP-date).
    RateLimited { retry_after: Option<u64>, code: Option<String> },
    /// 5xx (any body).
    Server { status: u16, retry_after: Option<u64>, request_id: Option<String> },
    /// Plain family `{"message","code"[,"errors"]}` (4xx other than the ones below).
    Api { status: u16, code: Option<String>, message: String, request_id: Option<String> },
    /// OAuth family `{"error","error_description"}`.
    OAuth { status: u16, error: String, description: Option<String>, request_id: Option<String> },
    /// 403 step-up `{"code","message","pending_authentication_token",…}`, incl. `sso_required`.
    StepUp { code: String, message: String },
    /// 2xx (or error) body that is not the JSON we expect (truncated, HTML…).
    Malformed { status: u16, detail: String },
}

impl WorkosError {
    /// Parse a non-2xx response into the right family. `retry_after_header` is the raw
    /// `Retry-After` value; `now` (unix s) resolves HTTP-dates.
    pub fn from_response(status: u16, body: &[u8], retry_after_header: Option<&str>, request_id: Option<&str>, now: u64) -> WorkosError { todo!() }
    /// True for failures worth retrying later (unreachable, 429, 5xx).
    pub fn is_transient(&self) -> bool { todo!() }
    /// Seconds the caller should wait, when known.
    pub fn retry_after(&self) -> Option<u64> { todo!() }
}

impl std::fmt::Display for WorkosError {
    /// One line, safe for logs and pages: never contains the API key or tokens.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { todo!() }
}

/// `Retry-After` as seconds: delta-seconds or an IMF-fixdate relative to `now`; capped at 3600.
pub fn parse_retry_after(value: &str, now: u64) -> Option<u64> { todo!() }
