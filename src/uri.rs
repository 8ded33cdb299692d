//! Every absolute URL the Worker reads from outside goes through [`parse`]: `url::Url::parse`
//! behind one guard.
//!
//! The build links `url` with `idna_adapter` 1.0 (pinned in Cargo.toml): host names are ASCII
//! only, which keeps ICU4X's Unicode tables (about 50 KiB gzip) out of the Wasm. A URI is ASCII
//! by definition (RFC 3986); an internationalized host is written in its punycode (`xn--`) form,
//! which passes as an ordinary host. The guard refuses what would reach the Unicode side of IDNA,
//! where that adapter has no data:
//! - any non-ASCII character;
//! - ASCII tab, line feed and carriage return (the URL parser drops them, so they could split a
//!   host from its scheme unseen);
//! - a percent escape of a non-ASCII byte in the authority (the host is percent-decoded).
use std::fmt;

/// Why [`parse`] refused its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// Non-ASCII, a tab or line break, or an escaped non-ASCII byte in the host.
    NotAscii,
    /// What `url` says about the rest.
    Url(url::ParseError),
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::NotAscii => f.write_str(
                "a URL must be ASCII: write an internationalized host name in its punycode (xn--) form \
                 and percent-encode other characters outside the host",
            ),
            UrlError::Url(e) => e.fmt(f),
        }
    }
}

/// Parses an absolute URL, refusing what the guard above describes.
pub fn parse(input: &str) -> Result<url::Url, UrlError> {
    if !input.bytes().all(|b| b.is_ascii() && !matches!(b, b'\t' | b'\n' | b'\r')) {
        return Err(UrlError::NotAscii);
    }
    if escapes_non_ascii(authority(input)) {
        return Err(UrlError::NotAscii);
    }
    url::Url::parse(input).map_err(UrlError::Url)
}

/// The part of `input` where a host can be: after the scheme's `:` and any slashes (special
/// schemes accept either slash and any number of them), up to the path, query or fragment. A
/// generous reading: for other schemes it may cover more than the host, which only refuses more.
fn authority(input: &str) -> &str {
    let Some(colon) = input.find(':') else { return input };
    let rest = input[colon + 1..].trim_start_matches(['/', '\\']);
    let end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
    &rest[..end]
}

/// Whether `s` holds a `%XX` escape of a byte ≥ 0x80.
fn escapes_non_ascii(s: &str) -> bool {
    s.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && matches!(w[1], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F') && w[2].is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_urls_parse_as_url_parses_them() {
        for s in [
            "https://example.com/cb?x=%C3%BC#f",
            "http://127.0.0.1:8788/",
            "https://[::1]/",
            "https://XN--BCHER-KVA.example/a",
        ] {
            assert_eq!(parse(s).unwrap(), url::Url::parse(s).unwrap(), "{s}");
        }
        assert_eq!(parse("https://xn--bcher-kva.example/").unwrap().host_str(), Some("xn--bcher-kva.example"));
        assert_eq!(parse("/relative"), Err(UrlError::Url(url::ParseError::RelativeUrlWithoutBase)));
        assert!(matches!(parse("https://a b/"), Err(UrlError::Url(_))));
    }

    #[test]
    fn what_would_need_unicode_idna_is_refused() {
        for s in [
            "https://bücher.example/",
            "https://example.com/ü",
            "https://%C3%BC.example/",
            "https://a%c3%bc/",
            "https:%C3%BC/",
            "https:\\\\%C3%BC/",
            "https://user:%E2%82%AC@example.com/",
            "https:\t//%C3%BC/",
            "https://exa\nmple.com/",
        ] {
            assert_eq!(parse(s), Err(UrlError::NotAscii), "{s:?}");
        }
        // Escapes of ASCII bytes in the host, and of any byte after it, are the parser's business.
        assert_eq!(parse("https://%41.example/").unwrap().host_str(), Some("a.example"));
        assert!(parse("https://example.com/%E2%82%AC?q=%FF").is_ok());
        assert!(UrlError::NotAscii.to_string().contains("punycode"));
    }

    #[test]
    fn the_authority_is_read_generously() {
        assert_eq!(authority("https://a.example:8/p?q"), "a.example:8");
        assert_eq!(authority("https:\\/a.example\\p"), "a.example");
        assert_eq!(authority("mailto:x@y"), "x@y");
        assert_eq!(authority("no-colon"), "no-colon");
        assert_eq!(authority("https://h?q/x"), "h");
        assert_eq!(authority("https://h#f"), "h");
    }
}
