//! Where clients come from: registered through `/register` (stored in KV, secret hashed) or
//! named by a Client ID Metadata Document URL (fetched, validated, cached in KV).
use super::client::{self, ClientRecord, Registration};
use super::client_document;
use super::OAuthError;
use crate::context::Ctx;
use crate::outbound::{HttpClient, HttpRequest, TransportError};
use crate::store::{keys, Store};

/// A registration nobody uses for this long disappears (each authorization and refresh renews it).
pub const CLIENT_TTL: u64 = 90 * 24 * 3600;
/// Renew at most once a day: a KV write per authorization would be wasteful.
const RENEW_AFTER: u64 = 24 * 3600;

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredClient {
    record: ClientRecord,
    /// When the KV TTL was last renewed.
    renewed_at: u64,
}

/// `POST /register`: validate, store, and return the one-time response.
pub async fn register<S: Store, H: HttpClient>(ctx: &Ctx<'_, S, H>, body: &[u8]) -> Result<Registration, OAuthError> {
    let id = crate::random::token(16);
    let secret = crate::random::token(32);
    let registration = client::register(body, ctx.now, &id, &secret)?;
    put(ctx, &registration.record).await?;
    Ok(registration)
}

/// Store `record` as renewed now (and keep this isolate's copy).
async fn put<S: Store, H: HttpClient>(ctx: &Ctx<'_, S, H>, record: &ClientRecord) -> Result<(), OAuthError> {
    let json = serde_json::to_string(&StoredClient { record: record.clone(), renewed_at: ctx.now })
        .map_err(|e| OAuthError::server_error(e.to_string()))?;
    let key = keys::oauth_client(record.client_id.as_str());
    ctx.store.put(&key, &json, CLIENT_TTL).await?;
    ctx.copies.borrow_mut().remember(&key, &json, ctx.now + CLIENT_TTL, ctx.now);
    Ok(())
}

/// The client named by `client_id`, or `None` when there is no such client.
pub async fn find<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    client_id: &str,
) -> Result<Option<ClientRecord>, OAuthError> {
    Ok(find_with_renewal(ctx, client_id).await?.map(|(record, _)| record))
}

/// When a registration's KV entry was last renewed, as read with it (`None`: not a registered
/// client, or not known); [`renew`] needs no second read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Renewal(Option<u64>);

/// [`find`], with what [`renew`] needs. Clients live in the store's shared part: the lookup is
/// built once, for it, whichever store the caller has.
pub async fn find_with_renewal<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    client_id: &str,
) -> Result<Option<(ClientRecord, Renewal)>, OAuthError> {
    lookup(&ctx.shared(), client_id).await
}

async fn lookup<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    client_id: &str,
) -> Result<Option<(ClientRecord, Renewal)>, OAuthError> {
    match client_document::metadata_document_url(client_id, ctx.config.allow_loopback_client_metadata) {
        Some(Ok(url)) => Ok(Some((metadata_document(ctx, client_id, &url).await?, Renewal(None)))),
        Some(Err(e)) => Err(e),
        None => {
            if client_id.is_empty() || client_id.len() > 64 {
                return Ok(None);
            }
            // A registration does not change once made (its `renewed_at` moves at most daily):
            // this isolate's copy, if it has one, saves the read.
            let key = keys::oauth_client(client_id);
            let copy = ctx.copies.borrow().get(&key, ctx.now).map(str::to_string);
            let (raw, read) = match copy {
                Some(raw) => (raw, false),
                None => match ctx.store.get(&key).await? {
                    Some(raw) => (raw, true),
                    None => return Ok(None),
                },
            };
            let found = crate::json::from_str::<StoredClient>(&raw).ok().filter(|s| s.record.client_id == client_id);
            if let Some(s) = found.as_ref().filter(|_| read) {
                ctx.copies.borrow_mut().remember(&key, &raw, s.renewed_at + CLIENT_TTL, ctx.now);
            }
            Ok(found.map(|s| (s.record, Renewal(Some(s.renewed_at)))))
        }
    }
}

/// Keep an in-use registration alive (at most one KV write a day per client). `renewal` is
/// what was read with the record; without it, the entry is read again.
pub async fn renew<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    record: &ClientRecord,
    renewal: Renewal,
) -> Result<(), OAuthError> {
    renew_shared(&ctx.shared(), record, renewal).await
}

