//! Calls made directly on the runtime's binding objects (KV, the rate limiters, Workers AI) and a
//! Durable Object's storage, reading and writing their few fields by name; and the incoming
//! request's `cf`, hidden before `worker` reads it ([`without_cf`]).
//!
//! `worker`'s typed wrappers of these convert options and answers with `serde_wasm_bindgen`, and
//! that converter (its serializer, its deserializer and the types it reads) cost 11 KB of the
//! gzipped Wasm for a dozen fields (docs/performance.md).
use js_sys::{Array, Function, Object, Promise, Reflect};
use std::future::Future;
use std::pin::Pin;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The work of a Durable Object's method called by RPC, which answers with its promise.
pub type Work = Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>;

/// The promise of `work`. Boxed work: the runtime's glue for a promise is then compiled once for
/// every such method, not once for each (about 1 KB of the gzipped Wasm each).
pub fn promise(work: Work) -> Promise {
    wasm_bindgen_futures::future_to_promise(work)
}

/// The binding `name` of `env`, or `None` when it is not configured.
pub fn binding(env: &worker::Env, name: &str) -> Option<JsValue> {
    Reflect::get(env.as_ref(), &JsValue::from_str(name)).ok().filter(JsValue::is_object)
}

/// `target.method(...args)`, its promise awaited; a failure as its message.
pub async fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, String> {
    let function = Reflect::get(target, &JsValue::from_str(method))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| format!("{method} is not a function of the binding"))?;
    let args: Array = args.iter().collect();
    // `Reflect.apply`, not the function's own `apply`: on a Durable Object's RPC stub every
    // property name is a remote call, `apply` included.
    let answer = Reflect::apply(&function, target, &args).map_err(message)?;
    settled(Promise::resolve(&answer)).await
}

/// What `promise` settles to; a rejection as its message.
pub async fn settled(promise: Promise) -> Result<JsValue, String> {
    JsFuture::from(promise).await.map_err(message)
}

/// A plain object with `fields`.
pub fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (name, value) in fields {
        // Setting a property of a fresh plain object cannot fail.
        let _ = Reflect::set(&object, &JsValue::from_str(name), value);
    }
    object.into()
}

/// `value[name]`; `undefined` when it is absent or `value` is not an object.
pub fn field(value: &JsValue, name: &str) -> JsValue {
    if !value.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(value, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// What a thrown value says: an `Error`'s message, a thrown string, or a fixed phrase.
pub fn message(thrown: JsValue) -> String {
    match thrown.dyn_ref::<js_sys::Error>() {
        Some(e) => e.message().into(),
        None => thrown.as_string().unwrap_or_else(|| "the runtime failed the call".to_string()),
    }
}

/// Hide the incoming request's `cf` (Cloudflare's properties of the connection: location, TLS,
/// bot score) before `worker` wraps the request. `worker::Request::from` reads it for every
/// request, and the runtime builds that object on first read: in a profile of `tools/call` it
/// was 6 % of the isolate's samples. Nothing here uses it (`Request::cf` answers `None`): the
/// client's address comes from `CF-Connecting-IP`. An own property `cf` with the value
/// `undefined` shadows the runtime's getter; where it cannot be defined the request is left as
/// it is.
pub fn without_cf(request: &JsValue) {
    thread_local! {
        static CF: (JsValue, Object) =
            (JsValue::from_str("cf"), object(&[("value", JsValue::UNDEFINED)]).unchecked_into());
    }
    if let Some(request) = request.dyn_ref::<Object>() {
        CF.with(|(name, absent)| {
            let _ = Reflect::define_property(request, name, absent);
        });
    }
}
