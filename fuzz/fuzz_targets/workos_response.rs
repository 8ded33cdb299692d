//! WorkOS answers: error bodies of every family and the success shapes we deserialize. Input:
//! first byte picks the status, the rest is the body.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mcp_authkit_worker::workos::{AuthResponse, Membership, Organization, Role, User, WorkosError};

const STATUSES: [u16; 12] = [200, 201, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let status = STATUSES[pick as usize % STATUSES.len()];
    let retry_after = std::str::from_utf8(body).ok().map(|s| s.lines().next().unwrap_or(""));
    let e = WorkosError::from_response(status, body, retry_after, Some("req_fuzz"), 1_800_000_000);
    let shown = e.to_string();
    assert!(shown.chars().count() < 2_000, "bounded text");
    if let Some(after) = e.retry_after() {
        assert!(after <= 3_600);
    }
    let _ = serde_json::from_slice::<AuthResponse>(body);
    let _ = serde_json::from_slice::<User>(body);
    let _ = serde_json::from_slice::<Organization>(body);
    let _ = serde_json::from_slice::<Role>(body);
    if let Ok(m) = serde_json::from_slice::<Membership>(body) {
        let _ = m.role_slugs();
    }
});
