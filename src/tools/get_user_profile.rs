//! `getUserProfile`: the caller's own WorkOS user record, fetched server-side with the API key
//! (the management-API pattern); the client's token never reaches WorkOS.
use super::CallToolResult;
use super::ToolEnv;
use crate::principal::Principal;
use crate::workos::User;
use serde_json::json;

pub async fn run<E: ToolEnv>(env: &E, principal: &Principal) -> CallToolResult {
    match env.workos_user(principal.user_id.as_str()).await {
        Ok(user) => CallToolResult::text(summary(&user)).with_structured(json!({
            "id": user.id,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email_verified": user.email_verified,
            "profile_picture_url": user.profile_picture_url,
        })),
        Err(reason) => CallToolResult::error(format!(
            "Could not fetch your WorkOS profile right now ({reason}). Please try again shortly."
        )),
    }
}

/// The shape of `structuredContent`: the WorkOS user record's public fields.
pub const OUTPUT_SCHEMA: &str = r#"{
    "type": "object",
    "properties": {
        "id": { "type": "string", "description": "WorkOS user id" },
        "email": { "type": "string" },
        "first_name": { "type": ["string", "null"] },
        "last_name": { "type": ["string", "null"] },
        "email_verified": { "type": ["boolean", "null"] },
        "profile_picture_url": { "type": ["string", "null"] }
    },
    "required": ["id", "email", "first_name", "last_name", "email_verified", "profile_picture_url"],
    "additionalProperties": false
}"#;

fn summary(u: &User) -> String {
    let or_unset =
        |v: &Option<String>| v.as_deref().filter(|s| !s.trim().is_empty()).unwrap_or("(not set)").to_string();
    let verified = match u.email_verified {
        Some(true) => "verified",
        Some(false) => "not verified",
        None => "verification unknown",
    };
    [
        format!("Your WorkOS profile ({}):", u.display_name()),
        format!("- User id: {}", u.id),
        format!("- Email: {} ({verified})", u.email),
        format!("- First name: {}", or_unset(&u.first_name)),
        format!("- Last name: {}", or_unset(&u.last_name)),
        format!("- Profile picture: {}", or_unset(&u.profile_picture_url)),
    ]
    .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::testing::{alice, bob, ScriptedEnv};
    use futures_executor::block_on;

    #[test]
    fn returns_the_callers_record() {
        let env = ScriptedEnv::local();
        let r = block_on(run(&env, &alice()));
        assert!(!r.is_error);
        assert_eq!(env.calls(), vec!["workos_user(user_alice)"]);
        let text = r.first_text();
        assert!(text.starts_with("Your WorkOS profile (Alice Admin):"), "{text}");
        assert!(text.contains("- Email: alice@example.com (verified)"), "{text}");
        assert!(text.contains("- Profile picture: https://example.com/alice.png"), "{text}");
        assert_eq!(
            r.structured_content,
            Some(json!({
                "id": "user_alice", "email": "alice@example.com", "first_name": "Alice", "last_name": "Admin",
                "email_verified": true, "profile_picture_url": "https://example.com/alice.png",
            }))
        );
    }

    #[test]
    fn asks_for_the_callers_own_id_and_shows_missing_fields() {
        let mut env = ScriptedEnv::local();
        if let Ok(u) = env.user.as_mut() {
            (u.first_name, u.last_name, u.email_verified, u.profile_picture_url) = (None, None, None, None);
        }
        let r = block_on(run(&env, &bob()));
        assert_eq!(env.calls(), vec!["workos_user(user_bob)"]);
        let text = r.first_text();
        assert!(text.contains("- First name: (not set)") && text.contains("verification unknown"), "{text}");
        assert_eq!(r.structured_content.as_ref().map(|s| s["first_name"].is_null()), Some(true));
    }

    #[test]
    fn workos_failure_is_a_readable_tool_error() {
        let env = ScriptedEnv { user: Err("WorkOS did not answer".into()), ..ScriptedEnv::local() };
        let r = block_on(run(&env, &alice()));
        assert!(r.is_error);
        assert_eq!(r.structured_content, None);
        let text = r.first_text();
        assert!(text.starts_with("Could not fetch your WorkOS profile right now"), "{text}");
    }
}
