//! The conformance fixtures' place in a build without them (the default: `wrangler deploy`
//! builds this). They are test scaffolding for the official MCP conformance suite, served only
//! on a loopback origin, so a deployed Worker could never answer with them; leaving them out
//! saves about 10 KB of gzip. The tests, `scripts/dev.sh` and the fuzz targets build with the
//! `conformance-fixtures` feature (see `mcp/fixtures.rs` and `mcp/fixtures_modern.rs`).
use super::input_required::Round;
use super::jsonrpc::McpError;
use super::model::{Prompt, PromptMessage, Resource, ResourceTemplate};
use crate::tools::{CallToolResult, Notices, ResourceContents, ToolDescription};
use serde_json::{Map, Value};

pub const RESOURCES: &[Resource] = &[];
pub const TEMPLATES: &[ResourceTemplate] = &[];
pub const PROMPTS: &[Prompt] = &[];

pub fn tools() -> impl Iterator<Item = ToolDescription> {
    std::iter::empty()
}

pub fn call(_name: &str, _progress_token: Option<&Value>, _notices: &Notices) -> Option<CallToolResult> {
    None
}

pub fn read(_uri: &str) -> Option<Vec<ResourceContents>> {
    None
}

pub fn prompt_messages(_name: &str, _args: &Map<String, Value>) -> Option<Vec<PromptMessage>> {
    None
}

pub fn answer(
    _method: &str,
    _params: Option<&Value>,
    _round: &Round,
    _notices: &Notices,
) -> Option<Result<Value, McpError>> {
    None
}
