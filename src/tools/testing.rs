//! Principals and a scripted [`ToolEnv`] shared by the tool and MCP dispatch tests.
use crate::principal::Principal;
use crate::tools::{GeneratedImage, ToolEnv};
use crate::workos::User;
use std::cell::RefCell;

pub fn alice() -> Principal {
    Principal {
        user_id: "user_alice".into(),
        email: "alice@example.com".into(),
        name: "Alice Admin".into(),
        organization_id: Some("org_acme".into()),
        organization_name: Some("Acme".into()),
        role: Some("admin".into()),
        other_roles: Vec::new(),
        permissions: vec!["image_generation".into(), "widgets:manage".into()],
        workos_session_id: Some("session_1".into()),
    }
}

pub fn bob() -> Principal {
    Principal {
        user_id: "user_bob".into(),
        email: "bob@example.com".into(),
        name: "Bob Member".into(),
        organization_id: Some("org_acme".into()),
        organization_name: None,
        role: Some("member".into()),
        other_roles: Vec::new(),
        permissions: Vec::new(),
        workos_session_id: None,
    }
}

pub fn workos_user(id: &str) -> User {
    User {
        id: id.into(),
        email: "alice@example.com".into(),
        first_name: Some("Alice".into()),
        last_name: Some("Admin".into()),
        email_verified: Some(true),
        external_id: None,
        profile_picture_url: Some("https://example.com/alice.png".into()),
    }
}

/// Answers from fixed values and records what it was asked.
pub struct ScriptedEnv {
    pub image: Option<Result<GeneratedImage, String>>,
    pub user: Result<User, String>,
    pub calls: RefCell<Vec<String>>,
}

impl ScriptedEnv {
    /// No AI binding (local preview); WorkOS answers with alice's record.
    pub fn local() -> Self {
        ScriptedEnv { image: None, user: Ok(workos_user("user_alice")), calls: RefCell::new(Vec::new()) }
    }
    pub fn with_ai(image: Result<GeneratedImage, String>) -> Self {
        ScriptedEnv { image: Some(image), ..Self::local() }
    }
    pub fn calls(&self) -> Vec<String> {
        self.calls.borrow().clone()
    }
}

impl ToolEnv for ScriptedEnv {
    async fn generate_image(&self, prompt: &str, steps: u32) -> Option<Result<GeneratedImage, String>> {
        self.calls.borrow_mut().push(format!("generate_image({prompt}, {steps})"));
        self.image.clone()
    }
    async fn workos_user(&self, user_id: &str) -> Result<User, String> {
        self.calls.borrow_mut().push(format!("workos_user({user_id})"));
        self.user.clone()
    }
    async fn tool_used(&self, principal: &Principal, tool: &'static crate::tools::Tool, used: crate::tools::ToolUse) {
        self.calls.borrow_mut().push(format!("tool_used({}, {}, {used:?})", principal.user_id, tool.name));
    }
}
