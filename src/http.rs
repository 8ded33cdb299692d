//! The outbound-HTTP boundary. Protocol cores build `HttpRequest`s and read `HttpResponse`s;
//! the Worker implements [`HttpClient`] with the Fetch API (`platform::fetch`), tests with doubles.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
}

#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Refuse responses whose body is longer (a `Content-Length` above it fails before reading).
    pub max_response_bytes: Option<usize>,
    /// A deadline shorter than the client's own (a retry gets what is left of the budget).
    pub timeout_ms: Option<u64>,
}

impl HttpRequest {
    /// `GET url` with `Accept: application/json`.
    pub fn get_json(url: impl Into<String>, max_response_bytes: Option<usize>) -> HttpRequest {
        HttpRequest {
            method: Method::Get,
            url: url.into(),
            headers: vec![("Accept".into(), "application/json".into())],
            body: None,
            max_response_bytes,
            timeout_ms: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// Case-insensitive header lookup.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// No answer within the client's timeout.
    Timeout,
    /// Connection refused, DNS failure, TLS failure…
    Network(String),
    /// The body exceeded `max_response_bytes`.
    TooLarge,
}

/// One request, one response. Implementations apply their own timeout (or the request's,
/// when shorter). The clock and the pause let callers retry within a time budget.
#[allow(async_fn_in_trait)]
pub trait HttpClient {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
    /// Milliseconds on a monotonic-enough clock (only differences are used).
    fn now_ms(&self) -> u64;
    /// Wait `ms` milliseconds (before a retry).
    async fn sleep(&self, ms: u64);
    /// The client's own per-request timeout in milliseconds.
    fn timeout_ms(&self) -> u64;
}
