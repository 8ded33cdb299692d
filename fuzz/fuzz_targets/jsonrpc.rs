//! JSON-RPC parsing and MCP dispatch, in both revisions: any body gets a JSON-RPC answer (or
//! none, for notifications), never a panic; answers echo the request id. A JSON array is also
//! taken as a 2025-03-26 batch: one answer per request or malformed element, as one array. The
//! 2026-07-28 path gets the headers a conforming client would send for the body, so it reaches
//! dispatch.
#![no_main]
use futures_executor::block_on;
use libfuzzer_sys::fuzz_target;
use mcp_authkit_worker::mcp::{self, modern, Message};
use mcp_authkit_worker::principal::Principal;
use mcp_authkit_worker::seal::SealKeys;
use mcp_authkit_worker::tools::{GeneratedImage, ToolEnv};
use mcp_authkit_worker::workos::User;

struct Env;

impl ToolEnv for Env {
    async fn generate_image(&self, _prompt: &str, _steps: u32) -> Option<Result<GeneratedImage, String>> {
        None
    }
    async fn workos_user(&self, user_id: &str) -> Result<User, String> {
        Err(format!("no WorkOS here ({user_id})"))
    }
}

fuzz_target!(|data: &[u8]| {
    let principal = Principal {
        user_id: "user_fuzz".into(),
        email: "fuzz@example.com".into(),
        name: "Fuzz".into(),
        organization_id: Some("org_fuzz".into()),
        organization_name: None,
        role: Some("admin".into()),
        other_roles: Vec::new(),
        permissions: vec!["image_generation".into()],
        workos_session_id: None,
    };
    if let Ok(mcp::Body::Batch(items)) = mcp::parse_body(data, None) {
        let answered =
            items.iter().filter(|i| !matches!(i, Ok(Message::Notification { .. } | Message::Response))).count();
        let reply = block_on(mcp::handle_batch(&principal, &Env, items, &mcp::Options::for_server(true)));
        assert_eq!(reply.is_some(), answered > 0, "a batch of requests, and only such, is answered");
        if let Some(reply) = reply {
            let response: serde_json::Value = serde_json::from_str(&reply.array()).expect("the answer is JSON");
            let answers = response.as_array().expect("a batch's answer is an array");
            assert_eq!(answers.len(), answered, "one answer per request or malformed element");
            for a in answers {
                assert_eq!(a["jsonrpc"], "2.0");
                assert!(a.get("result").is_some() != a.get("error").is_some());
            }
        }
    }
    match mcp::parse(data) {
        Err(error_response) => assert_eq!(error_response["jsonrpc"], "2.0"),
        Ok(message) => {
            let id = match &message {
                Message::Request { id, .. } => Some(id.clone()),
                _ => None,
            };
            let check = |response: &serde_json::Value, notifications: &[serde_json::Value]| {
                let id = id.as_ref().expect("only requests are answered");
                assert_eq!(Some(&response["id"]), serde_json::to_value(id).ok().as_ref(), "the id echoed");
                assert!(response.get("result").is_some() != response.get("error").is_some());
                for n in notifications {
                    assert_eq!(n["jsonrpc"], "2.0");
                    assert!(n.get("id").is_none(), "notifications carry no id");
                }
            };
            // 2026-07-28, with the fixtures (input-required rounds, sealed state).
            if let Message::Request { method, params, .. } = &message {
                let target =
                    params.as_ref().and_then(|p| p.get("name").or_else(|| p.get("uri"))).and_then(|v| v.as_str());
                let headers =
                    modern::Headers { protocol_version: Some("2026-07-28"), method: Some(method), name: target };
                let keys = SealKeys::parse("fuzz-key-fuzz-key-fuzz-key-fuzz-key").expect("a key");
                let cx = modern::Context { fixtures: true, client_id: Some("fuzz-client"), keys: &keys, now: 1_000 };
                let answer =
                    block_on(modern::handle(&principal, &Env, message.clone(), &headers, &cx)).expect("answered");
                assert!(matches!(answer.status, 200 | 400 | 404));
                check(&answer.response, &answer.notifications);
            }
            // 2025-11-25 and earlier, with the fixtures and every log level: the widest surface.
            let options = mcp::Options::for_server(true);
            let reply = block_on(mcp::handle(&principal, &Env, message, &options));
            assert_eq!(reply.is_some(), id.is_some(), "requests, and only requests, are answered");
            if let Some(reply) = reply {
                // The response is JSON text, written once; it says a result when `succeeded` does.
                let response: serde_json::Value = serde_json::from_str(&reply.response).expect("the response is JSON");
                assert_eq!(reply.succeeded, response.get("result").is_some());
                check(&response, &reply.notifications);
            }
        }
    }
});
