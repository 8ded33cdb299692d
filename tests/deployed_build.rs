//! The library as a deployed Worker builds it: integration tests link it without `cfg(test)` and,
//! under the README's test command, without the `conformance-fixtures` feature. Asked to serve
//! the MCP conformance fixtures, such a build has none to serve (`src/mcp/no_fixtures.rs`), in
//! either revision, while the product's own tools still answer.
#![cfg(not(feature = "conformance-fixtures"))]
use futures_executor::block_on;
use mcp_authkit_worker::mcp::{self, modern, Message, RequestId};
use mcp_authkit_worker::principal::Principal;
use mcp_authkit_worker::seal::SealKeys;
use mcp_authkit_worker::tools::{GeneratedImage, ToolEnv};
use mcp_authkit_worker::workos::User;
use serde_json::{json, Value};

struct NoWorkos;

impl ToolEnv for NoWorkos {
    async fn generate_image(&self, _prompt: &str, _steps: u32) -> Option<Result<GeneratedImage, String>> {
        None
    }
    async fn workos_user(&self, user_id: &str) -> Result<User, String> {
        Err(format!("no WorkOS here ({user_id})"))
    }
}

fn alice() -> Principal {
    Principal {
        user_id: "user_alice".into(),
        email: "alice@example.com".into(),
        name: "Alice".into(),
        organization_id: Some("org_acme".into()),
        organization_name: Some("Acme".into()),
        role: Some("admin".into()),
        other_roles: Vec::new(),
        permissions: vec!["image_generation".into()],
        workos_session_id: None,
    }
}

fn request(method: &str, params: Value) -> Message {
    Message::Request { id: RequestId::Integer(1), method: method.into(), params: Some(params) }
}

/// A request answered as by a Worker whose configuration asks for the fixtures.
fn ask(method: &str, params: Value) -> Value {
    let reply = block_on(mcp::handle(&alice(), &NoWorkos, request(method, params), &mcp::Options::for_server(true)));
    serde_json::from_str(&reply.expect("a request is answered").response).expect("the response is JSON")
}

#[test]
fn a_build_without_the_feature_serves_no_fixtures_even_when_asked() {
    let tools = ask("tools/list", json!({}));
    let names: Vec<&str> =
        tools["result"]["tools"].as_array().expect("a tool list").iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(names.contains(&"whoami") && names.contains(&"add"), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("test_")), "{names:?}");

    let call = ask("tools/call", json!({"name": "test_simple_text", "arguments": {}}));
    assert_eq!(call["error"]["message"], "Unknown tool: test_simple_text", "{call}");
    let sum = ask("tools/call", json!({"name": "add", "arguments": {"a": 2, "b": 3}}));
    assert_eq!(sum["result"]["content"][0]["text"], "5", "{sum}");

    for (method, key) in [
        ("resources/list", "resources"),
        ("resources/templates/list", "resourceTemplates"),
        ("prompts/list", "prompts"),
    ] {
        let listed = ask(method, json!({}));
        let uris_or_names = listed["result"][key].to_string();
        assert!(!uris_or_names.contains("test"), "{method}: {uris_or_names}");
    }
    let read = ask("resources/read", json!({"uri": "test://static-text"}));
    assert!(read.get("error").is_some(), "{read}");
    let prompt = ask("prompts/get", json!({"name": "test_simple_prompt"}));
    assert!(prompt.get("error").is_some(), "{prompt}");
}

#[test]
fn the_modern_revision_has_no_fixtures_either() {
    let keys = SealKeys::parse("deployed-build-key-0123456789abcdef").expect("a key");
    let cx = modern::Context { fixtures: true, client_id: None, keys: &keys, now: 1_000 };
    let list = |method: &'static str, name: Option<&'static str>, params: Value| {
        let headers = modern::Headers { protocol_version: Some("2026-07-28"), method: Some(method), name };
        let answer = block_on(modern::handle(&alice(), &NoWorkos, request(method, params), &headers, &cx));
        answer.expect("a request is answered")
    };
    let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}});
    let tools = list("tools/list", None, json!({"_meta": meta}));
    assert_eq!(tools.status, 200, "{}", tools.response);
    assert!(!tools.response.to_string().contains("test_"), "{}", tools.response);
    let call = list(
        "tools/call",
        Some("test_tool_with_elicitation"),
        json!({"name": "test_tool_with_elicitation", "arguments": {}, "_meta": meta}),
    );
    assert!(call.response.get("error").is_some(), "{}", call.response);
}
