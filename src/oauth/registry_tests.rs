//! Client ID Metadata Documents: fetched once, cached; failures cached briefly and told
//! without echoing what the other server answered.
use super::*;
use crate::config::Config;
use crate::oauth::ErrorCode;
use crate::outbound::HttpResponse;
use crate::store::MemoryStore;
use crate::testing::{json_response, ScriptedHttp};
use futures_executor::block_on;
use serde_json::json;
use std::cell::Cell;
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

/// A request's context in an isolate of its own (nothing kept from the last).
fn in_isolate<'a, H: crate::outbound::HttpClient>(
    config: &'a Config,
    store: &'a MemoryStore,
    http: &'a H,
    now: u64,
) -> Ctx<'a, MemoryStore, H> {
    Ctx {
        config,
        store,
        http,
        jwks: Box::leak(Box::default()),
        org_names: Box::leak(Box::default()),
        copies: Box::leak(Box::default()),
        now,
        origin: "https://mcp.example.com",
    }
}

#[test]
fn a_failed_document_is_not_fetched_again_for_a_minute_and_its_status_is_not_echoed() {
    let (status, fetches) = (Rc::new(Cell::new(418)), Rc::new(Cell::new(0)));
    let (config, store, http) = (config(), MemoryStore::default(), remote(status.clone(), fetches.clone()));
    let ctx = in_isolate(&config, &store, &http, NOW);
    let first = block_on(find(&ctx, DOC)).unwrap_err();
    assert_eq!(first.code, ErrorCode::InvalidClient);
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
    let ctx = Ctx { now: NOW + CIMD_FAILURE_TTL, ..ctx };
    assert_eq!(block_on(find(&ctx, DOC)).unwrap().unwrap().client_name.as_deref(), Some("Example"));
    assert!(block_on(find(&ctx, DOC)).is_ok());
    assert_eq!(fetches.get(), 2, "then served from the cache");
}

