//! Dispatch tests: every method, version negotiation, gating through `tools/list` and
//! `tools/call`, and the shapes the transports forward.
use super::*;
use crate::tools::testing::{alice, bob, ScriptedEnv};
use crate::tools::LogLevel;
use futures_executor::block_on;
use serde_json::{json, Value};

const INVALID_PARAMS: i64 = ErrorCode::INVALID_PARAMS.0;
const METHOD_NOT_FOUND: i64 = ErrorCode::METHOD_NOT_FOUND.0;
const LATEST_PROTOCOL_VERSION: &str = ProtocolVersion::LATEST.as_str();

fn request(id: Value, method: &str, params: Option<Value>) -> Message {
    let id = RequestId::from_json(&id).expect("a valid id");
    Message::Request { id, method: method.into(), params }
}

impl Reply {
    /// The response as JSON, which says a result exactly when `succeeded` does.
    fn json(&self) -> Value {
        let v: Value = serde_json::from_str(&self.response).expect("the response is JSON");
        assert_eq!(self.succeeded, v.get("result").is_some(), "{v}");
        v
    }
}

fn send(p: &Principal, message: Message) -> Option<Value> {
    block_on(handle(p, &ScriptedEnv::local(), message, &Options::default())).map(|r| r.json())
}

fn reply(p: &Principal, method: &str, params: Value, fixtures: bool) -> Reply {
    let options = Options::for_server(fixtures);
    block_on(handle(p, &ScriptedEnv::local(), request(json!(1), method, Some(params)), &options)).expect("a request")
}

fn ask(p: &Principal, method: &str, params: Value) -> Value {
    send(p, request(json!(1), method, Some(params))).unwrap_or_default()
}

fn error_of(resp: &Value) -> (i64, String) {
    (
        resp["error"]["code"].as_i64().unwrap_or_default(),
        resp["error"]["message"].as_str().unwrap_or_default().to_string(),
    )
}

