//! Batches (2025-03-26): parsed element by element, answered in order as one array, refused
//! as a whole only when the body is not a usable array.
use super::batch::batch_allowed;
use super::jsonrpc::{is_batch, parse_batch};
use super::*;
use crate::tools::testing::{alice, bob, ScriptedEnv};
use futures_executor::block_on;
use serde_json::{json, Value};

const INVALID_REQUEST: i64 = ErrorCode::INVALID_REQUEST.0;

fn answer(p: &Principal, body: &Value) -> Option<(Vec<Value>, Value)> {
    let items = parse_batch(body.to_string().as_bytes()).expect("a batch");
    let reply = block_on(handle_batch(p, &ScriptedEnv::local(), items, &Options::for_server(false)))?;
    let response: Value = serde_json::from_str(&reply.array()).expect("the answer is JSON");
    let each: Vec<Value> = reply.responses.iter().map(|r| serde_json::from_str(r).expect("JSON")).collect();
    assert_eq!(response, Value::Array(each), "the array holds the responses as they are");
    Some((reply.notifications, response))
}

fn code(r: &Value) -> i64 {
    r["error"]["code"].as_i64().unwrap_or_default()
}

#[test]
fn a_batch_is_answered_in_order_with_one_response_per_request() {
    let body = json!([
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": "a", "method": "tools/call", "params": {"name": "add", "arguments": {"a": 2, "b": 3}}},
        {"jsonrpc": "2.0", "id": 2, "method": "ping"},
        {"jsonrpc": "2.0", "id": 3, "result": {}},
        {"jsonrpc": "2.0", "id": 4, "method": "tools/frobnicate"},
    ]);
    let (notifications, response) = answer(&alice(), &body).expect("requests are answered");
    assert!(notifications.is_empty());
    let ids: Vec<&Value> = response.as_array().unwrap().iter().map(|r| &r["id"]).collect();
    assert_eq!(ids, [&json!("a"), &json!(2), &json!(4)], "{response}");
    assert_eq!(response[0]["result"]["structuredContent"], json!({"sum": 5}), "{response}");
    assert_eq!(response[1]["result"], json!({}));
    assert_eq!(code(&response[2]), ErrorCode::METHOD_NOT_FOUND.0);
}

#[test]
fn each_request_is_gated_on_its_own() {
    let call = |id: i64, tool: &str, arguments: Value| json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": arguments}});
    let body = json!([call(1, "generateImage", json!({"prompt": "a fox"})), call(2, "whoami", json!({}))]);
    let (_, response) = answer(&bob(), &body).unwrap();
    assert_eq!(response[0]["result"]["isError"], true, "bob may not generate images: {response}");
    assert_eq!(response[1]["result"]["structuredContent"]["email"], "bob@example.com", "{response}");
    let (_, response) = answer(&alice(), &body).unwrap();
    assert!(response[0].get("error").is_none(), "{response}");
    assert_eq!(response[0]["result"]["isError"], Value::Null, "{response}");
    assert_eq!(response[0]["result"]["content"][0]["type"], "image", "alice's image: {response}");
}

#[test]
fn notifications_of_every_request_come_before_the_array() {
    let image = |token: &str| {
        json!({"jsonrpc": "2.0", "id": token, "method": "tools/call",
        "params": {"name": "generateImage", "arguments": {"prompt": "x"}, "_meta": {"progressToken": token}}})
    };
    let (notifications, response) = answer(&alice(), &json!([image("p1"), image("p2")])).unwrap();
    let tokens: Vec<&Value> = notifications.iter().map(|n| &n["params"]["progressToken"]).collect();
    assert_eq!(tokens, [&json!("p1"), &json!("p1"), &json!("p2"), &json!("p2")]);
    assert_eq!(response.as_array().unwrap().len(), 2);
}

#[test]
fn only_notifications_and_responses_get_no_answer() {
    let body = json!([
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 9, "error": {"code": -1, "message": "no"}},
    ]);
    assert_eq!(answer(&alice(), &body), None);
}

#[test]
fn malformed_elements_get_their_own_errors_and_the_rest_is_answered() {
    let body = json!([1, {"jsonrpc": "1.0", "id": 5, "method": "ping"}, {"jsonrpc": "2.0", "id": 6, "method": "ping"}]);
    let (_, response) = answer(&alice(), &body).unwrap();
    assert_eq!((code(&response[0]), &response[0]["id"]), (INVALID_REQUEST, &Value::Null));
    assert_eq!((code(&response[1]), &response[1]["id"]), (INVALID_REQUEST, &json!(5)));
    assert_eq!(response[2]["result"], json!({}));
}

#[test]
fn a_malformed_response_never_takes_a_requests_id() {
    // Its id numbers the server's requests: echoed, it would read as a second answer to 1.
    let body = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "ping"},
        {"jsonrpc": "2.0", "id": 1, "result": {}, "error": {"code": 1, "message": "m"}},
    ]);
    let (_, response) = answer(&alice(), &body).unwrap();
    assert_eq!(response[0], json!({"jsonrpc": "2.0", "id": 1, "result": {}}));
    assert_eq!((code(&response[1]), &response[1]["id"]), (INVALID_REQUEST, &Value::Null), "{response}");
}

