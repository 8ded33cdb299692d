//! JSON-RPC parsing and MCP dispatch: any body gets a JSON-RPC answer (or none, for
//! notifications), never a panic; answers echo the request id.
#![no_main]
use futures_executor::block_on;
use libfuzzer_sys::fuzz_target;
use mcp_authkit_worker::mcp::{self, Message};
use mcp_authkit_worker::tools::{GeneratedImage, ToolEnv};
use mcp_authkit_worker::principal::Principal;
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
        permissions: vec!["image_generation".into()],
        workos_session_id: None,
    };
    match mcp::parse(data) {
        Err(error_response) => assert_eq!(error_response["jsonrpc"], "2.0"),
        Ok(message) => {
            let id = match &message {
                Message::Request { id, .. } => Some(id.clone()),
                _ => None,
            };
            // With the fixtures and every log level: the widest surface.
            let options = mcp::Options::for_server(true);
            let reply = block_on(mcp::handle(&principal, &Env, message, &options));
            assert_eq!(reply.is_some(), id.is_some(), "requests, and only requests, are answered");
            if let (Some(reply), Some(id)) = (reply, id) {
                let answer = &reply.response;
                assert_eq!(Some(&answer["id"]), serde_json::to_value(&id).ok().as_ref(), "the id echoed");
                assert!(answer.get("result").is_some() != answer.get("error").is_some());
                for n in &reply.notifications {
                    assert_eq!(n["jsonrpc"], "2.0");
                    assert!(n.get("id").is_none(), "notifications carry no id");
                }
            }
        }
    }
});
