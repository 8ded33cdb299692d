//! [`ToolEnv`] on Workers: the Workers AI binding (optional) and WorkOS with the API key.
use crate::config::Config;
use crate::context::Ctx;
use crate::limits::Limiter;
use crate::oauth::registry;
use crate::platform::audit::{self, Background};
use crate::platform::fetch::FetchClient;
use crate::platform::{isolate, js, kv};
use crate::principal::Principal;
use crate::tools::audit::{event, Caller};
use crate::tools::{GeneratedImage, Tool, ToolEnv, ToolUse};
use crate::workos::{User, WorkosClient};
use worker::Env;

pub const AI_BINDING: &str = "AI";
pub const IMAGE_MODEL: &str = "@cf/black-forest-labs/flux-1-schnell";

pub struct WorkerToolEnv<'a> {
    pub env: &'a Env,
    pub config: &'a Config,
    pub now: u64,
    /// Where tool use is recorded from (WorkOS audit log, after the response).
    pub audit: Option<ToolAudit<'a>>,
}

pub struct ToolAudit<'a> {
    pub background: Background<'a>,
    pub caller: Caller,
    /// The request's headers, when the caller's address and user agent are still to be read
    /// from them: only for a use that is recorded (two header reads fewer on every other call).
    pub headers: Option<&'a worker::Headers>,
}

/// `caller` with the address (`CF-Connecting-IP`) and user agent of the request with `headers`.
pub fn seen_from(mut caller: Caller, headers: &worker::Headers) -> Caller {
    caller.ip = headers.get("CF-Connecting-IP").ok().flatten();
    caller.user_agent = headers.get("User-Agent").ok().flatten();
    caller
}

impl ToolEnv for WorkerToolEnv<'_> {
    async fn generate_image(&self, prompt: &str, steps: u32) -> Option<Result<GeneratedImage, String>> {
        // No binding (local dev, tests): the tool renders its own preview.
        let ai = js::binding(self.env, AI_BINDING)?;
        let input = js::object(&[("prompt", prompt.into()), ("steps", steps.into())]);
        let output = js::call(&ai, "run", &[IMAGE_MODEL.into(), input]).await;
        // The model answers `{image}`: the JPEG in base64.
        let image =
            output.and_then(|out| js::field(&out, "image").as_string().ok_or_else(|| "no image in the answer".into()));
        Some(match image {
            Ok(base64) => Ok(GeneratedImage { base64, mime_type: "image/jpeg".into() }),
            Err(e) => {
                worker::console_warn!("workers ai: {e}");
                Err("Workers AI could not generate the image right now".into())
            }
        })
    }

    async fn workos_user(&self, user_id: &str) -> Result<User, String> {
        if !crate::platform::within_limit(self.env, Limiter::WorkosTool, user_id.to_string()).await {
            return Err("you asked for it too often; wait a minute".into());
        }
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

    async fn tool_used(&self, principal: &Principal, tool: &'static Tool, used: ToolUse) {
        let Some(audit) = &self.audit else { return };
        let policy = self.config.audit_tool_calls;
        if event(policy, principal, tool, used, &audit.caller, self.now).is_none() {
            return;
        }
        let mut caller = match &audit.headers {
            Some(headers) => seen_from(audit.caller.clone(), headers),
            None => audit.caller.clone(),
        };
        // The client's name (a KV read, perhaps a metadata document's fetch) is read after the
        // answer too, with the event written and sent.
        let (env, principal, now) = (self.env.clone(), principal.clone(), self.now);
        audit.background.wait_until(async move {
            // Each event is a WorkOS call on the API key everyone's sign-ins share: counted per
            // person (as a tool that asks WorkOS is), so a flood of refused calls is not a flood
            // of events.
            let key = ["audit:", principal.user_id.as_str()].concat();
            if !crate::platform::within_limit(&env, Limiter::WorkosTool, key).await {
                worker::console_warn!("audit: {} past the limit this minute; a tool event not sent", principal.user_id);
                return;
            }
            let Ok(config) = crate::platform::config(&env) else { return };
            if let Some(id) = &caller.client_id {
                caller.client_name = client_name(&env, &config, id, now).await;
            }
            if let Some(e) = event(policy, &principal, tool, used, &caller, now) {
                audit::send(&config.api_base_url, &config.client_id, &config.api_key, &e, now).await;
            }
        });
    }
}

/// The registered (or metadata-document) name of an MCP client; none when it cannot be read.
async fn client_name(env: &Env, config: &Config, client_id: &str, now: u64) -> Option<String> {
    let store = kv::KvStore::bound(env, Default::default()).ok()?;
    let http = FetchClient::workos();
    let (jwks, org_names, copies) = (isolate::workos_jwks(), isolate::org_names(), isolate::kv_copies());
    let ctx = Ctx {
        config,
        store: &store,
        http: &http,
        jwks: &jwks,
        org_names: &org_names,
        copies: &copies,
        now,
        origin: "",
    };
    registry::find(&ctx, client_id).await.ok().flatten().map(|c| c.display_name().to_string())
}
