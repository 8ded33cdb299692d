//! Property tests of the security rules (proptest): generated inputs, including hostile ones,
//! against what each rule promises.
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use mcp_authkit_worker::oauth::pkce::CodeChallenge;
use mcp_authkit_worker::oauth::redirect_uri::{matches, RedirectUri};
use mcp_authkit_worker::return_path::safe_return_path;
use mcp_authkit_worker::seal::SealKeys;
use proptest::prelude::*;
use sha2::{Digest, Sha256};

const ORIGIN: &str = "https://mcp.example.com/";
const KEY_A: &str = "property-key-a-0123456789abcdef0123456789";
const KEY_B: &str = "property-key-b-0123456789abcdef0123456789";
const NOW: u64 = 1_800_000_000;

/// Strings made of the characters open redirects are built from.
fn hostile_path() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "/",
        "//",
        "\\",
        "%2F",
        "%2f",
        "%5C",
        "%252F",
        "%25",
        "%09",
        "%0A",
        "%0D",
        "%00",
        "%20",
        " ",
        "\t",
        "\n",
        "@",
        ":",
        ".",
        "..",
        "?",
        "#",
        "&",
        "=",
        "http:",
        "https:",
        "javascript:",
        "evil.example",
        "a",
        "Z",
        "0",
        "é",
        "\u{2215}",
        "\u{ff0f}",
        "%E2%88%95",
        "~",
    ]);
    prop::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    /// The return-path rule yields "/" or the input (non-ASCII percent-encoded, so it is always
    /// ASCII), and the browser, resolving it against our origin, never leaves the site.
    #[test]
    fn the_return_path_never_leaves_the_site(input in prop_oneof![hostile_path(), any::<String>()]) {
        let out = safe_return_path(Some(&input));
        prop_assert!(out.is_ascii());
        // The input as it should come out when accepted, encoded by another implementation (the
        // `percent-encoding` crate: every non-ASCII byte; the controls it would also encode are
        // never accepted).
        let encoded = percent_encoding::utf8_percent_encode(&input, percent_encoding::CONTROLS).to_string();
        prop_assert!(out == "/" || out == encoded, "{:?} → {:?}", input, out);
        let resolved = url::Url::parse(ORIGIN).unwrap().join(&out).unwrap();
        prop_assert_eq!(resolved.host_str(), Some("mcp.example.com"), "{:?} → {:?} → {}", input, out, resolved);
        prop_assert_eq!(resolved.scheme(), "https");
        // Also after one more percent-decoding by something on the way.
        let decoded: String = url::form_urlencoded::parse(format!("x={}", out.replace('+', "%2B")).as_bytes())
            .next().map(|(_, v)| v.into_owned()).unwrap_or_default();
        if let Ok(again) = url::Url::parse(ORIGIN).unwrap().join(&decoded) {
            prop_assert_eq!(again.host_str(), Some("mcp.example.com"), "{:?} decodes to {:?}", out, decoded);
        }
    }
}

/// Registered redirect URIs of every kind clients use.
fn registered_uri() -> impl Strategy<Value = String> {
    let path = "(/[a-z0-9._~-]{0,8}){0,3}";
    let query = prop_oneof![Just(String::new()), "\\?[a-z]{1,4}=[a-z0-9]{0,4}"];
    prop_oneof![
        ("[a-z]{1,8}\\.(example|test)", path, query.clone()).prop_map(|(h, p, q)| format!("https://{h}{p}{q}")),
        (prop::sample::select(vec!["127.0.0.1", "localhost", "[::1]"]), 1024u16..65535, path, query.clone())
            .prop_map(|(h, port, p, q)| format!("http://{h}:{port}{p}{q}")),
        ("[a-z]{2,6}", "[a-z]{1,6}", path).prop_map(|(s, a, p)| format!("com.{s}.app://{a}{p}")),
    ]
}

/// A change to a URI: a character replaced, inserted or removed, its case changed, or a suffix.
fn mutate(uri: &str, which: usize, ch: char, kind: u8) -> String {
    let chars: Vec<char> = uri.chars().collect();
    let i = which % (chars.len() + 1);
    let mut out = chars.clone();
    match kind % 5 {
        0 if i < chars.len() => out[i] = ch,
        1 => out.insert(i, ch),
        2 if i < chars.len() => {
            out.remove(i);
        }
        3 => return uri.to_ascii_uppercase(),
        _ => return format!("{uri}{ch}"),
    }
    out.into_iter().collect()
}

