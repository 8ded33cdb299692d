//! The permission rule and `tools::call` routing (each tool's behaviour is tested in its file).
use super::*;
use crate::tools::testing::{alice, bob, ScriptedEnv};
use futures_executor::block_on;
use serde_json::{json, Value};

fn names(p: &Principal) -> Vec<&'static str> {
    visible(p).map(|t| t.name).collect()
}

#[test]
fn one_rule_decides_visibility() {
    assert_eq!(names(&alice()), vec!["add", "whoami", "generateImage", "getUserProfile"]);
    assert_eq!(names(&bob()), vec!["add", "whoami", "getUserProfile"]);
    let image = find("generateImage").map(|t| (permitted(&alice(), t), permitted(&bob(), t)));
    assert_eq!(image, Some((true, false)));
    // Exact slugs only: no prefix or case games.
    let mut p = bob();
    p.permissions = vec!["image_generation:extra".into(), "IMAGE_GENERATION".into(), "image".into()];
    assert!(!names(&p).contains(&"generateImage"));
    p.permissions.push("image_generation".into());
    assert!(names(&p).contains(&"generateImage"));
}

#[test]
fn every_permission_named_in_the_registry_is_a_slug() {
    for t in TOOLS {
        if let Some(p) = t.permission {
            assert!(!p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b == b':'), "{p}");
        }
    }
}

#[test]
fn refused_call_names_tool_permission_and_role_without_running_it() {
    let env = ScriptedEnv::local();
    let r = block_on(call(&bob(), &env, "generateImage", Some(json!({"prompt": "a cat"})), &Notices::none()))
        .expect("known tool");
    assert!(r.is_error);
    let text = r.first_text();
    assert!(
        text.starts_with(
            "generateImage requires the image_generation permission; your role (member) does not have it."
        ),
        "{text}"
    );
    assert_eq!(env.calls(), vec!["tool_used(user_bob, generateImage, Denied)"], "refused before any work");
    // Refusal comes before argument validation: the permission is the actual problem.
    let r =
        block_on(call(&bob(), &env, "generateImage", Some(json!({"bad": 1})), &Notices::none())).expect("known tool");
    assert!(r.first_text().contains("image_generation permission"));
}

#[test]
fn refusal_wording_without_role_or_with_organization() {
    let tool = find("generateImage").expect("registered");
    let mut p = bob();
    p.role = None;
    assert!(refusal(&p, tool).contains("you have no organization role that grants it"));
    let mut p = alice();
    p.permissions.clear();
    assert!(refusal(&p, tool).contains("your role (admin) in Acme does not have it"));
}

#[test]
fn each_run_and_each_refusal_is_reported_once_invalid_arguments_are_not() {
    let env = ScriptedEnv::local();
    block_on(call(&alice(), &env, "add", Some(json!({"a": 1, "b": 2})), &Notices::none())).unwrap();
    block_on(call(&alice(), &env, "add", Some(json!({"a": 1})), &Notices::none())).unwrap();
    block_on(call(&bob(), &env, "generateImage", Some(json!({"prompt": "p"})), &Notices::none())).unwrap();
    assert_eq!(
        env.calls(),
        vec!["tool_used(user_alice, add, Called { failed: false })", "tool_used(user_bob, generateImage, Denied)"]
    );
}

#[test]
fn unknown_tools_are_a_protocol_error() {
    let env = ScriptedEnv::local();
    assert_eq!(block_on(call(&alice(), &env, "deleteEverything", None, &Notices::none())), Err(CallError::UnknownTool));
}

#[test]
fn invalid_arguments_are_tool_errors() {
    let env = ScriptedEnv::local();
    let r = block_on(call(&alice(), &env, "add", Some(json!({"a": 1})), &Notices::none())).expect("known tool");
    assert!(r.is_error);
    assert!(r.first_text().contains("missing required argument \"b\""));
    let r = block_on(call(&alice(), &env, "generateImage", Some(json!({"prompt": "p", "steps": 3})), &Notices::none()))
        .expect("known tool");
    assert!(r.is_error && env.calls().is_empty());
}

