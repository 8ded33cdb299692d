//! Remote MCP server on Cloudflare Workers, protected by WorkOS AuthKit.
//!
//! Layers: `routes/` (thin handlers) → protocol cores (`signin/`, `workos/`, `cookies`, …) that
//! never name a `worker` type → `platform/` (KV, Fetch, env) behind small traits.
pub mod alarm;
pub mod authkit;
pub mod b64;
pub mod backlog;
pub mod config;
pub mod context;
pub mod cookies;
pub mod copies;
pub mod ids;
pub mod json;
pub mod limits;
pub mod mcp;
pub mod oauth;
pub mod origin;
pub mod outbound;
pub mod pages;
pub mod principal;
pub mod random;
pub mod return_path;
pub mod route_table;
pub mod seal;
pub mod secret;
pub mod signin;
pub mod store;
pub mod time;
pub mod timing;
pub mod tools;
pub mod turnstile;
pub mod uri;
pub mod workos;

#[cfg(test)]
pub mod testing;

#[cfg(target_arch = "wasm32")]
mod grant_object;
#[cfg(target_arch = "wasm32")]
mod platform;
#[cfg(target_arch = "wasm32")]
mod responses;
#[cfg(target_arch = "wasm32")]
mod router;
#[cfg(target_arch = "wasm32")]
mod routes;
#[cfg(target_arch = "wasm32")]
mod session_object;
#[cfg(target_arch = "wasm32")]
mod webcrypto;

#[cfg(target_arch = "wasm32")]
#[worker::event(fetch)]
async fn fetch(
    req: worker::worker_sys::web_sys::Request,
    env: worker::Env,
    ctx: worker::Context,
) -> worker::Result<worker::Response> {
    platform::js::without_cf(&req);
    match router::handle(req.into(), env, ctx).await {
        Ok(resp) => Ok(resp),
        Err(e) => {
            worker::console_error!("unhandled error: {e}");
            responses::error_page(500, "Something went wrong", "The server could not handle this request.", None)
        }
    }
}
