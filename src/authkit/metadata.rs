//! AuthKit's RFC 8414 document, which the Worker serves at its own
//! `/.well-known/oauth-authorization-server` in AuthKit mode (the OpenID one lacks the
//! registration and CIMD fields clients look for). Fetched from `<issuer>/.well-known/…`,
//! accepted only when its `issuer` is the configured one, kept per isolate for
//! [`AuthkitMetadata::TTL_SECS`]; when a refetch fails, the copy already held keeps serving, and
//! AuthKit is not asked again by that isolate for [`AuthkitMetadata::RETRY_SECS`] (the route is
//! public and not rate-limited: a failing AuthKit is not asked once per request).
use crate::oauth::metadata::AS_METADATA_PATH;
use crate::outbound::{HttpClient, HttpRequest};
use serde_json::Value;
use std::cell::RefCell;
/// Larger than any real metadata document.
const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// The document as this isolate holds it.
#[derive(Default)]
pub struct AuthkitMetadata {
    held: Option<(u64, Value)>,
    /// When a fetch last failed.
    failed_at: Option<u64>,
}

impl AuthkitMetadata {
    pub const TTL_SECS: u64 = 600;
    pub const RETRY_SECS: u64 = 10;

    fn fresh(&self, now: u64) -> Option<&Value> {
        self.held.as_ref().filter(|(at, _)| now < at + Self::TTL_SECS).map(|(_, doc)| doc)
    }

    /// The copy held, however old (what answers while AuthKit cannot be asked).
    fn held_copy(&self) -> Option<Value> {
        self.held.as_ref().map(|(_, doc)| doc.clone())
    }
}

/// AuthKit's document: the isolate's copy while fresh, else a fetch (the held copy when the
/// fetch fails or answers a document for another issuer); `None` when there is neither. The
/// RefCell is never borrowed across the fetch.
pub async fn authkit_metadata<H: HttpClient>(
    http: &H,
    cache: &RefCell<AuthkitMetadata>,
    issuer: &str,
    now: u64,
) -> Option<Value> {
    if let Some(doc) = cache.borrow().fresh(now) {
        return Some(doc.clone());
    }
    if cache.borrow().failed_at.is_some_and(|at| now < at + AuthkitMetadata::RETRY_SECS) {
        return cache.borrow().held_copy();
    }
    let request = HttpRequest::get_json(format!("{issuer}{AS_METADATA_PATH}"), Some(MAX_DOCUMENT_BYTES));
    let fetched = match http.send(request).await {
        Ok(r) if r.status == 200 => crate::json::from_bytes::<Value>(&r.body).filter(|d| d["issuer"] == issuer),
        _ => None,
    };
    let mut cache = cache.borrow_mut();
    match fetched {
        Some(doc) => {
            cache.held = Some((now, doc.clone()));
            Some(doc)
        }
        None => {
            cache.failed_at = Some(now);
            cache.held_copy()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::{HttpResponse, TransportError};
    use crate::testing::{json_response, ScriptedHttp};
    use futures_executor::block_on;
    use serde_json::json;
    use std::cell::Cell;
    use std::rc::Rc;

    const ISSUER: &str = "https://acme.authkit.app";
    const NOW: u64 = 1_800_000_000;

    type Handler = Box<dyn Fn(&HttpRequest) -> Result<HttpResponse, TransportError>>;

    /// AuthKit answering `answer` (a status and the document's issuer), counting fetches.
    fn authkit(answer: Rc<Cell<(u16, &'static str)>>, fetches: Rc<Cell<u32>>) -> ScriptedHttp<Handler> {
        ScriptedHttp::new(Box::new(move |req| {
            assert_eq!(req.url, format!("{ISSUER}{AS_METADATA_PATH}"));
            fetches.set(fetches.get() + 1);
            let (status, issuer) = answer.get();
            Ok(json_response(
                status,
                json!({"issuer": issuer, "registration_endpoint": format!("{issuer}/oauth2/register")}),
            ))
        }))
    }

    #[test]
    fn cached_for_ten_minutes_then_refetched() {
        let (answer, fetches) = (Rc::new(Cell::new((200, ISSUER))), Rc::new(Cell::new(0)));
        let (http, cache) = (authkit(answer, fetches.clone()), RefCell::new(AuthkitMetadata::default()));
        let doc = block_on(authkit_metadata(&http, &cache, ISSUER, NOW)).unwrap();
        assert_eq!(doc["issuer"], ISSUER);
        assert!(block_on(authkit_metadata(&http, &cache, ISSUER, NOW + AuthkitMetadata::TTL_SECS - 1)).is_some());
        assert_eq!(fetches.get(), 1, "served from the isolate's copy");
        assert!(block_on(authkit_metadata(&http, &cache, ISSUER, NOW + AuthkitMetadata::TTL_SECS)).is_some());
        assert_eq!(fetches.get(), 2, "stale: fetched again");
    }

    #[test]
    fn a_document_for_another_issuer_is_never_served() {
        let (answer, fetches) = (Rc::new(Cell::new((200, "https://evil.example"))), Rc::new(Cell::new(0)));
        let (http, cache) = (authkit(answer, fetches), RefCell::new(AuthkitMetadata::default()));
        assert_eq!(block_on(authkit_metadata(&http, &cache, ISSUER, NOW)), None);
    }

    #[test]
    fn a_failed_refetch_keeps_the_held_copy_and_without_one_there_is_none() {
        let (answer, fetches) = (Rc::new(Cell::new((200, ISSUER))), Rc::new(Cell::new(0)));
        let (http, cache) = (authkit(answer.clone(), fetches.clone()), RefCell::new(AuthkitMetadata::default()));
        block_on(authkit_metadata(&http, &cache, ISSUER, NOW)).unwrap();
        answer.set((503, ISSUER));
        let later = NOW + 2 * AuthkitMetadata::TTL_SECS;
        assert_eq!(
            block_on(authkit_metadata(&http, &cache, ISSUER, later)).unwrap()["issuer"],
            ISSUER,
            "the held copy serves"
        );
        assert_eq!(fetches.get(), 2, "after trying AuthKit");
        let empty = RefCell::new(AuthkitMetadata::default());
        assert_eq!(block_on(authkit_metadata(&http, &empty, ISSUER, later)), None);
        // AuthKit failing is not asked again for a few seconds, whatever comes meanwhile.
        let asked = fetches.get();
        for secs in [0, AuthkitMetadata::RETRY_SECS - 1] {
            assert_eq!(block_on(authkit_metadata(&http, &empty, ISSUER, later + secs)), None);
            assert!(block_on(authkit_metadata(&http, &cache, ISSUER, later + secs)).is_some(), "the held copy");
        }
        assert_eq!(fetches.get(), asked);
        answer.set((200, ISSUER));
        let again = later + AuthkitMetadata::RETRY_SECS;
        assert!(block_on(authkit_metadata(&http, &empty, ISSUER, again)).is_some(), "asked again, answered");
        assert_eq!(fetches.get(), asked + 1);
    }
}
