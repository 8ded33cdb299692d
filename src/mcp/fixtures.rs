//! The MCP conformance suite's fixtures (`MCP_CONFORMANCE_FIXTURES=true`, local development
//! only; see `config`): the tools, resources and prompts the official suite's server scenarios
//! call by name, like the official SDKs' "everything" servers. They are served next to the
//! product's own, through the same dispatch, so the suite exercises the real protocol paths
//! (content types, logging, progress, resources, prompts, completion). Never on by default.
use super::model::{Prompt, PromptArgument, PromptMessage, Resource, ResourceTemplate};
use crate::b64::STANDARD;
use crate::tools::{
    png, CallToolResult, Content, LogLevel, Notices, ResourceContents, ToolAnnotations, ToolDescription,
};
use serde_json::{json, Map, Value};

const TOOLS: &[(&str, &str)] = &[
    ("test_simple_text", "Returns one text block."),
    ("test_image_content", "Returns one PNG image block."),
    ("test_audio_content", "Returns one WAV audio block."),
    ("test_embedded_resource", "Returns an embedded text resource."),
    ("test_multiple_content_types", "Returns text, an image and an embedded JSON resource."),
    ("test_tool_with_logging", "Sends three log messages while it runs."),
    ("test_tool_with_progress", "Reports progress three times while it runs (send a progress token)."),
    ("test_error_handling", "Always fails: its result is an error the model sees."),
];

pub const RESOURCES: &[Resource] = &[
    Resource {
        uri: "test://static-text",
        name: "static-text",
        title: "Static text",
        description: "A fixed text resource.",
        mime_type: "text/plain",
    },
    Resource {
        uri: "test://static-binary",
        name: "static-binary",
        title: "Static binary",
        description: "A fixed PNG image.",
        mime_type: "image/png",
    },
    Resource {
        uri: "test://watched-resource",
        name: "watched-resource",
        title: "Watched",
        description: "A resource to subscribe to.",
        mime_type: "text/plain",
    },
];

pub const TEMPLATES: &[ResourceTemplate] = &[ResourceTemplate {
    uri_template: "test://template/{id}/data",
    name: "template-data",
    title: "Data by id",
    description: "JSON data for any id.",
    mime_type: "application/json",
}];

pub const PROMPTS: &[Prompt] = &[
    Prompt { name: "test_simple_prompt", title: "Simple", description: "One text message.", arguments: &[] },
    Prompt {
        name: "test_prompt_with_arguments",
        title: "With arguments",
        description: "A message that repeats its two arguments.",
        arguments: &[
            PromptArgument { name: "arg1", description: "The first argument.", required: true },
            PromptArgument { name: "arg2", description: "The second argument.", required: true },
        ],
    },
    Prompt {
        name: "test_prompt_with_embedded_resource",
        title: "With a resource",
        description: "An embedded resource, then a text message.",
        arguments: &[PromptArgument { name: "resourceUri", description: "The resource's URI.", required: true }],
    },
    Prompt {
        name: "test_prompt_with_image",
        title: "With an image",
        description: "An image, then a text message.",
        arguments: &[],
    },
];

pub fn tools() -> impl Iterator<Item = ToolDescription> {
    let described = "Takes arguments described with JSON Schema 2020-12's keywords.";
    describe(TOOLS).chain([fixture_tool(SCHEMA_2020_12, described, schema_2020_12())])
}

/// The tool whose input schema uses JSON Schema 2020-12's keywords: the suite checks that
/// `tools/list` hands them over as written (SEP-1613, SEP-2106).
const SCHEMA_2020_12: &str = "json_schema_2020_12_tool";

fn schema_2020_12() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "address": {
                "$anchor": "addressDef",
                "type": "object",
                "properties": { "street": { "type": "string" }, "city": { "type": "string" } },
            },
        },
        "properties": {
            "name": { "type": "string" },
            "address": { "$ref": "#/$defs/address" },
            "contactMethod": { "type": "string", "enum": ["phone", "email"] },
            "phone": { "type": "string" },
            "email": { "type": "string" },
        },
        "allOf": [{ "anyOf": [{ "required": ["phone"] }, { "required": ["email"] }] }],
        "if": { "properties": { "contactMethod": { "const": "phone" } }, "required": ["contactMethod"] },
        "then": { "required": ["phone"] },
        "else": { "required": ["email"] },
        "additionalProperties": false,
    })
}

/// Fixture tools take no arguments and change nothing.
pub fn describe(tools: &'static [(&'static str, &'static str)]) -> impl Iterator<Item = ToolDescription> {
    tools
        .iter()
        .map(|&(name, description)| fixture_tool(name, description, json!({ "type": "object", "properties": {} })))
}

/// A fixture tool: its arguments are not read (whatever `input_schema` says), and it changes nothing.
fn fixture_tool(name: &'static str, description: &'static str, input_schema: Value) -> ToolDescription {
    ToolDescription {
        name,
        title: name,
        description,
        input_schema,
        output_schema: None,
        annotations: ToolAnnotations {
            title: name,
            read_only_hint: true,
            destructive_hint: false,
            idempotent_hint: true,
            open_world_hint: false,
        },
    }
}

/// A 2×2 PNG, made by the server's own encoder.
fn png_base64() -> String {
    let rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];
    STANDARD.encode(png::encode_rgb(2, 2, &rgb).unwrap_or_default())
}

/// A WAV file of 8 silent 16-bit mono samples at 8 kHz.
fn wav_base64() -> String {
    let samples = [0u8; 16];
    let mut wav = Vec::with_capacity(44 + samples.len());
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + samples.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    for (value, bytes) in [(16u32, 4), (1, 2), (1, 2), (8000, 4), (16000, 4), (2, 2), (16, 2)] {
        wav.extend_from_slice(&value.to_le_bytes()[..bytes]);
    }
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(samples.len() as u32).to_le_bytes());
    wav.extend_from_slice(&samples);
    STANDARD.encode(wav)
}