/// Independent of the matcher: (scheme, host, path and query) of a URI, port dropped.
fn without_port(uri: &str) -> Option<(String, String, String)> {
    let u = url::Url::parse(uri).ok()?;
    let host = u.host_str()?.to_string();
    Some((u.scheme().to_string(), host, u[url::Position::BeforePath..].to_string()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3_000, ..ProptestConfig::default() })]

    /// Only the registered URI matches, except that a loopback URI may differ in its port.
    #[test]
    fn redirect_matching_accepts_only_the_registered_uri(
        uri in registered_uri(), which in any::<usize>(), ch in prop::char::range('!', '~'), kind in any::<u8>(),
    ) {
        let r = RedirectUri::parse(&uri).expect("generated URIs are valid registrations");
        prop_assert!(matches(&r, &uri));
        let presented = mutate(&uri, which, ch, kind);
        if matches(&r, &presented) && presented != uri {
            prop_assert!(r.is_loopback(), "{} accepted {}", uri, presented);
            prop_assert!(RedirectUri::parse(&presented).is_ok());
            prop_assert_eq!(without_port(&uri), without_port(&presented), "{} accepted {}", uri, presented);
            prop_assert!(!presented.contains('#'));
        }
    }

    /// A loopback URI matches itself on any other port (RFC 8252 §7.3).
    #[test]
    fn a_loopback_uri_matches_on_any_port(port in 1024u16..65535, other in 1u16..65535, path in "(/[a-z]{1,5}){0,2}") {
        let r = RedirectUri::parse(&format!("http://127.0.0.1:{port}{path}")).unwrap();
        let same_host = format!("http://127.0.0.1:{other}{path}");
        let other_host = format!("http://localhost:{other}{path}");
        prop_assert!(matches(&r, &same_host));
        prop_assert!(!matches(&r, &other_host), "the host as written");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// A sealed cookie opens only with a configured key (any position in the rotation list), only
    /// under its name, only before expiry, and only unmodified.
    #[test]
    fn a_sealed_cookie_opens_only_with_its_key_and_unmodified(
        payload in prop::collection::vec(any::<u8>(), 0..300), at in any::<usize>(), replacement in any::<u8>(),
    ) {
        let sealer = SealKeys::parse(KEY_A).unwrap();
        let sealed = sealer.seal("__Host-s", &payload, NOW + 600);
        prop_assert_eq!(sealer.open("__Host-s", &sealed, NOW), Some(payload.clone()));
        let rotated = SealKeys::parse(&format!("{KEY_B},{KEY_A}")).unwrap();
        prop_assert_eq!(rotated.open("__Host-s", &sealed, NOW), Some(payload.clone()), "an older key still opens");
        prop_assert!(SealKeys::parse(KEY_B).unwrap().open("__Host-s", &sealed, NOW).is_none(), "another key");
        prop_assert!(sealer.open("__Host-t", &sealed, NOW).is_none(), "another cookie name");
        prop_assert!(sealer.open("__Host-s", &sealed, NOW + 600).is_none(), "expired");

        // Any one byte of the sealed value changed (re-encoded, so it is valid base64url).
        let mut raw = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        let i = at % raw.len();
        let new = if raw[i] == replacement { replacement.wrapping_add(1) } else { replacement };
        raw[i] = new;
        prop_assert!(sealer.open("__Host-s", &URL_SAFE_NO_PAD.encode(&raw), NOW).is_none(), "byte {} changed", i);
        // Truncated or extended.
        prop_assert!(sealer.open("__Host-s", &sealed[..sealed.len() - 1], NOW).is_none());
        let extended = format!("{sealed}A");
        prop_assert!(sealer.open("__Host-s", &extended, NOW).is_none());
    }

    /// PKCE S256 verifies only the verifier the challenge was made from.
    #[test]
    fn pkce_verifies_only_the_right_verifier(
        verifier in "[A-Za-z0-9._~-]{43,128}", other in "[A-Za-z0-9._~-]{43,128}",
    ) {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let c = CodeChallenge::parse(Some(&challenge), Some("S256")).unwrap();
        prop_assert!(c.verify(&verifier));
        prop_assert_eq!(c.verify(&other), other == verifier);
        prop_assert!(CodeChallenge::parse(Some(&challenge), Some("plain")).is_err());
        prop_assert!(CodeChallenge::parse(Some(&challenge), None).is_err());
    }
}
