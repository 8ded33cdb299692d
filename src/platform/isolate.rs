//! Caches that live as long as the isolate (per-isolate `thread_local`s), shared by the Worker's
//! requests and the Durable Objects in the same isolate. Each is an `Rc<RefCell<…>>`, never
//! borrowed across an `.await`.
use crate::auth::authkit::AuthkitKeys;
use crate::auth::org_access::OrgAccessCache;
use crate::oauth::access::GrantChecks;
use crate::workos::JwksCache;
use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    /// WorkOS's JWKS (each request would otherwise fetch it).
    static JWKS: Rc<RefCell<JwksCache>> = Rc::new(RefCell::new(JwksCache::default()));
    /// AuthKit's JWKS (AuthKit mode).
    static AUTHKIT_KEYS: Rc<RefCell<AuthkitKeys>> = Rc::new(RefCell::new(AuthkitKeys::default()));
    /// AuthKit's RFC 8414 document and when it was fetched (AuthKit mode).
    static AUTHKIT_METADATA: RefCell<Option<(u64, serde_json::Value)>> = const { RefCell::new(None) };
    /// Users' standing in their organizations, read from WorkOS (AuthKit mode).
    static ORG_ACCESS: Rc<RefCell<OrgAccessCache>> = Rc::new(RefCell::new(OrgAccessCache::default()));
    /// Recent grant lookups for bearer checks (at most one KV read per grant per minute).
    static GRANT_CHECKS: Rc<RefCell<GrantChecks>> = Rc::new(RefCell::new(GrantChecks::default()));
}

pub fn workos_jwks() -> Rc<RefCell<JwksCache>> {
    JWKS.with(Rc::clone)
}

pub fn authkit_keys() -> Rc<RefCell<AuthkitKeys>> {
    AUTHKIT_KEYS.with(Rc::clone)
}

pub fn org_access() -> Rc<RefCell<OrgAccessCache>> {
    ORG_ACCESS.with(Rc::clone)
}

pub fn grant_checks() -> Rc<RefCell<GrantChecks>> {
    GRANT_CHECKS.with(Rc::clone)
}

/// AuthKit's metadata document as cached (fetched at, document).
pub fn authkit_metadata() -> Option<(u64, serde_json::Value)> {
    AUTHKIT_METADATA.with(|c| c.borrow().clone())
}

pub fn remember_authkit_metadata(at: u64, doc: serde_json::Value) {
    AUTHKIT_METADATA.with(|c| *c.borrow_mut() = Some((at, doc)));
}
