//! Every absolute URL the Worker reads from outside goes through [`parse`]: `url::Url::parse`
//! behind one guard.
//!
//! The build links `url` with `idna_adapter` 1.0 (pinned in Cargo.toml): host names are ASCII
//! only, which keeps ICU4X's Unicode tables (about 50 KiB gzip) out of the Wasm. A URI is ASCII
//! by definition (RFC 3986); an internationalized host is written in its punycode (`xn--`) form,
//! which passes when it decodes to a host name (the last rule below). The guard refuses what would
//! reach the Unicode side of IDNA, where that adapter has no data:
//! - any non-ASCII character;
//! - ASCII tab, line feed and carriage return (the URL parser drops them, so they could split a
//!   host from its scheme unseen);
//! - a percent escape of a non-ASCII byte in the authority (the host is percent-decoded);
//! - an A-label (`xn--…`, the punycode form) that decodes to what a host name cannot hold. `url`
//!   decodes A-labels and hands them to the Unicode side, which here checks nothing (and whose
//!   debug assertions the fuzzer tripped), so the guard decodes them first: lower-case ASCII
//!   letters, digits and hyphens, and any other character except controls, invisible format
//!   characters (joiners, bidi marks, the BOM), private use and the Specials block (U+FFFD).
use std::fmt;

/// Why [`parse`] refused its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// Non-ASCII, a tab or line break, or an escaped non-ASCII byte in the host.
    NotAscii,
    /// An A-label (`xn--…`) that is not punycode or decodes to a character a host cannot hold.
    BadALabel,
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
            UrlError::BadALabel => {
                f.write_str("an internationalized host label (xn--) must be punycode of letters, digits and hyphens")
            }
            UrlError::Url(e) => e.fmt(f),
        }
    }
}

/// Parses an absolute URL, refusing what the guard above describes.
pub fn parse(input: &str) -> Result<url::Url, UrlError> {
    if !input.bytes().all(|b| b.is_ascii() && !matches!(b, b'\t' | b'\n' | b'\r')) {
        return Err(UrlError::NotAscii);
    }
    let authority = authority(input);
    if escapes_non_ascii(authority) {
        return Err(UrlError::NotAscii);
    }
    if !a_labels_acceptable(authority) {
        return Err(UrlError::BadALabel);
    }
    url::Url::parse(input).map_err(UrlError::Url)
}

/// Whether `url` carries credentials: a user name or a password (`https://:secret@host` has only
/// the latter).
pub fn has_credentials(url: &url::Url) -> bool {
    !url.username().is_empty() || url.password().is_some()
}

/// Whether each A-label of the host in `authority` (after any userinfo, before any port;
/// percent-decoded and lower-cased, as `url` reads it) decodes to what a host name can hold.
fn a_labels_acceptable(authority: &str) -> bool {
    let host = authority.rsplit('@').next().unwrap_or(authority);
    if host.starts_with('[') {
        return true; // an IPv6 literal
    }
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let host = percent_encoding::percent_decode_str(host).decode_utf8_lossy().to_ascii_lowercase();
    host.split('.').all(|label| match label.strip_prefix("xn--") {
        None => true,
        Some(encoded) => idna::punycode::decode(encoded)
            .is_some_and(|chars| !chars.is_empty() && chars.into_iter().all(allowed_in_label)),
    })
}

/// A character a decoded A-label may hold (see the module's list).
fn allowed_in_label(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    }
    !matches!(c,
        '\u{80}'..='\u{9f}' // C1 controls
        | '\u{ad}' // soft hyphen
        | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' // invisible, bidi
        | '\u{e000}'..='\u{f8ff}' // private use
        | '\u{fe00}'..='\u{fe0f}' | '\u{feff}' | '\u{fff0}'..='\u{ffff}' // variation selectors, BOM, Specials
    )
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
    fn a_labels_must_decode_to_a_host_name() {
        let label = |decoded: &str| format!("xn--{}", idna::punycode::encode_str(decoded).unwrap());
        assert_eq!(label("bücher"), "xn--bcher-kva");
        for ok in ["bücher", "münchen-2", "日本語", "ελληνικά"] {
            let url = format!("https://{}.example/", label(ok));
            assert_eq!(parse(&url).unwrap().host_str(), Some(&url[8..url.len() - 1]), "{ok}");
        }
        // Any case of the prefix, with userinfo and a port.
        assert!(parse("https://u:p@XN--BCHER-KVA.example:8443/").is_ok());
        for bad in ["a\u{200f}b", "a\u{200d}b", "a\u{fffd}", "a\u{feff}", "a\u{ad}b", "ü.b", "ü/b", "\u{e000}b"] {
            for url in [format!("https://{}.example/", label(bad)), format!("https://x.{}:1/", label(bad))] {
                assert_eq!(parse(&url), Err(UrlError::BadALabel), "{bad:?} as {url}");
            }
        }
        // Not punycode at all, empty, or written with escapes.
        let escaped = format!("https://%78n--{}.example/", idna::punycode::encode_str("a\u{200f}b").unwrap());
        for url in ["https://xn--.example/", "https://xn--ab-99999999999.example/", &escaped] {
            assert_eq!(parse(url), Err(UrlError::BadALabel), "{url}");
        }
        // What the fuzzer found: punycode of a bidi mark, which `url`'s IDNA let through unchecked.
        let found = "https://XN--R-BCNEKVA1httpbbbbbbbbbTbbbbbbbbbbbbbbbbbbbbbibbbbbbbbbexamPl???hap????p";
        assert_eq!(parse(found), Err(UrlError::BadALabel));
        // IPv6 literals and other hosts are not A-labels.
        assert!(parse("https://[::1]:8/").is_ok() && parse("https://xn-a.example/").is_ok());
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
