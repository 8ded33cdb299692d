//! The one place that decides cookie attributes (`__Host-`, `Secure`, `HttpOnly`,
//! `SameSite=Lax`) and reads the `Cookie` header. Values are sealed by [`crate::seal`].
//!
//! Written here rather than with the `cookie` crate: two attribute lists and a `name=value` split
//! are all this needs, and that crate brings `time`'s date parsing and formatting (about 37 KB of
//! Wasm) for `Expires`, which these cookies never carry.

/// `Set-Cookie` value: `__Host-` names, `Secure; HttpOnly; SameSite=Lax; Path=/`, `Max-Age`.
/// No `Domain`, as `__Host-` requires. Names and values are ours (fixed names, sealed base64url).
pub fn set_cookie(name: &str, value: &str, max_age_secs: u64) -> String {
    let max_age = max_age_secs.min(i64::MAX as u64);
    format!("{name}={value}; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age={max_age}")
}

/// `Set-Cookie` value that deletes the cookie (same attributes, `Max-Age=0`, empty value).
pub fn clear_cookie(name: &str) -> String {
    set_cookie(name, "", 0)
}

/// Value of cookie `name` from a `Cookie` request header (first occurrence), if any.
/// Pairs that do not parse (no `=`, an empty name) are skipped, so one bad cookie from another
/// app cannot hide ours. Names and values are trimmed of spaces.
pub fn read_cookie<'a>(cookie_header: Option<&'a str>, name: &str) -> Option<&'a str> {
    cookie_header?
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .find(|(n, _)| {
            let n = n.trim();
            !n.is_empty() && n == name
        })
        .map(|(_, v)| v.trim())
}

#[cfg(test)]
#[path = "cookies_tests.rs"]
mod tests;