fn tool_names(resp: &Value) -> Vec<String> {
    resp["result"]["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str().map(String::from))
        .collect()
}

#[test]
fn initialize_negotiates_versions() {
    for v in ProtocolVersion::ALL.map(ProtocolVersion::as_str) {
        let r = ask(
            &alice(),
            "initialize",
            json!({"protocolVersion": v, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}),
        );
        assert_eq!(r["result"]["protocolVersion"], v);
    }
    for v in ["2026-07-28", "1999-01-01", ""] {
        assert_eq!(
            ask(&alice(), "initialize", json!({"protocolVersion": v}))["result"]["protocolVersion"],
            LATEST_PROTOCOL_VERSION
        );
    }
    let r = ask(&alice(), "initialize", json!({"protocolVersion": "2025-06-18"}));
    assert_eq!(r["jsonrpc"], "2.0");
    assert_eq!(r["id"], 1);
    // Streamable HTTP has no stream to send `notifications/tools/list_changed` on; a legacy SSE
    // session's stream has.
    assert_eq!(r["result"]["capabilities"]["tools"], json!({"listChanged": false}));
    // Nor `notifications/resources/updated`: a subscription would never be kept.
    assert_eq!(r["result"]["capabilities"]["resources"]["subscribe"], json!(false));
    let on_a_session = Options { session_stream: true, ..Options::default() };
    let init = request(json!(1), "initialize", Some(json!({"protocolVersion": "2025-06-18"})));
    let r = block_on(handle(&alice(), &ScriptedEnv::local(), init, &on_a_session)).expect("a reply").json();
    assert_eq!(r["result"]["capabilities"]["tools"], json!({"listChanged": true}));
    assert_eq!(r["result"]["capabilities"]["resources"]["subscribe"], json!(true));
    for capability in ["resources", "prompts", "logging", "completions"] {
        assert!(r["result"]["capabilities"][capability].is_object(), "{capability}");
    }
    assert_eq!(r["result"]["serverInfo"], json!({"name": "mcp-authkit-worker", "version": env!("CARGO_PKG_VERSION")}));
    let instructions = r["result"]["instructions"].as_str().unwrap_or_default();
    assert!(instructions.contains("WorkOS permissions") && instructions.contains("whoami"), "{instructions}");
}

#[test]
fn initialize_without_a_version_is_invalid_params() {
    for params in [None, Some(json!({})), Some(json!({"protocolVersion": 20251125})), Some(json!(["2025-11-25"]))] {
        let r = send(&alice(), request(json!("init"), "initialize", params.clone())).unwrap_or_default();
        assert_eq!(error_of(&r).0, INVALID_PARAMS, "{params:?}");
        assert_eq!(r["id"], "init");
        assert!(r.get("result").is_none());
    }
}

#[test]
fn versions_are_recognised() {
    assert!(is_supported_version("2024-11-05") && is_supported_version(LATEST_PROTOCOL_VERSION));
    assert!(!is_supported_version("2026-07-28") && !is_supported_version("2025-11-25 "));
    assert_eq!(ProtocolVersion::ALL[0].as_str(), LATEST_PROTOCOL_VERSION);
}

#[test]
fn ping_answers_empty_and_echoes_ids() {
    assert_eq!(
        send(&bob(), request(json!("p-1"), "ping", None)),
        Some(json!({"jsonrpc": "2.0", "id": "p-1", "result": {}}))
    );
    assert_eq!(
        send(&bob(), request(json!(0), "ping", Some(json!({})))),
        Some(json!({"jsonrpc": "2.0", "id": 0, "result": {}}))
    );
}

#[test]
fn notifications_and_responses_get_no_answer() {
    for method in ["notifications/initialized", "notifications/cancelled", "notifications/whatever", "tools/call"] {
        assert_eq!(send(&alice(), Message::Notification { method: method.into(), params: None }), None);
    }
    assert_eq!(send(&alice(), Message::Response), None);
}

#[test]
fn requests_work_without_initialize_and_parse_feeds_handle() {
    let msg =
        parse(br#"{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"add","arguments":{"a":40,"b":2}}}"#);
    let r = send(&bob(), msg.unwrap_or(Message::Response)).unwrap_or_default();
    assert_eq!(
        r,
        json!({"jsonrpc": "2.0", "id": 42, "result": {"content": [{"type": "text", "text": "42"}], "structuredContent": {"sum": 42}}})
    );
}

#[test]
fn unknown_methods_and_server_discover() {
    let (code, message) = error_of(&ask(&alice(), "sampling/createMessage", json!({})));
    assert_eq!((code, message.as_str()), (METHOD_NOT_FOUND, "Method not found: sampling/createMessage"));
    let r = send(&alice(), request(json!(9), "server/discover", None)).unwrap_or_default();
    let (code, message) = error_of(&r);
    assert_eq!(code, METHOD_NOT_FOUND);
    assert!(
        message.contains("2024-11-05") && message.contains("2025-11-25") && message.contains("initialize"),
        "{message}"
    );
    assert_eq!(r["id"], 9);
}

#[test]
fn tools_list_depends_on_permissions() {
    assert_eq!(
        tool_names(&ask(&alice(), "tools/list", json!({}))),
        vec!["add", "whoami", "generateImage", "getUserProfile"]
    );
    assert_eq!(
        tool_names(&ask(&bob(), "tools/list", json!({"cursor": "ignored"}))),
        vec!["add", "whoami", "getUserProfile"]
    );
    let r = send(&bob(), request(json!(1), "tools/list", None)).unwrap_or_default();
    assert_eq!(tool_names(&r).len(), 3);
    assert!(r["result"].get("nextCursor").is_none());
    for tool in r["result"]["tools"].as_array().into_iter().flatten() {
        for key in ["name", "title", "description"] {
            assert!(tool[key].is_string(), "{key} in {tool}");
        }
        assert_eq!(tool["inputSchema"]["type"], "object");
        assert_eq!(tool["inputSchema"]["additionalProperties"], false);
    }
}

#[test]
fn visible_tool_names_follow_permissions() {
    assert_eq!(visible_tool_names(&alice()), vec!["add", "whoami", "generateImage", "getUserProfile"]);
    assert_eq!(visible_tool_names(&bob()), vec!["add", "whoami", "getUserProfile"]);
    assert_ne!(visible_tool_names(&alice()), visible_tool_names(&bob()), "a role change is a list change");
}

#[test]
fn list_changed_notification_shape() {
    assert_eq!(
        tools_list_changed_notification(),
        json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
    );
}

#[test]
fn tools_call_param_errors() {
    for params in [None, Some(json!([])), Some(json!({})), Some(json!({"name": 5})), Some(json!({"arguments": {}}))] {
        let r = send(&alice(), request(json!(3), "tools/call", params.clone())).unwrap_or_default();
        assert_eq!(error_of(&r).0, INVALID_PARAMS, "{params:?}");
        assert_eq!(r["id"], 3);
    }
    let r = ask(&alice(), "tools/call", json!({"name": "rm_rf"}));
    assert_eq!(error_of(&r), (INVALID_PARAMS, "Unknown tool: rm_rf".to_string()));
}

#[test]
fn tools_call_gating_and_validation_are_results() {
    let r = ask(&bob(), "tools/call", json!({"name": "generateImage", "arguments": {"prompt": "a cat"}}));
    assert_eq!(r["result"]["isError"], true);
    let text = r["result"]["content"][0]["text"].as_str().unwrap_or_default();
    assert!(text.contains("generateImage requires the image_generation permission; your role (member)"), "{text}");

    let r = ask(&alice(), "tools/call", json!({"name": "add", "arguments": {"a": 1, "b": "2"}}));
    assert_eq!(r["result"]["isError"], true);
    assert!(r["result"]["content"][0]["text"].as_str().unwrap_or_default().contains("\"b\" must be a number"));

    let r = ask(&alice(), "tools/call", json!({"name": "add", "arguments": {"a": 1, "b": 2, "c": 3}}));
    assert!(r["result"]["content"][0]["text"].as_str().unwrap_or_default().contains("unexpected argument \"c\""));
}

#[test]
fn tools_call_runs_each_tool_for_alice() {
    let r = ask(&alice(), "tools/call", json!({"name": "whoami", "arguments": {}}));
    assert_eq!(r["result"]["structuredContent"]["permissions"], json!(["image_generation", "widgets:manage"]));
    let r = ask(&alice(), "tools/call", json!({"name": "getUserProfile"}));
    assert_eq!(r["result"]["structuredContent"]["email"], "alice@example.com");
    let r =
        ask(&alice(), "tools/call", json!({"name": "generateImage", "arguments": {"prompt": "sunset", "steps": 8}}));
    assert_eq!(r["result"]["content"][0]["mimeType"], "image/png");
    assert!(r["result"].get("isError").is_none());
}

#[test]
fn tool_failures_are_results_not_protocol_errors() {
    let env = ScriptedEnv { user: Err("WorkOS did not answer".into()), ..ScriptedEnv::local() };
    let call = request(json!(5), "tools/call", Some(json!({"name": "getUserProfile"})));
    let r = block_on(handle(&alice(), &env, call, &Options::default())).map(|r| r.json()).unwrap_or_default();
    assert!(r.get("error").is_none());
    assert_eq!(r["result"]["isError"], true);
}

#[test]
fn ids_are_echoed_exactly_or_refused() {
    let parse = |body: &str| super::parse(body.as_bytes());
    for ok in [
        r#"{"jsonrpc":"2.0","id":18446744073709551615,"method":"ping"}"#,
        r#"{"jsonrpc":"2.0","id":-9223372036854775808,"method":"ping"}"#,
    ] {
        assert!(matches!(parse(ok), Ok(super::Message::Request { .. })), "{ok}");
    }
    for (bad, why) in [
        (r#"{"jsonrpc":"2.0","id":18446744073709551616,"method":"ping"}"#, "beyond 64 bits"),
        (r#"{"jsonrpc":"2.0","id":1e30,"method":"ping"}"#, "a float"),
        (r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#, "a fraction"),
    ] {
        let err = parse(bad).expect_err(why);
        assert_eq!(err["error"]["code"], -32600, "{why}");
        assert_eq!(err["id"], serde_json::Value::Null, "{why}: never echoed as another number");
        assert!(err["error"]["message"].as_str().unwrap().contains("integer"), "{why}");
    }
}

#[test]
fn set_level_answers_empty_and_reports_the_level() {
    let r = reply(&alice(), "logging/setLevel", json!({"level": "warning"}), false);
    assert_eq!(r.json()["result"], json!({}));
    assert_eq!(r.log_level, Some(crate::tools::LogLevel::Warning));
    for bad in [json!({}), json!({"level": "loud"}), json!({"level": 3})] {
        let r = reply(&alice(), "logging/setLevel", bad.clone(), false);
        assert_eq!(error_of(&r.json()).0, INVALID_PARAMS, "{bad}");
        assert_eq!(r.log_level, None);
    }
}

#[test]
fn progress_and_logs_come_before_the_response_with_the_callers_token() {
    let call = |params: Value, log_level| {
        let options = Options { log_level, ..Options::default() };
        block_on(handle(&alice(), &ScriptedEnv::local(), request(json!(1), "tools/call", Some(params)), &options))
            .expect("a request")
    };
    let params =
        json!({"name": "generateImage", "arguments": {"prompt": "a fox"}, "_meta": {"progressToken": "tok-1"}});
    let r = call(params.clone(), LogLevel::Info);
    let methods: Vec<&str> = r.notifications.iter().filter_map(|n| n["method"].as_str()).collect();
    assert_eq!(methods, vec!["notifications/progress", "notifications/message", "notifications/progress"]);
    assert_eq!(r.notifications[0]["params"]["progressToken"], "tok-1");
    assert_eq!(
        r.notifications[2]["params"],
        json!({"progressToken": "tok-1", "progress": 1.0, "total": 1.0, "message": "done"})
    );
    assert_eq!(r.notifications[1]["params"]["logger"], "mcp-authkit-worker");
    assert_eq!(r.notifications[1]["params"]["level"], "notice");
    assert_eq!(r.notifications[1]["jsonrpc"], "2.0");
    // By default only warnings and worse are sent: the preview notice is not.
    let r = call(params, LogLevel::default());
    let methods: Vec<&str> = r.notifications.iter().filter_map(|n| n["method"].as_str()).collect();
    assert_eq!(methods, vec!["notifications/progress", "notifications/progress"]);
    // An integer token is echoed as an integer; no token, no progress (and a plain answer).
    let r = call(
        json!({"name": "generateImage", "arguments": {"prompt": "x"}, "_meta": {"progressToken": 7}}),
        LogLevel::Info,
    );
    assert_eq!(r.notifications[0]["params"]["progressToken"], 7);
    let r = call(json!({"name": "generateImage", "arguments": {"prompt": "x"}}), LogLevel::default());
    assert!(r.notifications.is_empty());
    // A token that is neither a string nor a number asks for no progress either.
    for token in [json!(null), json!({}), json!(true), json!(["t"])] {
        let params = json!({"name": "generateImage", "arguments": {"prompt": "x"}, "_meta": {"progressToken": token}});
        assert!(call(params, LogLevel::default()).notifications.is_empty(), "{token}");
    }
    assert!(reply(&alice(), "tools/list", json!({}), false).notifications.is_empty());
}

#[test]
fn every_listed_tool_has_a_description_and_an_object_schema_and_a_conformant_name() {
    let r = reply(&alice(), "tools/list", json!({}), true).json();
    let tools = r["result"]["tools"].as_array().expect("a tools array");
    for name in ["add", "generateImage", "test_simple_text"] {
        assert!(tools.iter().any(|t| t["name"] == name), "{name} is listed (the product's and the fixtures')");
    }
    for tool in tools {
        let name = tool["name"].as_str().unwrap_or_default();
        assert!(
            !name.is_empty()
                && name.len() <= 64
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)),
            "{name}"
        );
        assert!(tool["description"].as_str().is_some_and(|d| !d.is_empty()), "{name}");
        assert_eq!(tool["inputSchema"]["type"], "object", "{name}");
        assert!(tool["annotations"]["readOnlyHint"].is_boolean(), "{name}");
    }
}

#[path = "catalog_tests.rs"]
mod catalog_tests;
