//! Calls made directly on the runtime's binding objects (KV, the rate limiters, Workers AI) and a
//! Durable Object's storage, reading and writing their few fields by name; and the incoming
//! request's `cf`, hidden before `worker` reads it ([`without_cf`]); and the headers every
//! request reads and every JSON answer sets, their names given as strings made once per isolate
//! ([`header`], [`set_header`]).
//!
//! `worker`'s typed wrappers of these convert options and answers with `serde_wasm_bindgen`, and
//! that converter (its serializer, its deserializer and the types it reads) cost 11 KB of the
//! gzipped Wasm for a dozen fields (docs/performance.md).
use js_sys::{Array, Function, Object, Promise, Reflect};
use std::borrow::Cow;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::worker_sys::web_sys::Headers;

#[wasm_bindgen]
extern "C" {
    /// A `Headers` object, seen through the two methods below.
    type NamedHeaders;
    /// `headers.get(name)` with a name that is already a JS string. Without a `catch`: the names
    /// passed are valid, and for a valid name `get` cannot throw.
    #[wasm_bindgen(method, js_name = get)]
    fn get_named(this: &NamedHeaders, name: &JsValue) -> Option<String>;
    /// `headers.set(name, value)`, both already JS strings; valid ones cannot throw.
    #[wasm_bindgen(method, js_name = set)]
    fn set_named(this: &NamedHeaders, name: &JsValue, value: &JsValue);
    /// `headers.append(name, value)`: it throws when the headers are immutable (an answer
    /// fetched from a Durable Object).
    #[wasm_bindgen(method, catch, js_name = append)]
    fn append_named(this: &NamedHeaders, name: &JsValue, value: &str) -> Result<(), JsValue>;
    /// The same with a value that is already a JS string.
    #[wasm_bindgen(method, catch, js_name = append)]
    fn append_fixed(this: &NamedHeaders, name: &JsValue, value: &JsValue) -> Result<(), JsValue>;
}

/// The header `name` of `headers`. The name crosses into JS once per isolate: a `tools/call`
/// reads six headers, and decoding each name from the Wasm memory again was about a third of
/// a read's cost (docs/performance.md).
pub fn header(headers: &Headers, name: &'static str) -> Option<String> {
    headers.unchecked_ref::<NamedHeaders>().get_named(interned(name))
}

/// Set a fixed header (`name` and `value` both fixed text) on a response's own headers.
pub fn set_header(headers: &Headers, name: &'static str, value: &'static str) {
    headers.unchecked_ref::<NamedHeaders>().set_named(interned(name), interned(value));
}

/// Append `value` under a fixed `name` (a fixed value interned too); an error when the headers
/// are immutable. Taken as a `Cow` by reference: which variant it is decides the interning,
/// and the caller keeps the value for its fallback.
#[allow(clippy::ptr_arg)]
pub fn append_header(headers: &Headers, name: &'static str, value: &Cow<'static, str>) -> Result<(), JsValue> {
    let headers = headers.unchecked_ref::<NamedHeaders>();
    match value {
        Cow::Borrowed(fixed) => headers.append_fixed(interned(name), interned(fixed)),
        Cow::Owned(text) => headers.append_named(interned(name), text),
    }
}

/// `text` as a JS string, made on its first use and kept for the isolate's life. Only fixed
/// text is interned, so what is kept is bounded by the program's own strings.
fn interned(text: &'static str) -> &'static JsValue {
    thread_local! {
        static KNOWN: RefCell<Vec<(&'static str, &'static JsValue)>> = const { RefCell::new(Vec::new()) };
    }
    KNOWN.with(|known| {
        let mut known = known.borrow_mut();
        if let Some((_, value)) = known.iter().find(|(kept, _)| std::ptr::eq(*kept, text)) {
            return *value;
        }
        let value: &'static JsValue = Box::leak(Box::new(JsValue::from_str(text)));
        known.push((text, value));
        value
    })
}

/// The work of a Durable Object's method called by RPC, which answers with its promise.
pub type Work = Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>;

/// The promise of `work`. Boxed work: the runtime's glue for a promise is then compiled once for
/// every such method, not once for each (about 1 KB of the gzipped Wasm each).
pub fn promise(work: Work) -> Promise {
    wasm_bindgen_futures::future_to_promise(work)
}

/// The binding `name` of `env`, or `None` when it is not configured.
pub fn binding(env: &worker::Env, name: &'static str) -> Option<JsValue> {
    Reflect::get(env.as_ref(), interned(name)).ok().filter(JsValue::is_object)
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
