//! [`ToolEnv`] on Workers: the Workers AI binding (optional) and WorkOS with the API key.
use crate::config::Config;
use crate::platform::fetch::FetchClient;
use crate::tools::{GeneratedImage, ToolEnv};
use crate::workos::{User, WorkosClient};
use worker::Env;

pub const AI_BINDING: &str = "AI";
pub const IMAGE_MODEL: &str = "@cf/black-forest-labs/flux-1-schnell";

pub struct WorkerToolEnv<'a> {
    pub env: &'a Env,
    pub config: &'a Config,
    pub now: u64,
}

#[derive(serde::Serialize)]
struct FluxInput<'a> {
    prompt: &'a str,
    steps: u32,
}

#[derive(serde::Deserialize)]
struct FluxOutput {
    image: String,
}

impl ToolEnv for WorkerToolEnv<'_> {
    async fn generate_image(&self, prompt: &str, steps: u32) -> Option<Result<GeneratedImage, String>> {
        // No binding (local dev, tests): the tool renders its own preview.
        let ai = self.env.ai(AI_BINDING).ok()?;
        Some(match ai.run::<_, FluxOutput>(IMAGE_MODEL, FluxInput { prompt, steps }).await {
            Ok(out) => Ok(GeneratedImage { base64: out.image, mime_type: "image/jpeg".into() }),
            Err(e) => {
                worker::console_warn!("workers ai: {e}");
                Err("Workers AI could not generate the image right now".into())
            }
        })
    }

    async fn workos_user(&self, user_id: &str) -> Result<User, String> {
        let http = FetchClient::workos();
        let client = WorkosClient {
            http: &http,
            base_url: &self.config.api_base_url,
            client_id: &self.config.client_id,
            api_key: &self.config.api_key,
            now: self.now,
        };
        client.get_user(user_id).await.map_err(|e| {
            worker::console_warn!("workos get user: {e}");
            "WorkOS did not answer".to_string()
        })
    }
}
