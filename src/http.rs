//! The outbound-HTTP boundary. Protocol cores build `HttpRequest`s and read `HttpResponse`s;
//! the Worker implements [`HttpClient`] with the Fetch API (`platform::fetch`), tests with doubles.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method { Get, Post }

#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Refuse responses whose body is longer (a `Content-Length` above it fails before reading).
    pub max_response_bytes: Option<usize>,
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

/// One request, one response. Implementations apply their own timeout.
#[allow(async_fn_in_trait)]
pub trait HttpClient {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}