/// The unlisted fixture that panics.
const TRAP: &str = "test_worker_trap";

/// Runs fixture tool `name`; `None` when there is none by that name.
pub fn call(name: &str, progress_token: Option<&Value>, notices: &Notices) -> Option<CallToolResult> {
    let image = || Content::image(png_base64(), "image/png");
    Some(match name {
        "test_simple_text" => CallToolResult::text("This is a simple text response for testing."),
        "test_image_content" => CallToolResult::success(vec![image()]),
        "test_audio_content" => {
            CallToolResult::success(vec![Content::Audio { data: wav_base64(), mime_type: "audio/wav".into() }])
        }
        "test_embedded_resource" => CallToolResult::success(vec![Content::Resource {
            resource: ResourceContents::text(
                "test://embedded-resource",
                "text/plain",
                "This is an embedded resource content.",
            ),
        }]),
        "test_multiple_content_types" => CallToolResult::success(vec![
            Content::text("Multiple content types test:"),
            image(),
            Content::Resource {
                resource: ResourceContents::text(
                    "test://mixed-content-resource",
                    "application/json",
                    json!({"test": "data", "value": 123}).to_string(),
                ),
            },
        ]),
        "test_tool_with_logging" => {
            for line in ["Tool execution started", "Tool processing data", "Tool execution completed"] {
                notices.log(LogLevel::Info, line);
            }
            CallToolResult::text("Tool with logging executed successfully")
        }
        "test_tool_with_progress" => {
            for step in [0.0, 50.0, 100.0] {
                notices.progress(step, Some(100.0), format!("Completed step {step} of 100"));
            }
            let token = match progress_token {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => "no progress token".into(),
            };
            CallToolResult::text(token)
        }
        "test_error_handling" => CallToolResult::error("This tool intentionally returns an error for testing"),
        SCHEMA_2020_12 => CallToolResult::text("ok"),
        // Not listed: the end-to-end tests call it to see the Worker recover from a trap (a
        // panic aborts the Wasm instance; worker-build's entry gives the next request a new one).
        TRAP => panic!("{TRAP}: a deliberate panic"),
        _ => return None,
    })
}

pub fn read(uri: &str) -> Option<Vec<ResourceContents>> {
    let one = |c| Some(vec![c]);
    match uri {
        "test://static-text" => {
            one(ResourceContents::text(uri, "text/plain", "This is the content of the static text resource."))
        }
        "test://static-binary" => one(ResourceContents::blob(uri, "image/png", png_base64())),
        "test://watched-resource" => one(ResourceContents::text(uri, "text/plain", "Watched resource content.")),
        _ => {
            let id = uri.strip_prefix("test://template/")?.strip_suffix("/data")?;
            if id.is_empty() || id.contains('/') {
                return None;
            }
            let data = json!({"id": id, "templateTest": true, "data": format!("Data for ID: {id}")});
            one(ResourceContents::text(uri, "application/json", data.to_string()))
        }
    }
}

pub fn prompt_messages(name: &str, args: &Map<String, Value>) -> Option<Vec<PromptMessage>> {
    let arg = |k: &str| args.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let text = |t: String| PromptMessage::user(Content::text(t));
    Some(match name {
        "test_simple_prompt" => vec![text("This is a simple prompt for testing.".into())],
        "test_prompt_with_arguments" => {
            vec![text(format!("Prompt with arguments: arg1='{}', arg2='{}'", arg("arg1"), arg("arg2")))]
        }
        "test_prompt_with_embedded_resource" => vec![
            PromptMessage::user(Content::Resource {
                resource: ResourceContents::text(
                    arg("resourceUri"),
                    "text/plain",
                    "Embedded resource content for testing.",
                ),
            }),
            text("Please process the embedded resource above.".into()),
        ],
        "test_prompt_with_image" => vec![
            PromptMessage::user(Content::image(png_base64(), "image/png")),
            text("Please analyze the image above.".into()),
        ],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_fixtures_are_well_formed() {
        let png = STANDARD.decode(png_base64()).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let wav = STANDARD.decode(wav_base64()).unwrap();
        assert_eq!(wav.len(), 60);
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(u32::from_le_bytes([wav[4], wav[5], wav[6], wav[7]]) as usize, wav.len() - 8);
        assert_eq!(&wav[8..16], b"WAVEfmt ");
        assert_eq!(&wav[36..40], b"data");
    }

    #[test]
    fn tools_report_through_notices() {
        let n = Notices::new(true, Some(LogLevel::Debug));
        let r = call("test_tool_with_progress", Some(&json!("tok")), &n).unwrap();
        assert_eq!(r.first_text(), "tok");
        assert_eq!(n.take().len(), 3);
        call("test_tool_with_logging", None, &n).unwrap();
        assert_eq!(n.take().len(), 3);
        assert!(call("test_error_handling", None, &n).unwrap().is_error);
        assert!(call("add", None, &n).is_none());
    }

    #[test]
    fn the_trap_is_callable_but_never_listed() {
        assert!(tools().all(|t| t.name != TRAP));
        let n = Notices::new(false, None);
        assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| call(TRAP, None, &n))).is_err());
    }

    #[test]
    fn template_reads_need_an_id() {
        let c = read("test://template/123/data").unwrap();
        assert!(matches!(&c[0].body, crate::tools::ResourceBody::Text(t) if t.contains("\"123\"")));
        for bad in ["test://template//data", "test://template/1/2/data", "test://template/1", "test://nope"] {
            assert!(read(bad).is_none(), "{bad}");
        }
    }
}
