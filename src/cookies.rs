//! The one place that decides cookie attributes (`__Host-`, `Secure`, `HttpOnly`,
//! `SameSite=Lax`) and reads the `Cookie` header. Values are sealed by [`crate::seal`].
use cookie::{time::Duration, Cookie, SameSite};

/// `Set-Cookie` value: `__Host-` names, `Secure; HttpOnly; SameSite=Lax; Path=/`, `Max-Age`.
/// No `Domain`, as `__Host-` requires.
pub fn set_cookie(name: &str, value: &str, max_age_secs: u64) -> String {
    let max_age = Duration::seconds(i64::try_from(max_age_secs).unwrap_or(i64::MAX));
    Cookie::build((name, value))
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(max_age)
        .build()
        .to_string()
}

/// `Set-Cookie` value that deletes the cookie (same attributes, `Max-Age=0`, empty value).
pub fn clear_cookie(name: &str) -> String {
    set_cookie(name, "", 0)
}

/// Value of cookie `name` from a `Cookie` request header (first occurrence), if any.
/// Pairs that do not parse are skipped, so one bad cookie from another app cannot hide ours.
pub fn read_cookie<'a>(cookie_header: Option<&'a str>, name: &str) -> Option<&'a str> {
    Cookie::split_parse(cookie_header?)
        .filter_map(Result::ok)
        .find(|c| c.name_raw() == Some(name))
        .and_then(|c| c.value_raw())
}

#[cfg(test)]
#[path = "cookies_tests.rs"]
mod tests;