#[test]
fn a_document_server_not_answering_now_is_unavailable_and_not_remembered() {
    let (status, fetches) = (Rc::new(Cell::new(503)), Rc::new(Cell::new(0)));
    let (config, store) = (config(), MemoryStore::default());
    let timeouts =
        ScriptedHttp::new(Box::new(|_: &crate::outbound::HttpRequest| Err(TransportError::Timeout)) as Handler);
    let failing = remote(status.clone(), fetches.clone());
    for (http, what) in [(&failing, "503"), (&timeouts, "no answer")] {
        for round in 0..2 {
            let e = block_on(find(&in_isolate(&config, &store, http, NOW), DOC)).unwrap_err();
            assert_eq!((e.code, e.status, e.retry_after), (ErrorCode::TemporarilyUnavailable, 503, Some(30)), "{what}");
            assert!(!e.description.contains("503"), "{}", e.description);
            assert!(store.keys_with_prefix("oauth:cimd-failed:").is_empty(), "{what}, round {round}: not remembered");
        }
    }
    assert_eq!(fetches.get(), 2, "each request asks again");
    for s in [429, 500, 502] {
        status.set(s);
        assert_eq!(
            block_on(find(&in_isolate(&config, &store, &failing, NOW), DOC)).unwrap_err().code,
            ErrorCode::TemporarilyUnavailable,
            "{s}"
        );
    }
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
    let (http, config) = (remote(Rc::new(Cell::new(200)), Rc::new(Cell::new(0))), config());
    // Each request in its own isolate: what is read comes from KV.
    let ctx = |now| in_isolate(&config, &store, &http, now);
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

/// Before a grant's object takes its turn: a document client's document is had (or refused
/// when it cannot be had now); the turn then reads it from the cache without a fetch.
#[test]
fn a_document_is_readied_before_the_grants_turn() {
    use crate::oauth::client_auth::{authenticate_client, document_ready};
    use crate::oauth::form::Form;
    let form = |body: &str| Form::parse(Some("application/x-www-form-urlencoded"), body.as_bytes()).unwrap();
    let document = form(&format!("grant_type=refresh_token&refresh_token=x&client_id={DOC}"));
    let (status, fetches) = (Rc::new(Cell::new(503)), Rc::new(Cell::new(0)));
    let (config, store, http) = (config(), MemoryStore::default(), remote(status.clone(), fetches.clone()));
    let ctx = in_isolate(&config, &store, &http, NOW);
    // Not to be had now: refused before the turn, each time (nothing remembered).
    for _ in 0..2 {
        let e = block_on(document_ready(&ctx, &document, None)).unwrap_err();
        assert_eq!((e.code, e.status), (ErrorCode::TemporarilyUnavailable, 503));
    }
    assert_eq!(fetches.get(), 2);
    // Had: cached, and the turn's authentication fetches nothing more.
    status.set(200);
    block_on(document_ready(&ctx, &document, None)).unwrap();
    assert_eq!(block_on(authenticate_client(&ctx, &document, None)).unwrap().client_id.as_str(), DOC);
    assert_eq!(fetches.get(), 3, "one fetch, before the turn");
    // Refused for good (a 404): remembered, so the turn answers it from the cache, in its order.
    let gone = format!("{DOC}?gone");
    let (status, fetches) = (Rc::new(Cell::new(404)), Rc::new(Cell::new(0)));
    let http = remote(status, fetches.clone());
    let ctx = in_isolate(&config, &store, &http, NOW);
    let refused = form(&format!("grant_type=refresh_token&refresh_token=x&client_id={gone}"));
    block_on(document_ready(&ctx, &refused, None)).unwrap();
    assert_eq!(block_on(authenticate_client(&ctx, &refused, None)).unwrap_err().code, ErrorCode::InvalidClient);
    assert_eq!(fetches.get(), 1, "the failure was remembered before the turn");
    // A registered client, or credentials the turn refuses, are left to the turn untouched.
    for body in ["grant_type=refresh_token&client_id=abc", "grant_type=refresh_token", "client_id=a&client_secret=b"] {
        block_on(document_ready(&ctx, &form(body), Some("Basic !!"))).unwrap();
        block_on(document_ready(&ctx, &form(body), None)).unwrap();
    }
    assert_eq!(fetches.get(), 1, "no document fetched for them");
}

/// One request's two looks at a document (before the grant's turn, then the turn's client
/// authentication) read KV once: the isolate keeps the record for the request's span only,
/// whether its first look fetched the document or read KV's entry.
#[test]
fn a_requests_second_look_at_a_document_reads_no_kv() {
    use crate::oauth::client_auth::{authenticate_client, document_ready};
    use crate::oauth::form::Form;
    let body = format!("grant_type=refresh_token&refresh_token=x&client_id={DOC}");
    let document = Form::parse(Some("application/x-www-form-urlencoded"), body.as_bytes()).unwrap();
    let fetches = Rc::new(Cell::new(0));
    let (config, store, http) = (config(), MemoryStore::default(), remote(Rc::new(Cell::new(200)), fetches.clone()));
    for (now, first_look) in [(NOW, "fetched"), (NOW + 5, "read")] {
        let ctx = in_isolate(&config, &store, &http, now);
        *store.fail.borrow_mut() = false;
        block_on(document_ready(&ctx, &document, None)).unwrap();
        *store.fail.borrow_mut() = true;
        let turn = Ctx { copies: ctx.copies, ..in_isolate(&config, &store, &http, now + 1) };
        assert!(block_on(authenticate_client(&turn, &document, None)).is_ok(), "the {first_look} record, without KV");
        let past = Ctx { copies: ctx.copies, ..in_isolate(&config, &store, &http, now + 2) };
        let e = block_on(authenticate_client(&past, &document, None)).unwrap_err();
        assert_eq!(e.code, ErrorCode::TemporarilyUnavailable, "a request's span on: KV again (down: 503)");
    }
    assert_eq!(fetches.get(), 1, "the second isolate read KV's entry");
}

/// A refused document is kept in the isolate for the request's span, like a fetched one: when
/// KV loses the failure's write, the turn's look answers from the copy, without a second fetch
/// of the client's server; past the span, KV's answer (here: nothing) rules again.
#[test]
fn a_refused_documents_failure_is_kept_for_the_turn_when_kv_lost_it() {
    use crate::oauth::client_auth::{authenticate_client, document_ready};
    use crate::oauth::form::Form;
    let body = format!("grant_type=refresh_token&refresh_token=x&client_id={DOC}");
    let refused = Form::parse(Some("application/x-www-form-urlencoded"), body.as_bytes()).unwrap();
    let fetches = Rc::new(Cell::new(0));
    let (config, store, http) = (config(), MemoryStore::default(), remote(Rc::new(Cell::new(404)), fetches.clone()));
    store.refuse_puts("oauth:cimd-failed:", "KV is down");
    let ctx = in_isolate(&config, &store, &http, NOW);
    block_on(document_ready(&ctx, &refused, None)).unwrap();
    let turn = Ctx { copies: ctx.copies, ..in_isolate(&config, &store, &http, NOW + 1) };
    let e = block_on(authenticate_client(&turn, &refused, None)).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidClient);
    assert_eq!(fetches.get(), 1, "the turn answered from the isolate's copy");
    assert!(store.keys_with_prefix("oauth:cimd-failed:").is_empty(), "KV lost the write");
    let later = Ctx { copies: ctx.copies, ..in_isolate(&config, &store, &http, NOW + 2) };
    assert!(block_on(authenticate_client(&later, &refused, None)).is_err());
    assert_eq!(fetches.get(), 2, "past the request's span the document is fetched again");
}
