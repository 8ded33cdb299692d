//! Client ID Metadata Documents: fetched once, cached; failures cached briefly and told
//! without echoing what the other server answered.
use super::*;
use crate::config::Config;
use crate::outbound::HttpResponse;
use crate::store::MemoryStore;
use crate::testing::{json_response, ScriptedHttp};
use crate::workos::JwksCache;
use futures_executor::block_on;
use serde_json::json;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

const NOW: u64 = 1_800_000_000;
const DOC: &str = "https://client.example.com/oauth/metadata.json";

fn config() -> Config {
    Config::from_lookup(|n| match n {
        "WORKOS_CLIENT_ID" => Some("client_test".into()),
        "WORKOS_API_KEY" => Some("sk_test_secret".into()),
        "COOKIE_ENCRYPTION_KEY" => Some("k".repeat(40)),
        _ => None,
    })
    .unwrap()
}

type Handler = Box<dyn Fn(&crate::outbound::HttpRequest) -> Result<HttpResponse, TransportError>>;

/// A remote server answering `status` (with the document when 200); counts fetches.
fn remote(status: Rc<Cell<u16>>, fetches: Rc<Cell<u32>>) -> ScriptedHttp<Handler> {
    ScriptedHttp::new(Box::new(move |_| {
        fetches.set(fetches.get() + 1);
        Ok(match status.get() {
            200 => json_response(
                200,
                json!({"client_id": DOC, "client_name": "Example", "redirect_uris": ["https://client.example.com/cb"]}),
            ),
            s => json_response(s, json!({"message": "teapot internals"})),
        })
    }))
}

#[test]
fn a_failed_document_is_not_fetched_again_for_a_minute_and_its_status_is_not_echoed() {
    let (status, fetches) = (Rc::new(Cell::new(418)), Rc::new(Cell::new(0)));
    let (config, store, http, jwks) =
        (config(), MemoryStore::default(), remote(status.clone(), fetches.clone()), RefCell::new(JwksCache::default()));
    let ctx = Ctx {
        config: &config,
        store: &store,
        http: &http,
        jwks: &jwks,
        org_names: &Default::default(),
        copies: &Default::default(),
        now: NOW,
        origin: "https://mcp.example.com",
    };
    let first = block_on(find(&ctx, DOC)).unwrap_err();
    assert_eq!(first.code, super::super::ErrorCode::InvalidClient);
    assert!(!first.description.contains("418") && !first.description.contains("teapot"), "{}", first.description);
    status.set(200);
    let again = block_on(find(&ctx, DOC)).unwrap_err();
    assert_eq!(again.description, first.description, "the cached failure answers");
    assert_eq!(fetches.get(), 1, "no second fetch");
    let failures = store.keys_with_prefix("oauth:cimd-failed:");
    assert_eq!(failures.len(), 1);
    assert_eq!(store.map.borrow()[&failures[0]].1, CIMD_FAILURE_TTL);
    // Once the failure has expired (KV drops it), the document is fetched and cached.
    store.map.borrow_mut().remove(&failures[0]);
    assert_eq!(block_on(find(&ctx, DOC)).unwrap().unwrap().client_name.as_deref(), Some("Example"));
    assert!(block_on(find(&ctx, DOC)).is_ok());
    assert_eq!(fetches.get(), 2, "then served from the cache");
}

/// A registration's `renewed_at` and KV lifetime, as stored.
fn stored(store: &MemoryStore, client_id: &str) -> (u64, u64) {
    let (json, ttl) = store.map.borrow()[&keys::oauth_client(client_id)].clone();
    (serde_json::from_str::<serde_json::Value>(&json).unwrap()["renewed_at"].as_u64().unwrap(), ttl)
}

#[test]
fn a_registration_in_use_is_renewed_at_most_once_a_day_from_what_was_read_with_it() {
    let store = MemoryStore::default();
    let body = json!({"redirect_uris": ["https://app.example.com/cb"], "token_endpoint_auth_method": "none"});
    let (http, jwks) = (remote(Rc::new(Cell::new(200)), Rc::new(Cell::new(0))), RefCell::new(JwksCache::default()));
    let (config, org_names) = (config(), RefCell::default());
    // Each request in its own isolate: what is read comes from KV.
    let ctx = |now| Ctx {
        config: &config,
        store: &store,
        http: &http,
        jwks: &jwks,
        org_names: &org_names,
        copies: Box::leak(Box::default()),
        now,
        origin: "https://mcp.example.com",
    };
    let record = block_on(register(&ctx(NOW), body.to_string().as_bytes())).unwrap().record;
    let id = record.client_id.to_string();
    // An hour later: read with its renewal, and not written again.
    let (found, renewal) = block_on(find_with_renewal(&ctx(NOW + 3600), &id)).unwrap().unwrap();
    assert_eq!((found.client_id.as_str(), renewal), (id.as_str(), Renewal(Some(NOW))));
    store.map.borrow_mut().get_mut(&keys::oauth_client(&id)).unwrap().1 = 1;
    block_on(renew(&ctx(NOW + 3600), &found, renewal)).unwrap();
    assert_eq!(stored(&store, &id), (NOW, 1), "renewed less than a day ago: untouched");
    // A day after its last renewal: written again with a full lifetime.
    let later = NOW + 24 * 3600;
    let (found, renewal) = block_on(find_with_renewal(&ctx(later), &id)).unwrap().unwrap();
    block_on(renew(&ctx(later), &found, renewal)).unwrap();
    assert_eq!(stored(&store, &id), (later, CLIENT_TTL));
    // Without what was read, the entry is read again (and is fresh now).
    block_on(renew(&ctx(later + 60), &found, Renewal(None))).unwrap();
    assert_eq!(stored(&store, &id), (later, CLIENT_TTL));
}
