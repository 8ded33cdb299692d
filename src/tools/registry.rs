//! Every tool, in one list: name, title, description, parameters (from which both the JSON
//! Schema shown in `tools/list` and the argument validation are derived) and the permission it
//! needs.
use super::{ToolAnnotations, ToolDescription};
use serde_json::{json, Map, Value};

/// Which implementation runs a registry entry (see `tools::call`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolId {
    Add,
    Whoami,
    GenerateImage,
    GetUserProfile,
}

#[derive(Debug)]
pub struct Tool {
    pub id: ToolId,
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub params: &'static [Param],
    /// The WorkOS permission slug a principal must hold; `None` = every signed-in user.
    pub permission: Option<&'static str>,
    /// Changes nothing anywhere (every tool here is idempotent and non-destructive).
    pub read_only: bool,
    /// Reaches a service beyond this server (Workers AI, WorkOS).
    pub open_world: bool,
    /// The JSON Schema of the result's `structuredContent`, when the tool returns one, as JSON
    /// text (see [`Tool::output_schema_value`]).
    pub output_schema: Option<&'static str>,
}

#[derive(Debug)]
pub struct Param {
    pub name: &'static str,
    pub description: &'static str,
    pub kind: ParamKind,
    pub required: bool,
}

#[derive(Debug)]
pub enum ParamKind {
    /// Any finite JSON number.
    Number,
    Integer {
        min: i64,
        max: i64,
        default: Option<i64>,
    },
    /// Lengths count Unicode scalar values, as JSON Schema does.
    String {
        min_chars: usize,
        max_chars: usize,
    },
}

pub const IMAGE_GENERATION: &str = "image_generation";

pub static TOOLS: &[Tool] = &[
    Tool {
        id: ToolId::Add,
        name: "add",
        title: "Add two numbers",
        description: "Add two numbers and return their sum. A minimal tool to check that the MCP connection works.",
        params: &[
            Param { name: "a", description: "The first number.", kind: ParamKind::Number, required: true },
            Param { name: "b", description: "The second number.", kind: ParamKind::Number, required: true },
        ],
        permission: None,
        read_only: true,
        open_world: false,
        output_schema: Some(super::add::OUTPUT_SCHEMA),
    },
    Tool {
        id: ToolId::Whoami,
        name: "whoami",
        title: "Who am I",
        description: "Show who you are signed in as on this MCP server: user id, email, name, WorkOS organization, \
role and the permissions that role grants, and which tools those permissions unlock. Use it to check whether you \
have the permissions a task needs.",
        params: &[],
        permission: None,
        read_only: true,
        open_world: false,
        output_schema: Some(super::whoami::OUTPUT_SCHEMA),
    },
    Tool {
        id: ToolId::GenerateImage,
        name: "generateImage",
        title: "Generate an image",
        description: "Generate an image from a text prompt with Workers AI (flux-1-schnell). Works best with 8 steps. \
Returns the image itself. Requires the image_generation permission.",
        params: &[
            Param {
                name: "prompt",
                description: "A text description of the image you want to generate.",
                kind: ParamKind::String { min_chars: 1, max_chars: 2000 },
                required: true,
            },
            Param {
                name: "steps",
                description:
                    "Diffusion steps, 4–8: more steps give more detail but take longer. Defaults to 4; 8 works best.",
                kind: ParamKind::Integer { min: 4, max: 8, default: Some(4) },
                required: false,
            },
        ],
        permission: Some(IMAGE_GENERATION),
        read_only: true,
        open_world: true,
        output_schema: None,
    },
    Tool {
        id: ToolId::GetUserProfile,
        name: "getUserProfile",
        title: "Get my WorkOS profile",
        description: "Fetch your own user record from WorkOS (id, email, first and last name, whether the email is \
verified, profile picture URL), as the WorkOS User Management API reports it now.",
        params: &[],
        permission: None,
        read_only: true,
        open_world: true,
        output_schema: Some(super::get_user_profile::OUTPUT_SCHEMA),
    },
];

pub fn find(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|t| t.name == name)
}

impl Tool {
    /// The `tools/list` entry.
    pub fn describe(&self) -> ToolDescription {
        ToolDescription {
            name: self.name,
            title: self.title,
            description: self.description,
            input_schema: self.input_schema(),
            output_schema: self.output_schema_value(),
            annotations: ToolAnnotations {
                title: self.title,
                read_only_hint: self.read_only,
                destructive_hint: !self.read_only,
                idempotent_hint: true,
                open_world_hint: self.open_world,
            },
        }
    }

