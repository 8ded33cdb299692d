//! Remote MCP server on Cloudflare Workers, protected by WorkOS AuthKit.
//!
//! Layers: `routes/` (thin handlers) → protocol cores (`signin/`, `workos/`, `cookies`, …) that
//! never name a `worker` type → `platform/` (KV, Fetch, env) behind small traits.
pub mod auth;
pub mod config;
pub mod cookies;
pub mod http;
pub mod limits;
pub mod mcp;
pub mod oauth;
pub mod pages;
pub mod random;
pub mod return_path;
pub mod signin;
pub mod store;
pub mod time;
pub mod tools;
pub mod turnstile;
pub mod workos;

#[cfg(test)]
pub mod testing;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod grant_object;
#[cfg(target_arch = "wasm32")]
mod platform;
#[cfg(target_arch = "wasm32")]
mod routes;
#[cfg(target_arch = "wasm32")]
mod session_object;
#[cfg(target_arch = "wasm32")]
mod web;

#[cfg(target_arch = "wasm32")]
#[worker::event(fetch)]
async fn fetch(req: worker::Request, env: worker::Env, ctx: worker::Context) -> worker::Result<worker::Response> {
    match app::handle(req, env, ctx).await {
        Ok(resp) => Ok(resp),
        Err(e) => {
            worker::console_error!("unhandled error: {e}");
            web::error_page(500, "Something went wrong", "The server could not handle this request.", None)
        }
    }
}
