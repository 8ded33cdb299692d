//! [`HttpClient`] over the Fetch API, with a hard timeout (AbortController + timer race).
use crate::outbound::{HttpClient, HttpRequest, HttpResponse, Method, TransportError};
use crate::timing::Timings;
use futures_util::future::{select, Either};
use std::rc::Rc;
use std::time::Duration;
use worker::{AbortController, Delay, Fetch, Headers};

pub struct FetchClient {
    pub timeout: Duration,
    /// Each call's duration, for `Server-Timing` (see [`crate::timing`]).
    pub timings: Rc<Timings>,
}

impl FetchClient {
    /// WorkOS calls give up after 5 s (the Ruby app's setting; a sign-in should not hang).
    pub fn workos() -> FetchClient {
        FetchClient::workos_timed(Rc::default())
    }

    /// The same, recording each call's duration in `timings`.
    pub fn workos_timed(timings: Rc<Timings>) -> FetchClient {
        FetchClient { timeout: Duration::from_secs(5), timings }
    }
}

fn network(e: impl std::fmt::Display) -> TransportError {
    TransportError::Network(e.to_string())
}

impl HttpClient for FetchClient {
    fn now_ms(&self) -> u64 {
        js_sys::Date::now() as u64
    }

    async fn sleep(&self, ms: u64) {
        Delay::from(Duration::from_millis(ms)).await;
    }

    fn timeout_ms(&self) -> u64 {
        u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX)
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let started = js_sys::Date::now();
        let method = match request.method {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
        };
        let url = request.url.clone();
        let outcome = self.send_now(request).await;
        self.timings.call(method, &url, js_sys::Date::now() - started);
        outcome
    }
}

impl FetchClient {
    async fn send_now(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let headers = Headers::new();
        for (k, v) in &request.headers {
            headers.append(k, v).map_err(network)?;
        }
        let method = match request.method {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
        };
        let body = request.body.as_ref().map(|b| js_sys::Uint8Array::from(b.as_slice()).into());
        let req = super::outgoing(&request.url, method, &headers, body.as_ref(), true).map_err(network)?;

        let max = request.max_response_bytes;
        let controller = AbortController::default();
        let signal = controller.signal();
        // One deadline covers both the response head and the body.
        let work = async move {
            let mut resp = Fetch::Request(req).send_with_signal(&signal).await.map_err(network)?;
            let status = resp.status_code();
            let headers: Vec<(String, String)> = resp.headers().entries().collect();
            let declared = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.parse::<usize>().ok());
            if let (Some(max), Some(len)) = (max, declared) {
                if len > max {
                    return Err(TransportError::TooLarge);
                }
            }
            let body = match max {
                // Bounded: read as a stream, stop at max + 1 whatever the framing.
                Some(max) => match resp.stream() {
                    Ok(stream) => crate::outbound::read_capped(stream, max, crate::outbound::Overflow::Stop)
                        .await
                        .map_err(|e| match e {
                            crate::outbound::ReadError::TooLarge => TransportError::TooLarge,
                            crate::outbound::ReadError::Broken => {
                                TransportError::Network("the response body was cut off".into())
                            }
                        })?,
                    Err(_) => Vec::new(), // no body
                },
                None => resp.bytes().await.map_err(network)?,
            };
            Ok(HttpResponse { status, headers, body })
        };
        let timeout = request.timeout_ms.map_or(self.timeout, |ms| self.timeout.min(Duration::from_millis(ms)));
        let timer = Delay::from(timeout);
        match select(Box::pin(work), timer).await {
            // A response refused (too large by its Content-Length, cut off) is not left to run
            // on: its connection is closed now, not when the runtime collects the response.
            Either::Left((result, _)) => {
                if result.is_err() {
                    controller.abort();
                }
                result
            }
            Either::Right(((), _)) => {
                controller.abort();
                Err(TransportError::Timeout)
            }
        }
    }
}
