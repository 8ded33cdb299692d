//! Caches that live as long as the isolate (per-isolate `thread_local`s), shared by the Worker's
//! requests and the Durable Objects in the same isolate. Each is an `Rc<RefCell<…>>`, never
//! borrowed across an `.await`.
use crate::authkit::metadata::AuthkitMetadata;
use crate::authkit::org_access::OrgAccessCache;
use crate::authkit::AuthkitKeys;
use crate::copies::KvCopies;
use crate::oauth::access::GrantChecks;
use crate::workos::{JwksCache, OrgNames};
use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    /// WorkOS's JWKS (each request would otherwise fetch it).
    static JWKS: Rc<RefCell<JwksCache>> = Rc::new(RefCell::new(JwksCache::default()));
    /// Organization names (a scoped sign-in then needs no call beyond the code exchange).
    static ORG_NAMES: Rc<RefCell<OrgNames>> = Rc::new(RefCell::new(OrgNames::default()));
    /// KV records that do not change (an authorization's hops read a registration once).
    static KV_COPIES: Rc<RefCell<KvCopies>> = Rc::new(RefCell::new(KvCopies::default()));
    /// AuthKit's JWKS (AuthKit mode).
    static AUTHKIT_KEYS: Rc<RefCell<AuthkitKeys>> = Rc::new(RefCell::new(AuthkitKeys::default()));
    /// AuthKit's RFC 8414 document (AuthKit mode).
    static AUTHKIT_METADATA: Rc<RefCell<AuthkitMetadata>> = Rc::new(RefCell::new(AuthkitMetadata::default()));
    /// Users' standing in their organizations, read from WorkOS (AuthKit mode).
    static ORG_ACCESS: Rc<RefCell<OrgAccessCache>> = Rc::new(RefCell::new(OrgAccessCache::default()));
    /// Recent grant lookups for bearer checks (at most one KV read per grant per minute).
    static GRANT_CHECKS: Rc<RefCell<GrantChecks>> = Rc::new(RefCell::new(GrantChecks::default()));
}

pub fn workos_jwks() -> Rc<RefCell<JwksCache>> {
    JWKS.with(Rc::clone)
}

pub fn org_names() -> Rc<RefCell<OrgNames>> {
    ORG_NAMES.with(Rc::clone)
}

pub fn kv_copies() -> Rc<RefCell<KvCopies>> {
    KV_COPIES.with(Rc::clone)
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

pub fn authkit_metadata() -> Rc<RefCell<AuthkitMetadata>> {
    AUTHKIT_METADATA.with(Rc::clone)
}
