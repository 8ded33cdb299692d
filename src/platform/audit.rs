//! Sending WorkOS audit-log events after the response: they never delay or fail what they
//! record (a sign-in, a tool call); a failure is logged, naming the dashboard step when WorkOS
//! refuses an action it has no schema for.
use crate::config::Config;
use crate::platform::fetch::FetchClient;
use crate::workos::{AuditEvent, WorkosClient};
use std::future::Future;

/// What keeps a request's background work alive once it has answered.
#[derive(Clone, Copy)]
pub enum Background<'a> {
    /// A Worker request.
    Request(&'a worker::Context),
    /// A Durable Object's request.
    Object(&'a worker::State),
}

impl Background<'_> {
    pub fn wait_until(&self, work: impl Future<Output = ()> + 'static) {
        // Boxed: the runtime's glue for background work is then compiled once, not once for
        // each kind of work (about 1 KB of the gzipped Wasm each).
        let work: std::pin::Pin<Box<dyn Future<Output = ()>>> = Box::pin(work);
        match self {
            Background::Request(ctx) => ctx.wait_until(work),
            Background::Object(state) => state.wait_until(work),
        }
    }
}

/// Send `event` after the response, with one idempotency key that the client's retry reuses.
pub fn send_later(background: Background<'_>, config: &Config, event: AuditEvent, now: u64) {
    let (base, client_id, api_key) = (config.api_base_url.clone(), config.client_id.clone(), config.api_key.clone());
    background.wait_until(async move { send(&base, &client_id, &api_key, &event, now).await });
}

/// Send `event` now (from work that already runs after the response); a failure is logged.
pub async fn send(base_url: &str, client_id: &str, api_key: &str, event: &AuditEvent, now: u64) {
    let http = FetchClient::workos();
    let client = WorkosClient { http: &http, base_url, client_id, api_key, now };
    let key = crate::random::token(16);
    if let Err(e) = client.create_audit_event(event, &key).await {
        worker::console_warn!("{}", event.failure_log_line(&e));
    }
}
