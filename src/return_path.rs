//! The return-path rule: the one function that decides where a sign-in may send the browser.

/// Longest return path accepted, in bytes: the longest URL Cloudflare accepts (16 KiB), so an
/// `/authorize` request that arrived, re-encoded as a sign-in's return path, still fits.
pub const MAX_LEN: usize = 16 * 1024;
/// Percent-decoding rounds checked: servers and proxies on the way may each decode once, so
/// `/%252F` must be judged as the `//` it can become. Deeper nesting is refused outright.
const DECODE_ROUNDS: usize = 4;

/// Returns `input` when it is a same-site absolute path, else `"/"`.
///
/// Accepted: starts with a single `/` followed by a non-`/`, non-`\` character (or is exactly `/`).
/// Rejected (→ `"/"`): `None`, empty, `//x`, `/\x`, `\x`, anything with a scheme or not starting with `/`,
/// percent-encodings that decode to `/` or `\` at the start (e.g. `/%2F`, `/%5C`, `%2F%2F`), any
/// ASCII control character or whitespace (raw, or percent-encoded like `%09`, `%0A`, `%0D`, `%00`, `%20` at the start),
/// and inputs longer than [`MAX_LEN`] bytes.
///
/// Stricter than the summary above in three ways: control characters and whitespace are
/// refused anywhere raw and anywhere in the path part after any decoding round (an encoded
/// space in the query, `?q=a%20b`, is kept), a raw `\` is refused anywhere,
/// and an encoded `\` is refused anywhere in the path part. The accepted value is the input
/// with any non-ASCII character percent-encoded (UTF-8), so a `Location` header only ever
/// carries ASCII (a raw fullwidth `／` could otherwise be read as `/` by some browser);
/// decoding only serves the check. That encoding can lengthen a path: what it returns is never
/// longer than [`MAX_LEN`] either.
pub fn safe_return_path(input: Option<&str>) -> String {
    input
        .filter(|path| is_safe(path))
        .map(ascii_only)
        .filter(|path| path.len() <= MAX_LEN)
        .unwrap_or_else(|| "/".to_string())
}

fn ascii_only(path: &str) -> String {
    if path.is_ascii() {
        return path.to_string();
    }
    let mut out = String::with_capacity(path.len() * 3);
    for c in path.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

fn is_safe(input: &str) -> bool {
    if input.is_empty() || input.len() > MAX_LEN || input.contains('\\') {
        return false;
    }
    // Path part = up to the first `?` or `#` of the raw input; the query may legitimately
    // carry encoded URLs (`redirect_uri=https%3A%2F%2F…`), the path may not hide a `\`.
    let path_end = input.find(['?', '#']).unwrap_or(input.len());
    let mut whole = input.as_bytes().to_vec();
    let mut path = input.as_bytes()[..path_end].to_vec();
    for round in 0..=DECODE_ROUNDS {
        // Raw: no control or space anywhere. Decoded: no control anywhere and no space in the
        // path part; the query may carry encoded spaces (`?q=a%20b`), kept encoded as given.
        let spaced =
            if round == 0 { has_control_or_space(&whole) } else { has_control_or_space(&path) || has_control(&whole) };
        if !starts_like_local_path(&whole) || spaced || path.contains(&b'\\') {
            return false;
        }
        let next_whole = percent_decode(&whole);
        if next_whole == whole {
            return true;
        }
        if round == DECODE_ROUNDS {
            return false;
        }
        whole = next_whole;
        path = percent_decode(&path);
    }
    false
}

fn has_control(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes).chars().any(char::is_control)
}

/// `/` alone, or `/` followed by anything but `/` or `\`.
fn starts_like_local_path(bytes: &[u8]) -> bool {
    match bytes {
        [b'/'] => true,
        [b'/', second, ..] => *second != b'/' && *second != b'\\',
        _ => false,
    }
}

/// ASCII controls and space, plus any Unicode control or whitespace (NEL, NBSP, U+2028…),
/// which some parsers strip or treat as separators.
fn has_control_or_space(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes).chars().any(|c| c.is_control() || c.is_whitespace())
}

