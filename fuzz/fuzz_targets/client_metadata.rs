//! Dynamic Client Registration bodies and Client ID Metadata Documents: validation never panics,
//! and whatever it accepts has only redirect URIs that pass the registration rules.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mcp_authkit_worker::oauth::redirect_uri::RedirectUri;
use mcp_authkit_worker::oauth::{client, client_document};

const NOW: u64 = 1_800_000_000;
const CIMD_URL: &str = "https://client.example/oauth/metadata.json";

fuzz_target!(|data: &[u8]| {
    if let Ok(registration) = client::register(data, NOW, "client_fuzz", "secret_fuzz") {
        let uris = &registration.record.redirect_uris;
        assert!(!uris.is_empty());
        assert!(uris.iter().all(|u| RedirectUri::parse(u.as_str()).is_ok()));
    }
    if let Ok(record) = client_document::validate_metadata_document(CIMD_URL, data, NOW) {
        assert_eq!(record.client_id, CIMD_URL);
        assert!(record.redirect_uris.iter().all(|u| RedirectUri::parse(u.as_str()).is_ok()));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        for loopback in [false, true] {
            if let Some(Ok(url)) = client_document::metadata_document_url(text, loopback) {
                assert!(url.scheme() == "https" || loopback, "{url}");
            }
        }
        let ttl = client_document::metadata_cache_ttl(Some(text));
        assert!((60..=86_400).contains(&ttl), "ttl {ttl}");
    }
});
