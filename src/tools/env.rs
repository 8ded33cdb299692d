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
}

#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedImage {
    pub base64: String,
    pub mime_type: String,
}
