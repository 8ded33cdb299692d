//! The 2026-07-28 revision: which requests are modern, the checks in the revision's order and
//! their statuses, the result envelope, discovery, removed methods, per-request logging and
//! progress, and input-required rounds through the fixtures.
use super::modern::{self, Answer, Context, Headers};
use super::*;
use crate::seal::SealKeys;
use crate::tools::testing::{alice, bob, ScriptedEnv};
use futures_executor::block_on;
use serde_json::{json, Value};

const V: &str = "2026-07-28";

fn meta(caps: Value) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": V,
        "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": caps,
    })
}

fn all_caps() -> Value {
    json!({"sampling": {}, "elicitation": {}, "roots": {"listChanged": true}})
}

fn with_meta(mut params: Value, caps: Value) -> Value {
    params["_meta"] = meta(caps);
    params
}

fn message(method: &str, params: Value) -> Message {
    Message::Request { id: RequestId::Integer(7), method: method.into(), params: Some(params) }
}

/// The target header a well-behaved client sends for `params`.
fn target(params: &Value) -> Option<String> {
    params.get("name").or_else(|| params.get("uri")).and_then(Value::as_str).map(str::to_string)
}

fn send_as(p: &Principal, method: &str, params: Value, headers: Headers<'_>, fixtures: bool) -> Answer {
    let keys = SealKeys::parse("0123456789abcdef0123456789abcdef").unwrap();
    let cx = Context { fixtures, client_id: None, keys: &keys, now: 1_000 };
    block_on(modern::handle(p, &ScriptedEnv::local(), message(method, params), &headers, &cx)).expect("a request")
}

/// A request as a conforming client sends it.
fn send(method: &str, params: Value, fixtures: bool) -> Answer {
    let name = target(&params);
    let headers = Headers { protocol_version: Some(V), method: Some(method), name: name.as_deref() };
    send_as(&alice(), method, params, headers, fixtures)
}

fn code(a: &Answer) -> i64 {
    a.response["error"]["code"].as_i64().unwrap_or_default()
}

#[test]
fn the_request_decides_its_era() {
    let legacy = message("initialize", json!({"protocolVersion": "2025-11-25", "capabilities": {}}));
    assert_eq!(era(None, &legacy), Era::Legacy);
    assert_eq!(era(Some("2025-11-25"), &legacy), Era::Legacy);
    assert_eq!(era(Some("2025-06-18"), &message("tools/list", json!({}))), Era::Legacy);
    // The revision's own requests, and initialize sent the modern way (to be refused as removed).
    assert_eq!(era(Some(V), &message("initialize", json!({"_meta": meta(json!({}))}))), Era::Modern);
    assert_eq!(era(None, &message("tools/list", json!({"_meta": meta(json!({}))}))), Era::Modern);
    assert_eq!(era(Some("2025-11-25"), &message("tools/list", json!({"_meta": meta(json!({}))}))), Era::Modern);
    assert_eq!(era(Some(V), &message("tools/list", json!({}))), Era::Modern);
    assert_eq!(era(Some("v999.0.0"), &message("tools/list", json!({}))), Era::Modern);
    assert_eq!(era(None, &message("server/discover", json!({}))), Era::Modern);
    // A progress token alone is not the revision's _meta.
    assert_eq!(era(None, &message("tools/call", json!({"_meta": {"progressToken": 1}}))), Era::Legacy);
}