async fn renew_shared<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    record: &ClientRecord,
    renewal: Renewal,
) -> Result<(), OAuthError> {
    if record.source != client::ClientSource::Registered {
        return Ok(());
    }
    let renewed_at = match renewal.0 {
        Some(at) => at,
        None => {
            let key = keys::oauth_client(record.client_id.as_str());
            let Some(raw) = ctx.store.get(&key).await? else { return Ok(()) };
            crate::json::from_str::<StoredClient>(&raw).map(|s| s.renewed_at).unwrap_or(0)
        }
    };
    if ctx.now.saturating_sub(renewed_at) >= RENEW_AFTER {
        put(ctx, record).await?;
    }
    Ok(())
}

/// How long a metadata document that could not be used is not fetched again (KV's minimum TTL).
pub const CIMD_FAILURE_TTL: u64 = 60;
/// How long the isolate keeps a metadata document's record it read or fetched: the span of one
/// request, not a cache (KV's entry is, for the document's own `Cache-Control` lifetime).
const ONE_REQUEST_SECS: u64 = 2;

async fn metadata_document<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    client_id: &str,
    url: &url::Url,
) -> Result<ClientRecord, OAuthError> {
    let url_hash = super::types::TokenHash::of(client_id);
    let cache_key = keys::oauth_client_metadata(url_hash.as_str());
    // A request looks twice (`/token` and `/revoke`: before the grant object's turn, then in it):
    // the isolate keeps what it read or fetched for [`ONE_REQUEST_SECS`], so KV is read once.
    let copy = ctx.copies.borrow().get(&cache_key, ctx.now).map(str::to_string);
    let (raw, read) = match copy {
        Some(raw) => (Some(raw), false),
        None => (ctx.store.get(&cache_key).await?, true),
    };
    if let Some(raw) = raw {
        if let Ok(record) = crate::json::from_str::<ClientRecord>(&raw) {
            if record.client_id == client_id {
                if read {
                    ctx.copies.borrow_mut().remember(&cache_key, &raw, ctx.now + ONE_REQUEST_SECS, ctx.now);
                }
                return Ok(record);
            }
        }
    }
    // A recent failure answers for itself: a link repeated by many browsers fetches once a minute.
    // The isolate keeps it for the request's span too: the turn's look must not fetch again
    // when KV lost the write (or does not show it yet).
    let failure_key = keys::oauth_client_metadata_failure(url_hash.as_str());
    let failure = ctx.copies.borrow().get(&failure_key, ctx.now).map(str::to_string);
    let failure = match failure {
        Some(why) => Some(why),
        None => ctx.store.get(&failure_key).await?,
    };
    if let Some(why) = failure {
        return Err(OAuthError::invalid_client(why));
    }
    match fetch_metadata_document(ctx, client_id, url, &cache_key).await {
        Ok(record) => Ok(record),
        Err(e) if e.code == super::ErrorCode::InvalidClient => {
            ctx.copies.borrow_mut().remember(&failure_key, &e.description, ctx.now + ONE_REQUEST_SECS, ctx.now);
            let _ = ctx.store.put(&failure_key, &e.description, CIMD_FAILURE_TTL).await;
            Err(e)
        }
        Err(e) => Err(e),
    }
}

async fn fetch_metadata_document<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    client_id: &str,
    url: &url::Url,
    cache_key: &str,
) -> Result<ClientRecord, OAuthError> {
    let request = HttpRequest::get_json(url.to_string(), Some(client_document::MAX_METADATA_DOCUMENT_BYTES));
    let refuse = |why: &str| {
        OAuthError::invalid_client(format!("the client metadata document at {client_id} could not be used: {why}"))
    };
    // The client's server not answering now (no answer, a network error, 5xx or 429) is not
    // the client failing to identify itself: 503, not remembered as a failure, so a refresh
    // meeting it is retried rather than taken for a client that is gone.
    let unreachable = || {
        OAuthError::unavailable(
            format!("the client metadata document at {client_id} could not be fetched now"),
            Some(30),
        )
    };
    let response = ctx.http.send(request).await.map_err(|e| match e {
        TransportError::Timeout | TransportError::Network(_) => unreachable(),
        TransportError::TooLarge => refuse("larger than 5 KiB"),
    })?;
    match response.status {
        200 => {}
        // The remote status is not echoed: the error must not turn us into a probe of other servers.
        429 | 500..=599 => return Err(unreachable()),
        _ => return Err(refuse("it could not be fetched")),
    }
    let record = client_document::validate_metadata_document(client_id, &response.body, ctx.now)?;
    let ttl = client_document::metadata_cache_ttl(response.header("cache-control"));
    if let Ok(json) = serde_json::to_string(&record) {
        // A cache write failing only costs a refetch next time.
        ctx.copies.borrow_mut().remember(cache_key, &json, ctx.now + ONE_REQUEST_SECS, ctx.now);
        let _ = ctx.store.put(cache_key, &json, ttl).await;
    }
    Ok(record)
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