    /// The output schema, read from its text when `tools/list` asks (built by `json!`, each
    /// schema was kilobytes of code; as text it is data, which compresses). Every one is parsed
    /// in this module's tests.
    pub fn output_schema_value(&self) -> Option<Value> {
        self.output_schema.and_then(|text| crate::json::from_bytes(text.as_bytes()))
    }

    pub fn input_schema(&self) -> Value {
        // Inserted one by one: collecting into a map sorts first (a sort linked for nothing).
        let mut properties = Map::new();
        for p in self.params {
            properties.insert(p.name.to_string(), p.schema());
        }
        let required: Vec<&str> = self.params.iter().filter(|p| p.required).map(|p| p.name).collect();
        let mut schema = json!({ "type": "object", "properties": properties, "additionalProperties": false });
        if let (false, Some(obj)) = (required.is_empty(), schema.as_object_mut()) {
            obj.insert("required".into(), json!(required));
        }
        schema
    }
}

impl Param {
    fn schema(&self) -> Value {
        let mut schema = match self.kind {
            ParamKind::Number => json!({ "type": "number" }),
            ParamKind::Integer { min, max, default } => {
                let mut s = json!({ "type": "integer", "minimum": min, "maximum": max });
                if let (Some(d), Some(obj)) = (default, s.as_object_mut()) {
                    obj.insert("default".into(), json!(d));
                }
                s
            }
            ParamKind::String { min_chars, max_chars } => {
                json!({ "type": "string", "minLength": min_chars, "maxLength": max_chars })
            }
        };
        if let Some(obj) = schema.as_object_mut() {
            obj.insert("description".into(), json!(self.description));
        }
        schema
    }

    /// "a number", "an integer from 4 to 8", "a string of 1–2000 characters".
    pub fn expectation(&self) -> String {
        match self.kind {
            ParamKind::Number => "a number".into(),
            ParamKind::Integer { min, max, .. } => format!("an integer from {min} to {max}"),
            ParamKind::String { min_chars, max_chars } => format!("a string of {min_chars}–{max_chars} characters"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for t in TOOLS {
            assert_eq!(TOOLS.iter().filter(|u| u.name == t.name).count(), 1);
            assert_eq!(find(t.name).map(|f| f.id), Some(t.id));
        }
        assert!(find("nope").is_none());
        assert!(find("Add").is_none(), "names are case-sensitive");
    }

    #[test]
    fn schemas_are_closed_objects() {
        for t in TOOLS {
            let d = serde_json::to_value(t.describe()).unwrap();
            assert_eq!(d["inputSchema"]["type"], "object");
            assert_eq!(d["inputSchema"]["additionalProperties"], false);
            assert!(d["title"].is_string() && d["description"].as_str().is_some_and(|s| s.len() > 20));
        }
        let image = find("generateImage").map(Tool::input_schema).unwrap_or_default();
        assert_eq!(image["required"], json!(["prompt"]));
        assert_eq!(
            image["properties"]["steps"],
            json!({
                "type": "integer", "minimum": 4, "maximum": 8, "default": 4,
                "description": "Diffusion steps, 4–8: more steps give more detail but take longer. Defaults to 4; 8 works best."
            })
        );
        assert_eq!(image["properties"]["prompt"]["maxLength"], 2000);
        let add = find("add").map(Tool::input_schema).unwrap_or_default();
        assert_eq!(add["required"], json!(["a", "b"]));
        assert_eq!(add["properties"]["a"]["type"], "number");
        let whoami = find("whoami").map(Tool::input_schema).unwrap_or_default();
        assert_eq!(whoami, json!({"type": "object", "properties": {}, "additionalProperties": false}));
    }

    #[test]
    fn every_output_schema_parses_to_a_closed_object_naming_what_it_requires() {
        for t in TOOLS {
            let Some(text) = t.output_schema else { continue };
            let schema = t.output_schema_value().unwrap_or_else(|| panic!("{}: {text}", t.name));
            assert_eq!(schema["type"], "object", "{}", t.name);
            assert_eq!(schema["additionalProperties"], false, "{}", t.name);
            let required = schema["required"].as_array().unwrap_or_else(|| panic!("{}: required", t.name));
            for r in required {
                assert!(schema["properties"].get(r.as_str().unwrap_or_default()).is_some(), "{}: {r}", t.name);
            }
        }
    }
}
