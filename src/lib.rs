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

/// The Wasm's allocator: `talc` in place of the standard library's `dlmalloc` (the Worker is
/// single-threaded, and its heap grows with the Wasm memory as before). Smaller (2.9 KiB of the
/// deploy bundle's gzip) and no slower on the hot path (docs/performance.md, 2026-12-05 evening).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

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

/// The Worker's fetch handler, exported as `worker`'s `#[event(fetch)]` would export it, less
/// the macro's fallbacks: a handler's error is answered with the error page, and the rare
/// failure to build that is the runtime's own 500. Written out, the entry's Wasm is about 0.6 KB
/// of gzip smaller (docs/performance.md, "The entry written out").
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub async fn fetch(
    req: worker::worker_sys::web_sys::Request,
    env: worker::Env,
    ctx: worker::worker_sys::Context,
) -> Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue> {
    platform::js::without_cf(&req);
    let resp = match router::handle(req.into(), env, worker::Context::new(ctx)).await {
        Ok(resp) => Ok(resp),
        Err(e) => {
            worker::console_error!("unhandled error: {e}");
            responses::error_page(500, "Something went wrong", "The server could not handle this request.", None)
        }
    };
    let resp = resp.map_err(|e| wasm_bindgen::JsValue::from(e.to_string()))?;
    Ok(worker::worker_sys::web_sys::Response::from(resp).into())
}
