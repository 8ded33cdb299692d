//! The MCP tools: one file per tool, one [`registry`] that declares them, one permission rule
//! ([`permitted`]) that both `tools/list` and `tools/call` apply.
mod add;
mod args;
mod generate_image;
mod get_user_profile;
mod png;
mod preview;
pub mod registry;
mod whoami;

pub use registry::{find, Param, ParamKind, Tool, ToolId, TOOLS};

use crate::mcp::ToolEnv;
use crate::signin::Principal;
use serde_json::{json, Value};

/// The permission rule: a tool without a required permission is open to every signed-in user;
/// otherwise the principal's WorkOS permissions (read fresh on each request) must include it.
pub fn permitted(principal: &Principal, tool: &Tool) -> bool {
    tool.permission.is_none_or(|needed| principal.permissions.iter().any(|p| p == needed))
}

/// The tools this principal may see and call, in registry order.
pub fn visible(principal: &Principal) -> impl Iterator<Item = &'static Tool> + '_ {
    TOOLS.iter().filter(move |t| permitted(principal, t))
}

#[derive(Debug, PartialEq)]
pub enum CallError {
    /// Not in the registry: a protocol error (-32602), not a tool result.
    UnknownTool,
}

/// A `tools/call` result: content blocks, optional structured content, and whether it is an error.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    pub content: Vec<Value>,
    pub structured: Option<Value>,
    pub is_error: bool,
}

impl ToolResult {
    pub fn text(text: impl Into<String>) -> Self {
        ToolResult { content: vec![text_block(text)], structured: None, is_error: false }
    }
    pub fn error(text: impl Into<String>) -> Self {
        ToolResult { content: vec![text_block(text)], structured: None, is_error: true }
    }
    pub fn with_structured(mut self, value: Value) -> Self {
        self.structured = Some(value);
        self
    }
    pub fn into_json(self) -> Value {
        let mut out = json!({ "content": self.content });
        if let Some(obj) = out.as_object_mut() {
            if let Some(s) = self.structured {
                obj.insert("structuredContent".into(), s);
            }
            if self.is_error {
                obj.insert("isError".into(), Value::Bool(true));
            }
        }
        out
    }
}

pub fn text_block(text: impl Into<String>) -> Value {
    json!({ "type": "text", "text": text.into() })
}

pub fn image_block(base64: impl Into<String>, mime_type: impl Into<String>) -> Value {
    json!({ "type": "image", "data": base64.into(), "mimeType": mime_type.into() })
}

/// Run tool `name` for `principal`. Refusals, invalid arguments and failures are `isError` results.
pub async fn call<E: ToolEnv>(
    principal: &Principal,
    env: &E,
    name: &str,
    arguments: Option<Value>,
) -> Result<ToolResult, CallError> {
    let tool = find(name).ok_or(CallError::UnknownTool)?;
    if !permitted(principal, tool) {
        return Ok(ToolResult::error(refusal(principal, tool)));
    }
    let args = match args::validate(tool, arguments) {
        Ok(a) => a,
        Err(explanation) => return Ok(ToolResult::error(explanation)),
    };
    Ok(match tool.id {
        ToolId::Add => add::run(&args),
        ToolId::Whoami => whoami::run(principal),
        ToolId::GenerateImage => generate_image::run(env, &args).await,
        ToolId::GetUserProfile => get_user_profile::run(env, principal).await,
    })
}

/// "generateImage requires the image_generation permission; your role (member) does not have it. …"
pub fn refusal(principal: &Principal, tool: &Tool) -> String {
    let needed = tool.permission.unwrap_or("(none)");
    let holder = match (&principal.role, &principal.organization_name) {
        (Some(role), Some(org)) => format!("your role ({role}) in {org} does not have it"),
        (Some(role), None) => format!("your role ({role}) does not have it"),
        (None, _) => "you have no organization role that grants it".to_string(),
    };
    format!(
        "{} requires the {needed} permission; {holder}. Ask an organization admin to grant it; \
it applies from your client's next token refresh or sign-in.",
        tool.name
    )
}

#[cfg(test)]
mod png_tests;
#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;
