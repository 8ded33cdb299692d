//! Outbound HTTP: the boundary every call the Worker makes goes through (WorkOS, AuthKit, client
//! metadata documents). Protocol cores build `HttpRequest`s and read `HttpResponse`s; the Worker
//! implements [`HttpClient`] with the Fetch API (`platform::fetch`), tests with doubles.

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
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
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

/// Why a body was not read to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadError {
    /// More than the limit: reading stopped at the first chunk beyond it.
    TooLarge,
    /// The stream failed (e.g. the sender went away before its `Content-Length` was reached).
    Broken,
}

/// What happens to the rest of a body once it is known to be too large.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// Stop reading at once (a response we fetched: the connection is aborted).
    Stop,
    /// Read on, discarding each chunk, up to this many more bytes: a request's sender gets the
    /// 413 only once it is done sending (some proxies reset the connection otherwise), and
    /// nothing is kept. Past the bound, reading stops anyway.
    Discard(usize),
}

/// A body read as a stream with a running count: whatever the framing (`Content-Length`,
/// chunked, none), nothing beyond `max` bytes is ever kept; see [`Overflow`] for the rest.
pub async fn read_capped<S, E>(mut stream: S, max: usize, overflow: Overflow) -> Result<Vec<u8>, ReadError>
where
    S: futures_util::Stream<Item = Result<Vec<u8>, E>> + Unpin,
{
    use futures_util::StreamExt;
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ReadError::Broken)?;
        if body.len() + chunk.len() > max {
            if let Overflow::Discard(bound) = overflow {
                let mut discarded = chunk.len();
                while discarded <= bound {
                    match stream.next().await {
                        Some(Ok(more)) => discarded += more.len(),
                        _ => break,
                    }
                }
            }
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_executor::block_on;
    use futures_util::stream;

    #[test]
    fn a_body_is_read_up_to_its_limit_and_no_further() {
        let chunks = |n: usize| stream::iter((0..n).map(|_| Ok::<_, ()>(vec![b'a'; 1024])));
        assert_eq!(
            block_on(read_capped(chunks(4), 4096, Overflow::Stop)).map(|b| b.len()),
            Ok(4096),
            "exactly the limit"
        );
        assert_eq!(block_on(read_capped(chunks(5), 4096, Overflow::Stop)), Err(ReadError::TooLarge));
        // An endless body is refused after the first chunk past the limit: it is never read to its end.
        let mut pulled = 0;
        let endless = stream::repeat_with(|| {
            pulled += 1;
            Ok::<_, ()>(vec![b'a'; 1024])
        });
        assert_eq!(block_on(read_capped(endless, 4096, Overflow::Stop)), Err(ReadError::TooLarge));
        assert_eq!(pulled, 5);
        // Discarding: the rest is read (and dropped) up to the bound, then reading stops anyway.
        let mut pulled = 0;
        let endless = stream::repeat_with(|| {
            pulled += 1;
            Ok::<_, ()>(vec![b'a'; 1024])
        });
        assert_eq!(block_on(read_capped(endless, 4096, Overflow::Discard(10 * 1024))), Err(ReadError::TooLarge));
        assert_eq!(pulled, 5 + 10, "ten more chunks discarded, no more");
        assert_eq!(
            block_on(read_capped(chunks(8), 4096, Overflow::Discard(1 << 20))),
            Err(ReadError::TooLarge),
            "a finite rest is read to its end"
        );
        // A sender that went away mid-body (fewer bytes than it announced).
        let cut = stream::iter(vec![Ok(vec![b'a'; 10]), Err("connection lost")]);
        assert_eq!(block_on(read_capped(cut, 4096, Overflow::Stop)), Err(ReadError::Broken));
        assert_eq!(block_on(read_capped(stream::empty::<Result<Vec<u8>, ()>>(), 10, Overflow::Stop)), Ok(vec![]));
    }
}
