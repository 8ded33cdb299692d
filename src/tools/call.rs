//! One permission rule ([`permitted`]) that both `tools/list` and `tools/call` apply, and
//! `tools/call` itself: find the tool, check the permission, validate the arguments, run it.
use super::registry::{find, Tool, ToolId, TOOLS};
use super::{add, args, generate_image, get_user_profile, whoami, CallToolResult, Notices, ToolEnv, ToolUse};
use crate::principal::Principal;
use serde_json::Value;

/// The permission rule: a tool without a required permission is open to every signed-in user;
/// otherwise the principal's WorkOS permissions must include it (as the bearer check found them:
/// what the token was issued with, unless a WorkOS event has changed them since; docs/security.md).
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

/// Run tool `name` for `principal`. Refusals, invalid arguments and failures are `isError` results.
pub async fn call<E: ToolEnv>(
    principal: &Principal,
    env: &E,
    name: &str,
    arguments: Option<Value>,
    notices: &Notices,
) -> Result<CallToolResult, CallError> {
    let tool = find(name).ok_or(CallError::UnknownTool)?;
    if !permitted(principal, tool) {
        env.tool_used(principal, tool, ToolUse::Denied).await;
        return Ok(CallToolResult::error(refusal(principal, tool)));
    }
    let args = match args::validate(tool, arguments) {
        Ok(a) => a,
        Err(explanation) => return Ok(CallToolResult::error(explanation)),
    };
    let result = match tool.id {
        ToolId::Add => match args.add() {
            Ok(a) => add::run(a),
            Err(e) => e,
        },
        ToolId::Whoami => whoami::run(principal),
        ToolId::GenerateImage => match args.generate_image() {
            Ok(a) => generate_image::run(env, a, notices).await,
            Err(e) => e,
        },
        ToolId::GetUserProfile => get_user_profile::run(env, principal).await,
    };
    env.tool_used(principal, tool, ToolUse::Called { failed: result.is_error }).await;
    Ok(result)
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
#[path = "call_tests.rs"]
mod tests;