#[test]
fn calls_reach_each_tool() {
    let env = ScriptedEnv::local();
    let run = |name: &str, args| block_on(call(&alice(), &env, name, args, &Notices::none())).expect("known tool");
    assert_eq!(run("add", Some(json!({"a": 2, "b": 3}))), CallToolResult::text("5").with_structured(json!({"sum": 5})));
    assert_eq!(run("whoami", None).structured_content.map(|s| s["user_id"].clone()), Some(json!("user_alice")));
    assert_eq!(
        run("getUserProfile", Some(json!({}))).structured_content.map(|s| s["id"].clone()),
        Some(json!("user_alice"))
    );
    let image = serde_json::to_value(run("generateImage", Some(json!({"prompt": "p"})))).unwrap();
    assert_eq!(image["content"][0]["mimeType"], "image/png");
}

#[test]
fn result_json_shape() {
    let wire = |r: CallToolResult| serde_json::to_value(r).unwrap();
    assert_eq!(wire(CallToolResult::text("hi")), json!({"content": [{"type": "text", "text": "hi"}]}));
    assert_eq!(
        wire(CallToolResult::error("no")),
        json!({"content": [{"type": "text", "text": "no"}], "isError": true})
    );
    assert_eq!(
        wire(CallToolResult::text("t").with_structured(json!({"k": 1}))),
        json!({"content": [{"type": "text", "text": "t"}], "structuredContent": {"k": 1}})
    );
}

/// The subset of JSON Schema the output schemas use: `type` (one or a list), `properties`,
/// `required`, `additionalProperties: false`, `items`.
fn conforms(value: &Value, schema: &Value) -> Result<(), String> {
    let kind = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let actual = kind(value);
    if !types.is_empty() && !types.iter().any(|t| *t == actual || (*t == "number" && actual == "integer")) {
        return Err(format!("{value} is {actual}, schema says {types:?}"));
    }
    if let (Value::Object(obj), Some(props)) = (value, schema["properties"].as_object()) {
        for name in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            obj.get(name).ok_or(format!("missing {name}"))?;
        }
        for (name, v) in obj {
            match props.get(name) {
                Some(s) => conforms(v, s).map_err(|e| format!("{name}: {e}"))?,
                None if schema["additionalProperties"] == json!(false) => return Err(format!("unexpected {name}")),
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(s)) = (value, schema.get("items")) {
        items.iter().try_for_each(|v| conforms(v, s))?;
    }
    Ok(())
}

#[test]
fn structured_results_match_the_declared_output_schema_and_only_declaring_tools_return_them() {
    let env = ScriptedEnv::local();
    for principal in [alice(), bob()] {
        for tool in TOOLS {
            let args = match tool.name {
                "add" => Some(json!({"a": 1.5, "b": 2})),
                "generateImage" => Some(json!({"prompt": "a fox"})),
                _ => None,
            };
            let r = block_on(call(&principal, &env, tool.name, args, &Notices::none())).expect("known tool");
            match (tool.output_schema_value(), &r.structured_content) {
                (Some(schema), Some(value)) => {
                    conforms(value, &schema).unwrap_or_else(|e| panic!("{}: {e}", tool.name));
                }
                (Some(_), None) => {
                    assert!(r.is_error, "{} declares an output schema: success must be structured", tool.name)
                }
                (None, Some(_)) => panic!("{} returns structuredContent without declaring its schema", tool.name),
                (None, None) => {}
            }
        }
    }
    let mut nobody = bob();
    (nobody.organization_id, nobody.organization_name, nobody.role) = (None, None, None);
    let whoami = find("whoami").and_then(Tool::output_schema_value).unwrap_or_default();
    let r = block_on(call(&nobody, &env, "whoami", None, &Notices::none())).expect("known tool");
    conforms(r.structured_content.as_ref().unwrap_or(&Value::Null), &whoami).unwrap();
    assert!(
        conforms(
            &json!({"sum": "3"}),
            &crate::tools::registry::find("add").and_then(Tool::output_schema_value).unwrap_or_default()
        )
        .is_err(),
        "the checker can fail"
    );
}
