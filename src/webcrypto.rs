//! RS256 signatures checked by the runtime's WebCrypto (`crypto.subtle`): native code, and no
//! big-integer RSA in the Wasm. The protocol core (`workos::jwt`) decides everything else; this
//! leaf module (wasm32 only) imports none of it, so no core depends on `platform/`.
use crate::b64::URL_SAFE_NO_PAD;
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Imported keys kept per isolate: a JWKS holds a few keys and rotates rarely.
const KEPT_KEYS: usize = 8;

/// An RSA key (modulus, exponent) and its imported `CryptoKey`.
type Imported = (Vec<u8>, Vec<u8>, JsValue);

thread_local! {
    static IMPORTED: RefCell<Vec<Imported>> = const { RefCell::new(Vec::new()) };
}

/// Whether `signature` is the RS256 signature (RSASSA-PKCS1-v1_5 with SHA-256) of `message` under
/// the RSA key (`modulus`, `exponent`: big-endian). Anything WebCrypto refuses (a key it will not
/// import, a malformed signature) is `false`.
pub async fn rs256_signature_ok(modulus: &[u8], exponent: &[u8], message: &[u8], signature: &[u8]) -> bool {
    verify(modulus, exponent, message, signature).await.unwrap_or(false)
}

async fn verify(modulus: &[u8], exponent: &[u8], message: &[u8], signature: &[u8]) -> Result<bool, JsValue> {
    let subtle = Reflect::get(&Reflect::get(&js_sys::global(), &"crypto".into())?, &"subtle".into())?;
    let crypto_key = imported(&subtle, modulus, exponent).await?;
    let args = Array::of4(&algorithm()?, &crypto_key, &Uint8Array::from(signature), &Uint8Array::from(message));
    Ok(call(&subtle, "verify", &args).await?.as_bool().unwrap_or(false))
}

/// The `CryptoKey` for the key, imported once per isolate.
async fn imported(subtle: &JsValue, modulus: &[u8], exponent: &[u8]) -> Result<JsValue, JsValue> {
    let known = |k: &Vec<Imported>| k.iter().find(|(n, e, _)| n == modulus && e == exponent).map(|(_, _, c)| c.clone());
    if let Some(found) = IMPORTED.with(|k| known(&k.borrow())) {
        return Ok(found);
    }
    let jwk = Object::new();
    for (name, value) in [
        ("kty", "RSA".to_string()),
        ("alg", "RS256".to_string()),
        ("n", URL_SAFE_NO_PAD.encode(modulus)),
        ("e", URL_SAFE_NO_PAD.encode(exponent)),
    ] {
        Reflect::set(&jwk, &name.into(), &value.into())?;
    }
    let usages = Array::of1(&"verify".into());
    let args = Array::of5(&"jwk".into(), &jwk, &algorithm()?, &false.into(), &usages);
    let crypto_key = call(subtle, "importKey", &args).await?;
    IMPORTED.with(|k| {
        let mut k = k.borrow_mut();
        if k.len() >= KEPT_KEYS {
            k.remove(0);
        }
        k.push((modulus.to_vec(), exponent.to_vec(), crypto_key.clone()));
    });
    Ok(crypto_key)
}

/// `{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }`
fn algorithm() -> Result<JsValue, JsValue> {
    let algorithm = Object::new();
    Reflect::set(&algorithm, &"name".into(), &"RSASSA-PKCS1-v1_5".into())?;
    Reflect::set(&algorithm, &"hash".into(), &"SHA-256".into())?;
    Ok(algorithm.into())
}

/// `subtle[method](...args)`, awaited.
async fn call(subtle: &JsValue, method: &str, args: &Array) -> Result<JsValue, JsValue> {
    let f: Function = Reflect::get(subtle, &method.into())?.dyn_into()?;
    let promise: Promise = f.apply(subtle, args)?.dyn_into()?;
    JsFuture::from(promise).await
}
