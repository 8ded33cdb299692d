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
            Content::Image { .. } => None,
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
}