#[test]
fn discover_says_what_the_server_is_and_how_long_to_keep_it() {
    let a = send("server/discover", with_meta(json!({}), json!({})), false);
    assert_eq!(a.status, 200);
    let r = &a.response["result"];
    assert_eq!(r["supportedVersions"], json!([V]));
    for cap in ["tools", "resources", "prompts", "completions"] {
        assert!(r["capabilities"][cap].is_object(), "{cap}");
    }
    // No change notifications are advertised: there is no listen stream to send them on.
    assert!(r["capabilities"]["tools"].get("listChanged").is_none());
    assert_eq!(r["resultType"], "complete");
    assert_eq!(r["cacheScope"], "public");
    assert_eq!(r["ttlMs"], 3_600_000, "an hour");
    assert_eq!(r["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], SERVER_NAME);
    // clientInfo is optional.
    let mut no_info = meta(json!({}));
    no_info.as_object_mut().unwrap().remove("io.modelcontextprotocol/clientInfo");
    assert_eq!(send("server/discover", json!({"_meta": no_info}), false).status, 200);
}

#[test]
fn checks_run_in_the_revisions_order_with_its_statuses() {
    let h = |pv: Option<&'static str>, m: Option<&'static str>, n: Option<&'static str>| Headers {
        protocol_version: pv,
        method: m,
        name: n,
    };
    let discover = with_meta(json!({}), json!({}));
    let ask = |params: Value, headers: Headers<'static>| send_as(&alice(), "server/discover", params, headers, false);
    // 1. The header is required once the body is modern.
    let a = ask(discover.clone(), h(None, Some("server/discover"), None));
    assert_eq!((a.status, code(&a)), (400, -32020));
    // 2. _meta must carry the version and capabilities: -32602, before the header comparison.
    for missing in ["io.modelcontextprotocol/protocolVersion", "io.modelcontextprotocol/clientCapabilities"] {
        let mut p = discover.clone();
        p["_meta"].as_object_mut().unwrap().remove(missing);
        let a = ask(p, h(Some(V), Some("server/discover"), None));
        assert_eq!((a.status, code(&a)), (400, -32602), "{missing}");
    }
    let a = ask(json!({}), h(Some(V), Some("server/discover"), None));
    assert_eq!((a.status, code(&a)), (400, -32602));
    // 3. Header and _meta must agree, before the version is judged.
    let mut future = discover.clone();
    future["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("v999.0.0");
    let a = ask(future.clone(), h(Some(V), Some("server/discover"), None));
    assert_eq!((a.status, code(&a)), (400, -32020));
    // 4. Mcp-Method and Mcp-Name mirror the body, exactly; whitespace around them and base64 are fine.
    for bad in [None, Some("tools/list"), Some("SERVER/DISCOVER")] {
        let a = ask(discover.clone(), h(Some(V), bad, None));
        assert_eq!((a.status, code(&a)), (400, -32020), "{bad:?}");
    }
    assert_eq!(ask(discover.clone(), h(Some(" 2026-07-28\t"), Some(" server/discover "), None)).status, 200);
    let call = with_meta(json!({"name": "whoami", "arguments": {}}), json!({}));
    for (name, ok) in
        [(None, false), (Some("wrong_tool"), false), (Some("  whoami "), true), (Some("=?base64?d2hvYW1p?="), true)]
    {
        let a = send_as(&alice(), "tools/call", call.clone(), h(Some(V), Some("tools/call"), name), false);
        assert_eq!(a.status == 200 && a.response.get("result").is_some(), ok, "{name:?}: {}", a.response);
    }
    // 5. A version we do not speak: -32022 naming what we do.
    let a = ask(future, h(Some("v999.0.0"), Some("server/discover"), None));
    assert_eq!((a.status, code(&a)), (400, -32022));
    assert_eq!(a.response["error"]["data"], json!({"supported": [V], "requested": "v999.0.0"}));
    assert_eq!(a.response["id"], 7);
    // 6. An unknown log level.
    let mut loud = discover.clone();
    loud["_meta"]["io.modelcontextprotocol/logLevel"] = json!("loud");
    let a = ask(loud, h(Some(V), Some("server/discover"), None));
    assert_eq!((a.status, code(&a)), (400, -32602));
}

#[test]
fn removed_and_unknown_methods_are_404() {
    for m in [
        "initialize",
        "ping",
        "logging/setLevel",
        "resources/subscribe",
        "resources/unsubscribe",
        "subscriptions/listen",
        "unknown/method",
    ] {
        let a = send(m, with_meta(json!({"uri": "account://me", "level": "info"}), json!({})), false);
        assert_eq!((a.status, code(&a)), (404, -32601), "{m}");
    }
}

#[test]
fn notifications_are_accepted_when_their_version_is_ours() {
    let keys = SealKeys::parse("0123456789abcdef0123456789abcdef").unwrap();
    let cx = Context { fixtures: false, client_id: None, keys: &keys, now: 1 };
    let note = || Message::Notification { method: "notifications/cancelled".into(), params: None };
    let env = ScriptedEnv::local();
    let ours = Headers { protocol_version: Some(V), ..Headers::default() };
    assert!(block_on(modern::handle(&alice(), &env, note(), &ours, &cx)).is_none());
    let other = Headers { protocol_version: Some("1999-01-01"), ..Headers::default() };
    let a = block_on(modern::handle(&alice(), &env, note(), &other, &cx)).unwrap();
    assert_eq!((a.status, code(&a)), (400, -32022));
}

#[test]
fn results_carry_result_type_caching_and_server_info() {
    for m in ["tools/list", "prompts/list", "resources/list", "resources/templates/list"] {
        let r = send(m, with_meta(json!({}), json!({})), false).response["result"].clone();
        assert_eq!(r["resultType"], "complete", "{m}");
        assert_eq!(r["cacheScope"], "private", "{m}: depends on the caller's permissions");
        assert_eq!(r["ttlMs"], 60_000, "{m}");
    }
    let read = send("resources/read", with_meta(json!({"uri": "account://me"}), json!({})), false);
    assert_eq!(read.response["result"]["cacheScope"], "private");
    let call = send("tools/call", with_meta(json!({"name": "add", "arguments": {"a": 2, "b": 3}}), json!({})), false);
    let r = &call.response["result"];
    assert_eq!(r["resultType"], "complete");
    assert!(r.get("ttlMs").is_none(), "tool results are not cached");
    assert_eq!(r["structuredContent"]["sum"], 5);
    assert_eq!(r["_meta"]["io.modelcontextprotocol/serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
    // Permissions still decide: Bob does not see generateImage and cannot call it.
    let headers = Headers { protocol_version: Some(V), method: Some("tools/list"), name: None };
    let bobs = send_as(&bob(), "tools/list", with_meta(json!({}), json!({})), headers, false);
    assert_eq!(bobs.status, 200);
    let names: Vec<&str> =
        bobs.response["result"]["tools"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, ["add", "whoami", "getUserProfile"]);
    let params = with_meta(json!({"name": "generateImage", "arguments": {"prompt": "x"}}), json!({}));
    let headers = Headers { protocol_version: Some(V), method: Some("tools/call"), name: Some("generateImage") };
    let refused = send_as(&bob(), "tools/call", params, headers, false);
    assert_eq!(refused.response["result"]["isError"], true, "{}", refused.response);
    // Not found: -32602 with the URI, HTTP 200.
    let missing = send("resources/read", with_meta(json!({"uri": "test://nope"}), json!({})), false);
    assert_eq!((missing.status, code(&missing)), (200, -32602));
    assert_eq!(missing.response["error"]["data"]["uri"], "test://nope");
}

#[test]
fn logs_only_when_the_request_names_a_level_and_progress_only_with_a_token() {
    let quiet = send("tools/call", with_meta(json!({"name": "test_logging_tool", "arguments": {}}), json!({})), true);
    assert!(quiet.notifications.is_empty());
    let mut params = with_meta(json!({"name": "test_logging_tool", "arguments": {}}), json!({}));
    params["_meta"]["io.modelcontextprotocol/logLevel"] = json!("debug");
    let loud = send("tools/call", params, true);
    assert_eq!(loud.notifications.len(), 1);
    assert_eq!(loud.notifications[0]["method"], "notifications/message");
    let mut params = with_meta(json!({"name": "test_tool_with_progress", "arguments": {}}), json!({}));
    params["_meta"]["progressToken"] = json!("p1");
    let progress = send("tools/call", params, true);
    assert_eq!(progress.notifications.len(), 3);
    assert!(progress.notifications.iter().all(|n| n["params"]["progressToken"] == "p1"));
}

#[test]
fn fixtures_only_when_enabled() {
    let list = |fixtures| send("tools/list", with_meta(json!({}), json!({})), fixtures).response.to_string();
    assert!(list(true).contains("test_input_required_result_multi_round"));
    assert!(!list(false).contains("test_input_required_result"));
    let call = send("tools/call", with_meta(json!({"name": "test_missing_capability"}), json!({})), false);
    assert_eq!(code(&call), -32602, "unknown tool without fixtures");
}

#[test]
fn missing_capability_is_400_with_what_is_required() {
    let a = send("tools/call", with_meta(json!({"name": "test_missing_capability", "arguments": {}}), json!({})), true);
    assert_eq!((a.status, code(&a)), (400, -32021));
    assert_eq!(a.response["error"]["data"]["requiredCapabilities"], json!({"sampling": {}}));
    let ok = send("tools/call", with_meta(json!({"name": "test_missing_capability"}), json!({"sampling": {}})), true);
    assert_eq!(ok.response["result"]["content"][0]["text"], "Success");
}

/// Calls fixture `tool` with `responses` and `state`, as a retry does.
fn round(tool: &str, responses: Option<Value>, state: Option<&Value>, caps: Value) -> Value {
    let mut params = with_meta(json!({"name": tool, "arguments": {}}), caps);
    if let Some(r) = responses {
        params["inputResponses"] = r;
    }
    if let Some(s) = state {
        params["requestState"] = s.clone();
    }
    send("tools/call", params, true).response
}

#[test]
fn input_required_rounds() {
    let first = round("test_input_required_result_elicitation", None, None, all_caps());
    let r = &first["result"];
    assert_eq!(r["resultType"], "input_required");
    assert_eq!(r["inputRequests"]["user_name"]["method"], "elicitation/create");
    assert!(r.get("ttlMs").is_none(), "input_required results are not cached");
    let hello = round(
        "test_input_required_result_elicitation",
        Some(json!({"user_name": {"action": "accept", "content": {"name": "Alice"}}, "extra": {"x": 1}})),
        None,
        all_caps(),
    );
    assert_eq!(hello["result"]["content"][0]["text"], "Hello, Alice!");
    for garbage in [json!({"user_name": 12345}), Value::Null] {
        let a = round("test_input_required_result_elicitation", Some(garbage), None, all_caps());
        assert_eq!(a["error"]["code"], -32602);
    }
    let again = round("test_input_required_result_elicitation", Some(json!({"wrong_key": {}})), None, all_caps());
    assert_eq!(again["result"]["resultType"], "input_required");

    // Two rounds, each with new state; the third completes.
    let r1 = round("test_input_required_result_multi_round", None, None, all_caps())["result"].clone();
    let s1 = &r1["requestState"];
    let r2 = round(
        "test_input_required_result_multi_round",
        Some(json!({"step1": {"action": "accept", "content": {"name": "Alice"}}})),
        Some(s1),
        all_caps(),
    )["result"]
        .clone();
    assert_eq!(r2["resultType"], "input_required");
    assert!(r2["inputRequests"]["step2"].is_object());
    assert_ne!(&r2["requestState"], s1);
    let r3 = round(
        "test_input_required_result_multi_round",
        Some(json!({"step2": {"action": "accept", "content": {"color": "blue"}}})),
        Some(&r2["requestState"]),
        all_caps(),
    );
    assert_eq!(r3["result"]["content"][0]["text"], "Multi-round complete for Alice who likes blue");

    // Tampered state is an error, never a result.
    let t1 = round("test_input_required_result_tampered_state", None, None, all_caps())["result"].clone();
    let tampered = json!(format!("{}-TAMPERED", t1["requestState"].as_str().unwrap()));
    let ok = json!({"confirm": {"action": "accept", "content": {"ok": true}}});
    assert_eq!(
        round("test_input_required_result_tampered_state", Some(ok.clone()), Some(&tampered), all_caps())["error"]
            ["code"],
        -32602
    );
    let good = round("test_input_required_result_tampered_state", Some(ok), Some(&t1["requestState"]), all_caps());
    assert_eq!(good["result"]["content"][0]["text"], "integrity-ok: state verified");

    // Only declared capabilities are asked.
    let caps = round("test_input_required_result_capabilities", None, None, json!({"sampling": {}}))["result"].clone();
    let methods: Vec<&str> =
        caps["inputRequests"].as_object().unwrap().values().map(|q| q["method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["sampling/createMessage"]);
    let none = round("test_input_required_result_sampling", None, None, json!({}));
    assert_eq!(none["error"]["code"], -32021);

    // All three kinds at once.
    let m1 = round("test_input_required_result_multiple_inputs", None, None, all_caps())["result"].clone();
    assert_eq!(m1["inputRequests"].as_object().unwrap().len(), 3);
    let answers = json!({
        "user_name": {"action": "accept", "content": {"name": "Alice"}},
        "greeting": {"role": "assistant", "content": {"type": "text", "text": "Hi"}, "model": "m"},
        "client_roots": {"roots": [{"uri": "file:///r"}]},
    });
    let m2 = round("test_input_required_result_multiple_inputs", Some(answers), Some(&m1["requestState"]), all_caps());
    assert_eq!(m2["result"]["content"][0]["text"], "Name: Alice; Greeting: Hi; Roots: 1");
}

#[test]
fn a_prompt_can_ask_for_input_too() {
    let name = "test_input_required_result_prompt";
    let listed = send("prompts/list", with_meta(json!({}), json!({})), true).response.to_string();
    assert!(listed.contains(name));
    let first = send("prompts/get", with_meta(json!({"name": name}), all_caps()), true).response;
    assert_eq!(first["result"]["resultType"], "input_required");
    let mut retry = with_meta(json!({"name": name}), all_caps());
    retry["inputResponses"] = json!({"user_context": {"action": "accept", "content": {"context": "test context"}}});
    let done = send("prompts/get", retry, true).response;
    assert_eq!(done["result"]["resultType"], "complete");
    assert_eq!(done["result"]["messages"][0]["content"]["text"], "Prompt with context: test context");
}
