//! Tool use in WorkOS's audit log: each call of a permission-gated tool and each refusal for a
//! missing permission becomes an event (`mcp.tool.called` / `mcp.tool.denied`; actor = the user,
//! target = the tool, metadata = the MCP client and, for a call, whether it failed). Nothing the
//! caller sent — no prompt text — is recorded. `AUDIT_TOOL_CALLS` decides which calls count.
use super::{Tool, ToolUse};
use crate::config::ToolAuditPolicy;
use crate::principal::Principal;
use crate::workos::AuditEvent;

pub const CALLED_ACTION: &str = "mcp.tool.called";
pub const DENIED_ACTION: &str = "mcp.tool.denied";
/// The target type the actions' schemas name (README's dashboard step).
pub const TARGET_TYPE: &str = "mcp_tool";

/// Who made the call, as far as the Worker knows it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Caller {
    /// The MCP client's id (the Worker's own grants; AuthKit tokens do not say).
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    /// Client IP (WorkOS requires a location).
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The event for this use of `tool`, when the policy records it and the caller acts in an
/// organization (WorkOS audit logs belong to one).
pub fn event(
    policy: ToolAuditPolicy,
    principal: &Principal,
    tool: &Tool,
    used: ToolUse,
    caller: &Caller,
    now: u64,
) -> Option<AuditEvent> {
    let recorded = match policy {
        ToolAuditPolicy::Off => false,
        ToolAuditPolicy::All => true,
        ToolAuditPolicy::Gated => tool.permission.is_some() || used == ToolUse::Denied,
    };
    let organization_id = principal.organization_id.clone().filter(|_| recorded)?;
    let mut metadata = Vec::new();
    if let Some(id) = &caller.client_id {
        metadata.push(("mcp_client_id".to_string(), clip(id)));
    }
    if let Some(name) = &caller.client_name {
        metadata.push(("mcp_client_name".to_string(), clip(name)));
    }
    let action = match used {
        ToolUse::Called { failed } => {
            metadata.push(("outcome".to_string(), if failed { "error" } else { "ok" }.to_string()));
            CALLED_ACTION
        }
        ToolUse::Denied => {
            metadata.push(("missing_permission".to_string(), tool.permission.unwrap_or_default().to_string()));
            DENIED_ACTION
        }
    };
    Some(AuditEvent {
        organization_id,
        action: action.to_string(),
        occurred_at: crate::time::iso8601(now),
        actor_id: principal.user_id.to_string(),
        actor_name: Some(principal.name.clone()).filter(|n| !n.is_empty()),
        target_type: TARGET_TYPE.to_string(),
        target_id: tool.name.to_string(),
        target_name: Some(tool.title.to_string()),
        location: caller.ip.clone().unwrap_or_else(|| "0.0.0.0".into()),
        user_agent: caller.user_agent.clone(),
        metadata,
    })
}

/// WorkOS takes metadata values of at most 500 characters.
fn clip(value: &str) -> String {
    value.chars().take(500).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::find;
    use crate::tools::testing::{alice, bob};

    fn caller() -> Caller {
        Caller {
            client_id: Some("client_abc".into()),
            client_name: Some("Claude".into()),
            ip: Some("203.0.113.9".into()),
            user_agent: Some("mcp-remote/0.15".into()),
        }
    }

    #[test]
    fn gated_tools_and_refusals_are_recorded_by_default() {
        let image = find("generateImage").unwrap();
        let add = find("add").unwrap();
        let called =
            event(ToolAuditPolicy::Gated, &alice(), image, ToolUse::Called { failed: false }, &caller(), 1_795_357_445)
                .unwrap();
        assert_eq!(called.action, "mcp.tool.called");
        assert_eq!((called.organization_id.as_str(), called.actor_id.as_str()), ("org_acme", "user_alice"));
        assert_eq!((called.target_type.as_str(), called.target_id.as_str()), ("mcp_tool", "generateImage"));
        assert_eq!(called.occurred_at, "2026-11-22T14:24:05.000Z");
        assert_eq!(called.location, "203.0.113.9");
        assert_eq!(
            called.metadata,
            vec![
                ("mcp_client_id".to_string(), "client_abc".to_string()),
                ("mcp_client_name".to_string(), "Claude".to_string()),
                ("outcome".to_string(), "ok".to_string())
            ]
        );
        let denied = event(ToolAuditPolicy::Gated, &bob(), image, ToolUse::Denied, &caller(), 0).unwrap();
        assert_eq!(denied.action, "mcp.tool.denied");
        assert!(denied.metadata.contains(&("missing_permission".into(), "image_generation".into())));
        assert!(event(ToolAuditPolicy::Gated, &alice(), add, ToolUse::Called { failed: false }, &caller(), 0).is_none());
        assert!(event(ToolAuditPolicy::All, &alice(), add, ToolUse::Called { failed: true }, &caller(), 0)
            .is_some_and(|e| e.metadata.contains(&("outcome".into(), "error".into()))));
        assert!(event(ToolAuditPolicy::Off, &bob(), image, ToolUse::Denied, &caller(), 0).is_none());
    }

    #[test]
    fn nothing_without_an_organization_and_no_location_still_gives_one() {
        let image = find("generateImage").unwrap();
        let mut p = alice();
        p.organization_id = None;
        assert!(event(ToolAuditPolicy::All, &p, image, ToolUse::Denied, &caller(), 0).is_none());
        let e = event(ToolAuditPolicy::Gated, &alice(), image, ToolUse::Denied, &Caller::default(), 0).unwrap();
        assert_eq!(e.location, "0.0.0.0");
        assert_eq!(e.metadata, vec![("missing_permission".to_string(), "image_generation".to_string())]);
    }
}
