//! The return-path rule: the one function that decides where a sign-in may send the browser.

/// Returns `input` when it is a same-site absolute path, else `"/"`.
///
/// Accepted: starts with a single `/` followed by a non-`/`, non-`\` character (or is exactly `/`).
/// Rejected (→ `"/"`): `None`, empty, `//x`, `/\x`, `\x`, anything with a scheme or not starting with `/`,
/// percent-encodings that decode to `/` or `\` at the start (e.g. `/%2F`, `/%5C`, `%2F%2F`), any
/// ASCII control character or whitespace (raw, or percent-encoded like `%09`, `%0A`, `%0D`, `%00`, `%20` at the start),
/// and inputs longer than 2048 bytes.
pub fn safe_return_path(input: Option<&str>) -> String { todo!() }
