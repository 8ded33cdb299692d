//! Dispatch tests of what the server offers beside its tools: resources (the account and its
//! subscriptions), prompts, completion, and the conformance suite's fixtures (served only when
//! the options enable them).
use super::*;

#[test]
fn account_subscriptions_are_recognised() {
    let sub = |method: &str, uri: &str| account_subscription(&request(json!(1), method, Some(json!({"uri": uri}))));
    assert_eq!(sub("resources/subscribe", "account://me"), Some(true));
    assert_eq!(sub("resources/unsubscribe", "account://me"), Some(false));
    assert_eq!(sub("resources/subscribe", "test://watched-resource"), None);
    assert_eq!(sub("resources/read", "account://me"), None);
    assert_eq!(account_updated_notification()["params"]["uri"], "account://me");
}

#[test]
fn resources_list_read_templates_and_subscribe() {
    let r = ask(&bob(), "resources/list", json!({}));
    assert_eq!(r["result"]["resources"][0]["uri"], "account://me");
    assert_eq!(r["result"]["resources"].as_array().map(Vec::len), Some(1), "no fixtures by default");
    let r = ask(&bob(), "resources/templates/list", json!({}));
    assert_eq!(r["result"]["resourceTemplates"][0]["uriTemplate"], "account://tools/{name}");
    let r = ask(&bob(), "resources/read", json!({"uri": "account://me"}));
    assert_eq!(r["result"]["contents"][0]["mimeType"], "application/json");
    assert!(r["result"]["contents"][0]["text"].as_str().unwrap_or_default().contains("user_bob"));
    let r = ask(&bob(), "resources/read", json!({"uri": "account://nope"}));
    assert_eq!(r["error"]["code"], INVALID_PARAMS);
    assert_eq!(r["error"]["data"], json!({"uri": "account://nope"}));
    assert_eq!(ask(&bob(), "resources/subscribe", json!({"uri": "account://me"}))["result"], json!({}));
    assert_eq!(ask(&bob(), "resources/unsubscribe", json!({"uri": "account://me"}))["result"], json!({}));
    assert_eq!(error_of(&ask(&bob(), "resources/subscribe", json!({"uri": "x://y"}))).0, INVALID_PARAMS);
    assert_eq!(error_of(&ask(&bob(), "resources/read", json!({}))).0, INVALID_PARAMS);
}

#[test]
fn prompts_and_completion() {
    let r = ask(&alice(), "prompts/list", json!({}));
    let names: Vec<&str> =
        r["result"]["prompts"].as_array().into_iter().flatten().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, vec!["generate-image", "access-review"]);
    let r = ask(&alice(), "prompts/get", json!({"name": "generate-image", "arguments": {"subject": "a fox"}}));
    assert_eq!(r["result"]["messages"][0]["role"], "user");
    assert_eq!(r["result"]["messages"][0]["content"]["type"], "text");
    assert_eq!(error_of(&ask(&alice(), "prompts/get", json!({"name": "generate-image"}))).0, INVALID_PARAMS);
    assert_eq!(
        error_of(&ask(&alice(), "prompts/get", json!({"name": "access-review", "arguments": 3}))).0,
        INVALID_PARAMS
    );
    let c = ask(
        &alice(),
        "completion/complete",
        json!({"ref": {"type": "ref/prompt", "name": "generate-image"}, "argument": {"name": "style", "value": "water"}}),
    );
    assert_eq!(c["result"], json!({"completion": {"values": ["watercolor"], "total": 1, "hasMore": false}}));
    let c = ask(
        &bob(),
        "completion/complete",
        json!({"ref": {"type": "ref/resource", "uri": "account://tools/{name}"}, "argument": {"name": "name", "value": "who"}}),
    );
    assert_eq!(c["result"]["completion"]["values"], json!(["whoami"]));
    // A prompt bob cannot see has nothing to complete.
    let c = ask(
        &bob(),
        "completion/complete",
        json!({"ref": {"type": "ref/prompt", "name": "generate-image"}, "argument": {"name": "style", "value": ""}}),
    );
    assert_eq!(error_of(&c).0, INVALID_PARAMS);
    assert_eq!(error_of(&ask(&bob(), "completion/complete", json!({"ref": {"type": "ref/prompt"}}))).0, INVALID_PARAMS);
}

#[test]
fn conformance_fixtures_only_when_enabled() {
    let on = reply(&alice(), "tools/list", json!({}), true).json();
    assert!(tool_names(&on).iter().any(|n| n == "test_simple_text"));
    assert!(!tool_names(&ask(&alice(), "tools/list", json!({}))).iter().any(|n| n.starts_with("test_")));
    let off = ask(&alice(), "tools/call", json!({"name": "test_simple_text"}));
    assert_eq!(error_of(&off), (INVALID_PARAMS, "Unknown tool: test_simple_text".to_string()));
    let r = reply(
        &alice(),
        "tools/call",
        json!({"name": "test_tool_with_progress", "_meta": {"progressToken": "progress-test-1"}}),
        true,
    );
    assert_eq!(r.notifications.len(), 3);
    assert_eq!(r.json()["result"]["content"][0]["text"], "progress-test-1");
    let r = reply(&alice(), "tools/call", json!({"name": "test_tool_with_logging", "arguments": {}}), true);
    assert_eq!(r.notifications.iter().filter(|n| n["method"] == "notifications/message").count(), 3);
    let r = reply(&alice(), "resources/read", json!({"uri": "test://static-binary"}), true).json();
    assert!(r["result"]["contents"][0]["blob"].is_string());
    let r = reply(
        &alice(),
        "prompts/get",
        json!({"name": "test_prompt_with_arguments", "arguments": {"arg1": "v1", "arg2": "v2"}}),
        true,
    )
    .json();
    assert!(r["result"]["messages"][0]["content"]["text"].as_str().unwrap_or_default().contains("arg1='v1'"));
    let c = reply(&alice(), "completion/complete", json!({"ref": {"type": "ref/prompt", "name": "test_prompt_with_arguments"}, "argument": {"name": "arg1", "value": "test"}}), true).json();
    assert_eq!(c["result"]["completion"]["values"], json!([]));
}
