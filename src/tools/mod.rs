//! The MCP tools: one file per tool, one [`registry`] that declares them, one permission rule
//! ([`permitted`]) that both `tools/list` and `tools/call` apply.
mod add;
mod args;
pub mod audit;
mod call;
mod env;
mod generate_image;
mod get_user_profile;
mod notices;
pub mod png;
mod preview;
pub mod registry;
mod result;
pub mod whoami;

pub use call::{call, permitted, refusal, visible, CallError};
pub use env::{GeneratedImage, ToolEnv, ToolUse};
pub use notices::{LogLevel, Notice, Notices};
pub use registry::{find, Param, ParamKind, Tool, ToolId, TOOLS};
pub use result::{CallToolResult, Content, ResourceBody, ResourceContents, ToolAnnotations, ToolDescription};

#[cfg(test)]
pub(crate) mod testing;
