//! The no-op Worker in Rust: see Cargo.toml. Like the product Worker it hides the request's `cf`
//! before `worker` wraps the request (the runtime builds that object on its first read, and
//! `worker::Request::from` reads it), so what it costs is the floor this Worker could reach.
use wasm_bindgen::{JsCast, JsValue};
use worker::worker_sys::web_sys;
use worker::{event, Context, Env, Request, Response, Result};

/// The product Worker's allocator (its src/lib.rs).
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

const RESULT: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"5"}],"structuredContent":{"sum":5},"isError":false}}"#;

#[event(fetch)]
async fn fetch(req: web_sys::Request, _env: Env, _ctx: Context) -> Result<Response> {
    let descriptor = js_sys::Object::new();
    js_sys::Reflect::set(&descriptor, &"value".into(), &JsValue::UNDEFINED)?;
    if let Some(object) = req.dyn_ref::<js_sys::Object>() {
        let _ = js_sys::Reflect::define_property(object, &"cf".into(), &descriptor);
    }
    let mut req = Request::from(req);
    req.bytes().await?;
    let resp = Response::from_bytes(RESULT.as_bytes().to_vec())?;
    resp.headers().set("content-type", "application/json")?;
    Ok(resp)
}
