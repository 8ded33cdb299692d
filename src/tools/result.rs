//! What the tools put on the wire (MCP's `CallToolResult`, content blocks and `tools/list`
//! entries), named as the MCP schema and rmcp name them.
use serde::Serialize;
use serde_json::Value;

/// A content block of a tool result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Content {
    Text {
        text: String,
    },
    Image {
        /// Base64.
        data: String,
        #[serde(rename = "mimeType")]
        mime_type: String,
    },
    Audio {
        /// Base64.
        data: String,
        #[serde(rename = "mimeType")]
        mime_type: String,
    },
    /// A resource's contents, embedded.
    Resource {
        resource: ResourceContents,
    },
}

/// What `resources/read` returns for one URI, and what a `resource` content block embeds:
/// text, or binary data as base64 (`blob`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceContents {
    pub uri: String,
    pub mime_type: &'static str,
    #[serde(flatten)]
    pub body: ResourceBody,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceBody {
    Text(String),
    /// Base64.
    Blob(String),
}

impl ResourceContents {
    pub fn text(uri: impl Into<String>, mime_type: &'static str, text: impl Into<String>) -> Self {
        ResourceContents { uri: uri.into(), mime_type, body: ResourceBody::Text(text.into()) }
    }
    pub fn blob(uri: impl Into<String>, mime_type: &'static str, base64: impl Into<String>) -> Self {
        ResourceContents { uri: uri.into(), mime_type, body: ResourceBody::Blob(base64.into()) }
    }
}

impl Content {
    pub fn text(text: impl Into<String>) -> Content {
        Content::Text { text: text.into() }
    }

    pub fn image(base64: impl Into<String>, mime_type: impl Into<String>) -> Content {
        Content::Image { data: base64.into(), mime_type: mime_type.into() }
    }

    /// The text of a text block.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Content::Text { text } => Some(text),
            _ => None,
        }
    }
}

/// A `tools/call` result: content blocks, optional structured content, and whether it is an
/// error the model should see (refusals, invalid arguments, failures).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallToolResult {
    pub content: Vec<Content>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub structured_content: Option<Value>,
    #[serde(skip_serializing_if = "is_false")]
    pub is_error: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl CallToolResult {
    pub fn success(content: Vec<Content>) -> Self {
        CallToolResult { content, structured_content: None, is_error: false }
    }
    pub fn text(text: impl Into<String>) -> Self {
        Self::success(vec![Content::text(text)])
    }
    pub fn error(text: impl Into<String>) -> Self {
        CallToolResult { is_error: true, ..Self::text(text) }
    }
    pub fn with_structured(mut self, value: Value) -> Self {
        self.structured_content = Some(value);
        self
    }
    /// The first block's text (tests and logs).
    pub fn first_text(&self) -> &str {
        self.content.first().and_then(Content::as_text).unwrap_or_default()
    }
}

/// A `tools/list` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolDescription {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub input_schema: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
    pub annotations: ToolAnnotations,
}

/// Hints for clients about what a tool does (MCP `ToolAnnotations`); clients may show them or
/// ask before a destructive call, never rely on them for security.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolAnnotations {
    pub title: &'static str,
    /// Changes nothing outside the server's answer.
    pub read_only_hint: bool,
    /// May delete or overwrite (meaningful when not read-only).
    pub destructive_hint: bool,
    /// Calling again with the same arguments has no further effect.
    pub idempotent_hint: bool,
    /// Reaches beyond this server (Workers AI, WorkOS).
    pub open_world_hint: bool,
}
