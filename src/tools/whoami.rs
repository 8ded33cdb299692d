//! `whoami`: the principal as this server sees it, written to answer "do I have the
//! permissions I need?" directly.
use super::{permitted, CallToolResult, TOOLS};
use crate::principal::Principal;
use serde_json::{json, Value};

pub fn run(principal: &Principal) -> CallToolResult {
    CallToolResult::text(summary(principal)).with_structured(profile(principal))
}

/// Who the principal is, as JSON (the tool's `structuredContent`, the `account://me` resource).
pub fn profile(principal: &Principal) -> Value {
    json!({
        "user_id": principal.user_id,
        "email": principal.email,
        "name": principal.name,
        "organization_id": principal.organization_id,
        "organization_name": principal.organization_name,
        "role": principal.role,
        "permissions": principal.permissions,
    })
}

/// The shape of `structuredContent` (ids and names are null outside an organization).
pub const OUTPUT_SCHEMA: &str = r#"{
    "type": "object",
    "properties": {
        "user_id": { "type": "string", "description": "WorkOS user id" },
        "email": { "type": "string" },
        "name": { "type": "string" },
        "organization_id": { "type": ["string", "null"] },
        "organization_name": { "type": ["string", "null"] },
        "role": { "type": ["string", "null"] },
        "permissions": { "type": "array", "items": { "type": "string" }, "description": "WorkOS permission slugs" }
    },
    "required": ["user_id", "email", "name", "organization_id", "organization_name", "role", "permissions"],
    "additionalProperties": false
}"#;

pub fn summary(p: &Principal) -> String {
    // AuthKit tokens may name no email (and WorkOS may not know one for the membership).
    let who =
        if p.email.is_empty() || p.email == p.name { p.name.clone() } else { format!("{} <{}>", p.name, p.email) };
    let mut lines = vec![format!("You are signed in as {who} (WorkOS user {}).", p.user_id)];
    lines.push(match (&p.organization_id, &p.organization_name) {
        (Some(id), Some(name)) => format!("Organization: {name} ({id})."),
        (Some(id), None) => format!("Organization: {id}."),
        (None, _) => "Organization: none (you are not signed in to an organization).".into(),
    });
    lines.push(format!("Role: {}.", p.role.as_deref().unwrap_or("none")));
    lines.push(if p.permissions.is_empty() {
        "Permissions: none.".into()
    } else {
        format!("Permissions ({}): {}.", p.permissions.len(), p.permissions.join(", "))
    });
    let (usable, locked): (Vec<_>, Vec<_>) = TOOLS.iter().partition(|t| permitted(p, t));
    let names: Vec<&str> = usable.iter().map(|t| t.name).collect();
    lines.push(format!("Tools you can use: {}.", names.join(", ")));
    if !locked.is_empty() {
        let needs: Vec<String> = locked
            .iter()
            .map(|t| format!("{} (needs the {} permission)", t.name, t.permission.unwrap_or("?")))
            .collect();
        lines.push(format!("Tools you cannot use: {}.", needs.join(", ")));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::testing::{alice, bob};
    use serde_json::json;

    #[test]
    fn admin_summary_lists_permissions_and_all_tools() {
        let r = run(&alice());
        assert!(!r.is_error);
        let text = r.first_text();
        assert!(text.contains("Alice Admin <alice@example.com> (WorkOS user user_alice)"), "{text}");
        assert!(text.contains("Organization: Acme (org_acme)."), "{text}");
        assert!(text.contains("Role: admin."), "{text}");
        assert!(text.contains("Permissions (2): image_generation, widgets:manage."), "{text}");
        assert!(text.contains("Tools you can use: add, whoami, generateImage, getUserProfile."), "{text}");
        assert!(!text.contains("cannot use"), "{text}");
        assert_eq!(
            r.structured_content,
            Some(json!({
                "user_id": "user_alice", "email": "alice@example.com", "name": "Alice Admin",
                "organization_id": "org_acme", "organization_name": "Acme", "role": "admin",
                "permissions": ["image_generation", "widgets:manage"],
            }))
        );
    }

    #[test]
    fn member_summary_names_the_missing_permission() {
        let text = run(&bob()).first_text().to_string();
        assert!(text.contains("Permissions: none."), "{text}");
        assert!(
            text.contains("Tools you cannot use: generateImage (needs the image_generation permission)."),
            "{text}"
        );
    }

    #[test]
    fn an_unknown_email_is_not_shown_as_empty_brackets() {
        let mut p = bob();
        p.email = String::new();
        let text = run(&p).first_text().to_string();
        assert!(text.starts_with(&format!("You are signed in as {} (WorkOS user {}).", p.name, p.user_id)), "{text}");
    }

    #[test]
    fn without_organization() {
        let mut p = bob();
        (p.organization_id, p.organization_name, p.role) = (None, None, None);
        let r = run(&p);
        let text = r.first_text();
        assert!(text.contains("Organization: none") && text.contains("Role: none."), "{text}");
        assert_eq!(r.structured_content.as_ref().map(|s| s["organization_id"].is_null()), Some(true));
    }
}
