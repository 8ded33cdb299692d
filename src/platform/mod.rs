//! The Worker side of each boundary: KV, Fetch, Cache API, environment, clock.
pub mod cache;
pub mod fetch;
pub mod kv;
pub mod tools;

use crate::config::{Config, ConfigError};
use worker::Env;

/// Unix seconds from the platform clock (`std::time` is unavailable on wasm32-unknown-unknown).
pub fn now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// Read configuration from secrets and vars (`.dev.vars` locally, `wrangler secret put` in production).
pub fn load_config(env: &Env) -> Result<Config, ConfigError> {
    Config::from_lookup(|name| {
        env.secret(name)
            .map(|s| s.to_string())
            .or_else(|_| env.var(name).map(|v| v.to_string()))
            .ok()
    })
}
