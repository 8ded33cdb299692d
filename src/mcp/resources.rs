//! MCP resources: what a signed-in person can read about their own access — `account://me`
//! (who they are, their organization, role and permissions, as JSON) and, from the template
//! `account://tools/{name}`, one tool's requirements and whether they meet them (Markdown).
//! Everything is computed from the caller's principal on each read: nothing is stored.
use super::fixtures;
use super::jsonrpc::McpError;
use super::model::{Resource, ResourceContents, ResourceTemplate};
use crate::principal::Principal;
use crate::tools::{self, whoami};

pub const ACCOUNT_URI: &str = "account://me";
const TOOL_PREFIX: &str = "account://tools/";

pub const RESOURCES: &[Resource] = &[Resource {
    uri: ACCOUNT_URI,
    name: "account",
    title: "Your account",
    description: "Who you are signed in as: WorkOS user, organization, role and the permissions it grants (JSON).",
    mime_type: "application/json",
}];

pub const TEMPLATES: &[ResourceTemplate] = &[ResourceTemplate {
    uri_template: "account://tools/{name}",
    name: "tool-access",
    title: "Access to a tool",
    description: "What a tool does, the WorkOS permission it needs and whether your role grants it (Markdown).",
    mime_type: "text/markdown",
}];

pub fn list(fixtures_on: bool) -> Vec<Resource> {
    let extra = if fixtures_on { fixtures::RESOURCES } else { &[] };
    RESOURCES.iter().chain(extra).cloned().collect()
}

pub fn templates(fixtures_on: bool) -> Vec<ResourceTemplate> {
    let extra = if fixtures_on { fixtures::TEMPLATES } else { &[] };
    TEMPLATES.iter().chain(extra).cloned().collect()
}

pub fn read(principal: &Principal, uri: &str, fixtures_on: bool) -> Result<Vec<ResourceContents>, McpError> {
    if uri == ACCOUNT_URI {
        let json =
            serde_json::to_string_pretty(&whoami::profile(principal)).map_err(|e| McpError::Internal(e.to_string()))?;
        return Ok(vec![ResourceContents::text(uri, "application/json", json)]);
    }
    if let Some(tool) = uri.strip_prefix(TOOL_PREFIX).and_then(tools::find) {
        return Ok(vec![ResourceContents::text(uri, "text/markdown", tool_access(principal, tool))]);
    }
    match fixtures_on.then(|| fixtures::read(uri)).flatten() {
        Some(contents) => Ok(contents),
        None => Err(McpError::ResourceNotFound(uri.to_string())),
    }
}

/// Completion of the template's `{name}`: the tool names that start with `prefix`.
pub fn complete_tool_name(prefix: &str) -> Vec<String> {
    tools::TOOLS.iter().filter(|t| t.name.starts_with(prefix)).map(|t| t.name.to_string()).collect()
}

fn tool_access(principal: &Principal, tool: &tools::Tool) -> String {
    let access = match tool.permission {
        None => "Needs no permission: every signed-in user may call it.".to_string(),
        Some(_) if tools::permitted(principal, tool) => {
            format!("Needs the `{}` permission. **You have it.**", tool.permission.unwrap_or_default())
        }
        Some(_) => tools::refusal(principal, tool),
    };
    format!("# {} (`{}`)\n\n{}\n\n{access}\n", tool.title, tool.name, tool.description)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::testing::{alice, bob};
    use crate::tools::ResourceBody;

    fn text(contents: &[ResourceContents]) -> &str {
        match contents.first().map(|c| &c.body) {
            Some(ResourceBody::Text(t)) => t,
            _ => "",
        }
    }

    #[test]
    fn account_is_the_callers_own_profile() {
        let c = read(&alice(), ACCOUNT_URI, false).unwrap();
        assert_eq!(c[0].uri, ACCOUNT_URI);
        assert_eq!(c[0].mime_type, "application/json");
        let v: serde_json::Value = serde_json::from_str(text(&c)).unwrap();
        assert_eq!(v, whoami::profile(&alice()));
        let bob_view: serde_json::Value =
            serde_json::from_str(text(&read(&bob(), ACCOUNT_URI, false).unwrap())).unwrap();
        assert_eq!(bob_view["user_id"], "user_bob");
    }

    #[test]
    fn tool_access_says_whether_the_caller_may_use_it() {
        let a = read(&alice(), "account://tools/generateImage", false).unwrap();
        assert!(text(&a).contains("**You have it.**"), "{}", text(&a));
        let b = read(&bob(), "account://tools/generateImage", false).unwrap();
        assert!(text(&b).contains("requires the image_generation permission; your role (member)"), "{}", text(&b));
        let open = read(&bob(), "account://tools/add", false).unwrap();
        assert!(text(&open).contains("Needs no permission"));
    }

    #[test]
    fn unknown_uris_and_fixtures_when_off_are_not_found() {
        for uri in ["account://you", "account://tools/", "account://tools/rm", "test://static-text", "", "ACCOUNT://ME"]
        {
            assert_eq!(read(&alice(), uri, false), Err(McpError::ResourceNotFound(uri.into())), "{uri}");
        }
        assert!(read(&alice(), "test://static-text", true).is_ok());
        assert_eq!(list(false).len(), RESOURCES.len());
        assert!(list(true).len() > RESOURCES.len() && templates(true).len() > templates(false).len());
    }

    #[test]
    fn template_names_complete_by_prefix() {
        assert_eq!(complete_tool_name("ge"), vec!["generateImage", "getUserProfile"]);
        assert_eq!(complete_tool_name(""), tools::TOOLS.iter().map(|t| t.name).collect::<Vec<_>>());
        assert!(complete_tool_name("zz").is_empty());
    }
}