#[test]
fn a_batch_without_a_request_says_so() {
    let reply = |body: Value| {
        let items = parse_batch(body.to_string().as_bytes()).expect("a batch");
        block_on(handle_batch(&alice(), &ScriptedEnv::local(), items, &Options::for_server(false)))
    };
    // Only refusals to answer: nothing was accepted (the route answers HTTP 400).
    let refused =
        reply(json!([{"jsonrpc": "2.0", "method": "notifications/initialized"}, {"jsonrpc": "2.0", "result": {}}]))
            .expect("the malformed response is answered");
    assert!(!refused.had_request);
    assert!(!reply(json!([1, 2])).expect("two refusals").had_request);
    // A request, even one refused (initialize) or failing, makes it an answer to requests.
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-03-26"}});
    assert!(reply(json!([init, 7])).expect("answered").had_request);
    assert!(reply(json!([{"jsonrpc": "2.0", "id": 2, "method": "nope"}])).expect("answered").had_request);
    // Notifications alone: nothing to answer at all.
    assert_eq!(reply(json!([{"jsonrpc": "2.0", "method": "notifications/initialized"}])), None);
}

#[test]
fn initialize_and_2026_requests_must_come_alone() {
    let body = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-03-26"}},
        {"jsonrpc": "2.0", "id": 2, "method": "server/discover"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}},
        {"jsonrpc": "2.0", "id": 4, "method": "tools/list"},
    ]);
    let (_, response) = answer(&alice(), &body).unwrap();
    for (i, id) in [1, 2, 3].into_iter().enumerate() {
        assert_eq!((code(&response[i]), &response[i]["id"]), (INVALID_REQUEST, &json!(id)), "{response}");
    }
    assert!(response[0]["error"]["message"].as_str().unwrap().contains("initialize must not be part of a batch"));
    assert!(response[3]["result"]["tools"].is_array());
}

#[test]
fn unusable_batches_get_one_error() {
    let whole = |body: &str| parse_batch(body.as_bytes()).expect_err(body);
    assert_eq!(code(&whole("[]")), INVALID_REQUEST);
    assert_eq!(whole("[]")["id"], Value::Null);
    assert_eq!(code(&whole("[1,")), ErrorCode::PARSE_ERROR.0);
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    let full = Value::Array(vec![ping.clone(); MAX_BATCH]);
    assert_eq!(parse_batch(full.to_string().as_bytes()).map(|items| items.len()), Ok(MAX_BATCH));
    let over = Value::Array(vec![ping; MAX_BATCH + 1]);
    let e = whole(&over.to_string());
    assert_eq!(code(&e), INVALID_REQUEST);
    assert!(e["error"]["message"].as_str().unwrap().contains(&MAX_BATCH.to_string()));
}

#[test]
fn a_batch_is_told_by_its_first_character_and_allowed_on_2025_03_26_only() {
    let batch = br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#;
    assert!(matches!(parse_body(batch, None), Ok(Body::Batch(items)) if items.len() == 1));
    assert!(matches!(parse_body(batch, Some("2025-03-26")), Ok(Body::Batch(_))));
    let refused = parse_body(batch, Some("2025-06-18")).expect_err("no batches in 2025-06-18");
    assert_eq!(code(&refused), INVALID_REQUEST);
    assert!(matches!(parse_body(&batch[1..batch.len() - 1], None), Ok(Body::One(_))));
    assert!(is_batch(b" \r\n\t[{}]") && is_batch(b"[]"));
    assert!(!is_batch(br#"{"a":[1]}"#) && !is_batch(b"") && !is_batch(b"  "));
    assert!(batch_allowed(None) && batch_allowed(Some("2025-03-26")) && batch_allowed(Some(" 2025-03-26 ")));
    for v in ["2024-11-05", "2025-06-18", "2025-11-25", "2026-07-28", ""] {
        assert!(!batch_allowed(Some(v)), "{v}");
    }
}

/// A legacy SSE session's batch: a message runs only while the stream is there, and none after
/// one could not be sent.
#[test]
fn a_sessions_batch_stops_when_its_stream_closes() {
    use std::cell::{Cell, RefCell};
    let run = |live_for: usize, sends_ok: usize| {
        let ran = RefCell::new(Vec::new());
        let checks = Cell::new(0);
        let live = || {
            checks.set(checks.get() + 1);
            checks.get() <= live_for
        };
        let send = |m: u32| {
            ran.borrow_mut().push(m);
            let ok = ran.borrow().len() <= sends_ok;
            async move { ok }
        };
        block_on(send_in_order(vec![1, 2, 3, 4], live, send));
        ran.into_inner()
    };
    assert_eq!(run(usize::MAX, usize::MAX), vec![1, 2, 3, 4], "all sent");
    assert_eq!(run(2, usize::MAX), vec![1, 2], "the stream closed after the second: no third run");
    assert_eq!(run(0, usize::MAX), Vec::<u32>::new(), "closed before the first");
    assert_eq!(run(usize::MAX, 1), vec![1, 2], "the second's answer could not be pushed: no third");
}
