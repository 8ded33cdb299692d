//! What the tools need from the platform (the Worker implements it in `platform::tools`; tests
//! with a scripted double), so every tool runs natively in tests.

/// What tools need from the platform. Error strings are shown to the user as they are, so
/// implementations return readable messages without internal details or secrets.
#[allow(async_fn_in_trait)]
pub trait ToolEnv {
    /// Workers AI (`@cf/black-forest-labs/flux-1-schnell`) when this deployment has the AI
    /// binding; `None` without it (local dev, tests) — then the tool renders a local PNG preview.
    async fn generate_image(&self, prompt: &str, steps: u32) -> Option<Result<GeneratedImage, String>>;
    /// The user's WorkOS record, fetched with the server's API key (never the client's token).
    async fn workos_user(&self, user_id: &str) -> Result<crate::workos::User, String>;
    /// A tool was run, or refused for a missing permission (the Worker records it in WorkOS's
    /// audit log, see `tools::audit`). Never fails the call.
    async fn tool_used(&self, _principal: &crate::principal::Principal, _tool: &'static super::Tool, _used: ToolUse) {}
}

/// What became of a `tools/call` of a known tool with valid arguments (or none, when refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolUse {
    /// The tool ran; `failed` when its result is an error (e.g. Workers AI failed).
    Called { failed: bool },
    /// Refused: the caller lacks the tool's permission.
    Denied,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedImage {
    pub base64: String,
    pub mime_type: String,
}