/// One round of `%XX` decoding; malformed escapes stay as they are (as browsers keep them).
fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let (Some(h), Some(l)) = (bytes.get(i + 1).and_then(hex), bytes.get(i + 2).and_then(hex)) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn hex(b: &u8) -> Option<u8> {
    (*b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::{safe_return_path, MAX_LEN};

    #[test]
    fn vectors() {
        let long_ok = format!("/{}", "a".repeat(MAX_LEN - 1));
        let long_bad = format!("/{}", "a".repeat(MAX_LEN));
        // Under the limit as given, past it once its non-ASCII characters are percent-encoded.
        let grows_past = format!("/{}", "é".repeat(MAX_LEN / 3));
        let cases: &[(Option<&str>, bool)] = &[
            // Accepted.
            (Some("/"), true),
            (Some("/account"), true),
            (Some("/account?tab=1#x"), true),
            (Some("/authorize?client_id=a&redirect_uri=https%3A%2F%2Fx"), true),
            (Some("/authorize?next=%252Fa"), true),
            (Some("/x?next=%2F%2Fevil.com"), true),
            (Some("/search?q=%5C"), true),
            (Some("/a/b/c"), true),
            (Some("/.//evil.com"), true),
            (Some("/a//b"), true),
            (Some("/?x=1"), true),
            (Some("/#frag"), true),
            (Some("/search?q=a+b"), true),
            (Some("/caf%C3%A9"), true),
            (Some("/café"), true),
            (Some("/100%"), true),
            (Some("/%zz"), true),
            (Some("/javascript:alert(1)"), true),
            (Some(long_ok.as_str()), true),
            // Rejected.
            (None, false),
            (Some(""), false),
            (Some("//evil.com"), false),
            (Some("///evil.com"), false),
            (Some("/\\evil.com"), false),
            (Some("\\evil.com"), false),
            (Some("\\\\evil.com"), false),
            (Some("/a\\b"), false),
            (Some("/a?b=\\"), false),
            (Some("/%2Fevil.com"), false),
            (Some("/%2fevil.com"), false),
            (Some("/%5Cevil.com"), false),
            (Some("/%5cevil.com"), false),
            (Some("/a%5Cb"), false),
            (Some("%2F%2Fevil.com"), false),
            (Some("%2Fx"), false),
            (Some("/%252F%252Fevil.com"), false),
            (Some("/%252Fevil.com"), false),
            (Some("/%255Cevil.com"), false),
            (Some("/%25252F/evil.com"), false),
            (Some("/%%32%46evil.com"), false),
            (Some("https://evil.com"), false),
            (Some("http:/evil.com"), false),
            (Some("javascript:alert(1)"), false),
            (Some("evil.com"), false),
            (Some("/\t/evil.com"), false),
            (Some("/%09/evil.com"), false),
            (Some(" /x"), false),
            (Some("%20/x"), false),
            (Some("/x\n"), false),
            (Some("/x\r"), false),
            (Some("/x\0"), false),
            (Some("/x%00"), false),
            (Some("/x%7F"), false),
            (Some("/x%20y"), false),
            (Some("/%0d%0aSet-Cookie:x"), false),
            (Some("/%250d%250aSet-Cookie:x"), false),
            (Some("/x?y=%0A"), false),
            (Some("/search?q=a%20b"), true),
            (Some("/search?q=a+b%2Bc"), true),
            (Some("/x\u{a0}"), false),
            (Some("/x\u{2028}"), false),
            (Some("/x%C2%85"), false),
            (Some("/%2525252525252F"), false),
            (Some(long_bad.as_str()), false),
            (Some(grows_past.as_str()), false),
        ];
        assert!(cases.len() >= 30);
        for (input, accepted) in cases {
            let want = if *accepted { input.unwrap_or("/") } else { "/" };
            let want = if want.is_ascii() { want.to_string() } else { super::ascii_only(want) };
            assert_eq!(safe_return_path(*input), want, "input {input:?}");
        }
    }

    #[test]
    fn non_ascii_is_percent_encoded_so_location_stays_ascii() {
        assert_eq!(safe_return_path(Some("/café")), "/caf%C3%A9");
        // A fullwidth solidus is not a slash to the rule, and never reaches a browser raw.
        assert_eq!(safe_return_path(Some("/\u{ff0f}evil.example")), "/%EF%BC%8Fevil.example");
        assert_eq!(safe_return_path(Some("/\u{ff0f}\u{ff0f}evil.example")), "/%EF%BC%8F%EF%BC%8Fevil.example");
        assert!(safe_return_path(Some("/a?q=\u{1f600}")).is_ascii());
    }
}
