//! MCP prompts: ready-made requests a person can pick in their client. `generate-image` (shown
//! only to those who may call generateImage) and `access-review`, which embeds `account://me`.
use super::fixtures;
use super::jsonrpc::McpError;
use super::model::{Prompt, PromptArgument, PromptMessage};
use super::resources;
use crate::principal::Principal;
use crate::tools::{self, Content, ResourceContents};
use serde_json::{Map, Value};

pub const STYLES: &[&str] =
    &["photograph", "watercolor", "oil painting", "pencil sketch", "line art", "pixel art", "3D render", "isometric"];

pub const PROMPTS: &[Prompt] = &[
    Prompt {
        name: "generate-image",
        title: "Generate an image",
        description: "Ask for an image of a subject in a style; the model calls generateImage (needs the \
image_generation permission).",
        arguments: &[
            PromptArgument { name: "subject", description: "What the image shows.", required: true },
            PromptArgument {
                name: "style",
                description: "A visual style, e.g. watercolor or pixel art (completion suggests some).",
                required: false,
            },
        ],
    },
    Prompt {
        name: "access-review",
        title: "Review my access",
        description: "Explain which tools you can use here, which you cannot and which WorkOS permission each needs.",
        arguments: &[],
    },
];

/// The prompts this principal may use: `generate-image` only with generateImage's permission.
pub fn list(principal: &Principal, fixtures_on: bool) -> Vec<Prompt> {
    let extra = if fixtures_on { fixtures::PROMPTS } else { &[] };
    PROMPTS.iter().filter(|p| visible(principal, p.name)).chain(extra).cloned().collect()
}

fn visible(principal: &Principal, name: &str) -> bool {
    name != "generate-image" || tools::find("generateImage").is_some_and(|t| tools::permitted(principal, t))
}

/// `prompts/get`: the messages, or -32602 for an unknown prompt or missing/invalid arguments.
pub fn get(
    principal: &Principal,
    name: &str,
    arguments: &Map<String, Value>,
    fixtures_on: bool,
) -> Result<(String, Vec<PromptMessage>), McpError> {
    let Some(prompt) = list(principal, fixtures_on).into_iter().find(|p| p.name == name) else {
        return Err(McpError::InvalidParams(format!("unknown prompt {name:?}")));
    };
    let mut args = Map::new();
    for a in prompt.arguments {
        match arguments.get(a.name) {
            Some(Value::String(v)) => {
                args.insert(a.name.to_string(), Value::String(v.clone()));
            }
            Some(_) => return Err(McpError::InvalidParams(format!("argument {:?} must be a string", a.name))),
            None if a.required => {
                return Err(McpError::InvalidParams(format!("{name} needs the argument {:?}", a.name)));
            }
            None => {}
        }
    }
    let arg = |k: &str| args.get(k).and_then(Value::as_str).unwrap_or_default().trim().to_string();
    let messages = match prompt.name {
        "generate-image" => {
            let subject = arg("subject");
            if subject.is_empty() {
                return Err(McpError::InvalidParams("\"subject\" must not be blank".into()));
            }
            let style = arg("style");
            let styled = if style.is_empty() { String::new() } else { format!(" in the style of {style}") };
            vec![PromptMessage::user(Content::text(format!(
                "Generate an image of {subject}{styled} with the generateImage tool, using 8 steps. \
Write the prompt for the tool yourself: describe the subject, composition, lighting and style in one or two sentences."
            )))]
        }
        "access-review" => {
            let me = resources::read(principal, resources::ACCOUNT_URI, false)?;
            vec![
                PromptMessage::user(Content::Resource {
                    resource: me.into_iter().next().unwrap_or_else(|| ResourceContents::text("", "text/plain", "")),
                }),
                PromptMessage::user(Content::text(
                    "Above is my account on this MCP server. Explain in plain words which of the server's tools I \
can use, which I cannot, and which WorkOS permission I would need for each of those. Call the whoami tool if \
you need more detail.",
                )),
            ]
        }
        other => fixtures::prompt_messages(other, &args).unwrap_or_default(),
    };
    Ok((prompt.description.to_string(), messages))
}

/// Completion of `generate-image`'s `style`: the known styles containing `value` (ASCII
/// case-insensitive: the styles are ASCII, and Unicode case tables would cost the Wasm ~10 KB).
pub fn complete_style(value: &str) -> Vec<String> {
    let needle = value.to_ascii_lowercase();
    STYLES.iter().filter(|s| s.to_ascii_lowercase().contains(&needle)).map(|s| s.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::testing::{alice, bob};
    use serde_json::json;

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn generate_image_is_offered_only_to_those_who_may_generate() {
        let names = |p: &Principal| list(p, false).iter().map(|p| p.name).collect::<Vec<_>>();
        assert_eq!(names(&alice()), vec!["generate-image", "access-review"]);
        assert_eq!(names(&bob()), vec!["access-review"]);
        let e = get(&bob(), "generate-image", &args(json!({"subject": "a fox"})), false).unwrap_err();
        assert_eq!(e, McpError::InvalidParams("unknown prompt \"generate-image\"".into()));
    }

    #[test]
    fn generate_image_uses_its_arguments() {
        let (_, m) =
            get(&alice(), "generate-image", &args(json!({"subject": "a fox", "style": "watercolor"})), false).unwrap();
        let text = m[0].content.as_text().unwrap_or_default();
        assert!(
            text.contains("an image of a fox in the style of watercolor") && text.contains("generateImage"),
            "{text}"
        );
        let (_, m) = get(&alice(), "generate-image", &args(json!({"subject": "a fox"})), false).unwrap();
        assert!(!m[0].content.as_text().unwrap_or_default().contains("style of"));
    }

    #[test]
    fn bad_arguments_are_invalid_params() {
        for bad in [json!({}), json!({"subject": 5}), json!({"subject": "  "}), json!({"subject": "x", "style": ["a"]})]
        {
            assert!(
                matches!(get(&alice(), "generate-image", &args(bad.clone()), false), Err(McpError::InvalidParams(_))),
                "{bad}"
            );
        }
        assert!(get(&alice(), "nope", &Map::new(), false).is_err());
        assert!(get(&alice(), "test_simple_prompt", &Map::new(), false).is_err(), "fixtures are off");
    }

    #[test]
    fn access_review_embeds_the_account_resource() {
        let (_, m) = get(&bob(), "access-review", &Map::new(), false).unwrap();
        let wire = serde_json::to_value(&m).unwrap();
        assert_eq!(wire[0]["content"]["type"], "resource");
        assert_eq!(wire[0]["content"]["resource"]["uri"], "account://me");
        assert!(wire[0]["content"]["resource"]["text"].as_str().unwrap_or_default().contains("user_bob"));
        assert_eq!(wire[1]["content"]["type"], "text");
    }

    #[test]
    fn styles_complete_by_substring() {
        assert_eq!(complete_style("PAINT"), vec!["oil painting"]);
        assert_eq!(complete_style("").len(), STYLES.len());
        assert!(complete_style("zzz").is_empty());
    }
}
