//! The lookup's caches (`resolve`): this isolate's copy and KV's, the pause after a failure, and
//! the marks WorkOS events leave; on the small WorkOS of the parent module.
use super::*;

struct Isolate {
    http: ScriptedHttp<Handler>,
    cache: RefCell<OrgAccessCache>,
}

impl Isolate {
    fn new(world: &Rc<RefCell<World>>) -> Isolate {
        Isolate { http: workos_http(world), cache: RefCell::new(OrgAccessCache::default()) }
    }
    fn resolve(&self, store: &MemoryStore, now: u64) -> Result<Option<OrgAccess>, Unavailable> {
        block_on(resolve(store, &client(&self.http), &self.cache, USER, ORG, now))
    }
    fn workos_calls(&self) -> usize {
        self.http.requests.borrow().len()
    }
}

fn perms(r: Result<Option<OrgAccess>, Unavailable>) -> Vec<String> {
    r.expect("resolved").expect("a member").permissions
}

#[test]
fn a_second_request_within_a_minute_makes_no_call_at_all() {
    let world = World::new();
    let store = MemoryStore::default();
    let isolate = Isolate::new(&world);
    assert_eq!(perms(isolate.resolve(&store, NOW)), vec!["image_generation", "reports:read"]);
    let calls = isolate.workos_calls();
    // KV failing proves the second answer did not even read KV.
    *store.fail.borrow_mut() = true;
    assert_eq!(perms(isolate.resolve(&store, NOW + MEMORY_SECS - 1)), vec!["image_generation", "reports:read"]);
    assert_eq!(isolate.workos_calls(), calls);
}

#[test]
fn the_answer_is_shared_through_kv_with_its_key_and_lifetime() {
    let world = World::new();
    let store = MemoryStore::default();
    Isolate::new(&world).resolve(&store, NOW).unwrap();
    let (text, ttl) = store.map.borrow().get("authz:org:org_01ACME:user_01ALICE").cloned().expect("KV entry");
    assert_eq!(ttl, STALE_SECS);
    let stored: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(stored["fetched_at"], NOW);
    assert_eq!(stored["access"]["permissions"], json!(["image_generation", "reports:read"]));

    // Another isolate reads KV instead of WorkOS.
    let other = Isolate::new(&world);
    world.borrow_mut().down = true;
    assert_eq!(perms(other.resolve(&store, NOW + 10)), vec!["image_generation", "reports:read"]);
    assert_eq!(other.workos_calls(), 0);
}

#[test]
fn a_role_change_in_workos_shows_once_the_copies_are_old() {
    let world = World::new();
    let store = MemoryStore::default();
    let isolate = Isolate::new(&world);
    isolate.resolve(&store, NOW).unwrap();
    world.borrow_mut().membership["roles"] = json!([{"slug": "member"}]);
    world.borrow_mut().membership["role"] = json!({"slug": "member"});
    // Memory expired, KV still fresh: the old answer.
    assert_eq!(perms(isolate.resolve(&store, NOW + MEMORY_SECS)), vec!["image_generation", "reports:read"]);
    // KV expired too: WorkOS again.
    assert_eq!(perms(isolate.resolve(&store, NOW + KV_FRESH_SECS + MEMORY_SECS)), vec!["reports:read"]);
}

#[test]
fn a_non_member_answer_is_cached_too() {
    let world = World::new();
    world.borrow_mut().membership["status"] = json!("inactive");
    let store = MemoryStore::default();
    let isolate = Isolate::new(&world);
    assert_eq!(isolate.resolve(&store, NOW).unwrap(), None);
    assert_eq!(isolate.resolve(&store, NOW + 1).unwrap(), None);
    assert_eq!(isolate.workos_calls(), 1);
}

#[test]
fn during_a_workos_outage_a_copy_up_to_fifteen_minutes_old_is_used_then_none() {
    let world = World::new();
    let store = MemoryStore::default();
    let isolate = Isolate::new(&world);
    isolate.resolve(&store, NOW).unwrap();
    world.borrow_mut().down = true;
    assert_eq!(perms(isolate.resolve(&store, NOW + STALE_SECS - 1)), vec!["image_generation", "reports:read"]);
    assert!(matches!(
        isolate.resolve(&store, NOW + STALE_SECS),
        Err(Unavailable(WorkosError::Server { status: 503, .. }))
    ));
}

#[test]
fn an_outage_with_no_copy_is_unavailable_and_writes_nothing() {
    let world = World::new();
    world.borrow_mut().down = true;
    let store = MemoryStore::default();
    assert!(Isolate::new(&world).resolve(&store, NOW).is_err());
    assert!(store.keys_with_prefix("authz:").is_empty());
}

#[test]
fn a_kv_outage_falls_back_to_workos() {
    let world = World::new();
    let store = MemoryStore::default();
    *store.fail.borrow_mut() = true;
    assert_eq!(perms(Isolate::new(&world).resolve(&store, NOW)), vec!["image_generation", "reports:read"]);
}

#[test]
fn an_unreadable_kv_entry_is_ignored() {
    let world = World::new();
    let store = MemoryStore::default();
    block_on(store.put("authz:org:org_01ACME:user_01ALICE", "{not json", 900)).unwrap();
    let isolate = Isolate::new(&world);
    assert_eq!(perms(isolate.resolve(&store, NOW)), vec!["image_generation", "reports:read"]);
    assert!(isolate.workos_calls() > 0);
}

#[test]
fn the_isolate_cache_stays_bounded() {
    let mut cache = OrgAccessCache::default();
    let entry = Entry { fetched_at: NOW, access: None };
    for i in 0..MAX_ENTRIES + 10 {
        cache.remember(format!("k{i}"), entry.clone(), NOW);
    }
    assert!(cache.entries.len() <= MAX_ENTRIES);
    assert!(cache.get(&format!("k{}", MAX_ENTRIES + 9)).is_some(), "the newest entry is kept");
}

#[test]
fn a_copy_read_from_kv_keeps_its_age_for_the_outage_limit() {
    let world = World::new();
    let store = MemoryStore::default();
    Isolate::new(&world).resolve(&store, NOW).unwrap();
    // Another isolate reads the KV copy late in its freshness, then WorkOS goes down.
    let other = Isolate::new(&world);
    other.resolve(&store, NOW + KV_FRESH_SECS - 1).unwrap();
    assert_eq!(other.workos_calls(), 0);
    world.borrow_mut().down = true;
    assert!(other.resolve(&store, NOW + STALE_SECS - 1).is_ok());
    assert!(
        other.resolve(&store, NOW + STALE_SECS).is_err(),
        "fifteen minutes after WorkOS answered, not after the KV read"
    );
}

#[test]
fn a_failed_lookup_is_not_repeated_for_a_few_seconds() {
    // A role slug WorkOS knows in neither scope: a refusal that will not pass by itself.
    let world = World::new();
    world.borrow_mut().membership["roles"] = json!([{"slug": "ghost"}]);
    world.borrow_mut().membership["role"] = json!({"slug": "ghost"});
    let store = MemoryStore::default();
    let isolate = Isolate::new(&world);
    assert!(matches!(isolate.resolve(&store, NOW), Err(Unavailable(WorkosError::Api { status: 404, .. }))));
    let calls = isolate.workos_calls();
    assert_eq!(calls, 3, "the membership, then the role in both scopes");
    // Within the pause: the same failure, without a call.
    for later in [NOW, NOW + FAILURE_SECS - 1] {
        assert!(matches!(isolate.resolve(&store, later), Err(Unavailable(WorkosError::Api { status: 404, .. }))));
    }
    assert_eq!(isolate.workos_calls(), calls);
    // Another isolate does not share the pause, and the pause ends.
    let other = Isolate::new(&world);
    assert!(other.resolve(&store, NOW + 1).is_err());
    assert_eq!(other.workos_calls(), calls);
    world.borrow_mut().membership["roles"] = json!([{"slug": "member"}]);
    world.borrow_mut().membership["role"] = json!({"slug": "member"});
    assert_eq!(perms(isolate.resolve(&store, NOW + FAILURE_SECS)), vec!["reports:read"]);
    assert_eq!(isolate.workos_calls(), calls + 2);
}

#[test]
fn during_the_pause_a_copy_still_answers_and_other_keys_still_ask() {
    let world = World::new();
    let store = MemoryStore::default();
    let isolate = Isolate::new(&world);
    isolate.resolve(&store, NOW).unwrap();
    world.borrow_mut().down = true;
    let later = NOW + KV_FRESH_SECS + MEMORY_SECS;
    assert_eq!(perms(isolate.resolve(&store, later)), vec!["image_generation", "reports:read"]);
    let calls = isolate.workos_calls();
    assert_eq!(perms(isolate.resolve(&store, later + 1)), vec!["image_generation", "reports:read"]);
    assert_eq!(isolate.workos_calls(), calls, "the stale copy, without asking again");
    // Another member of the organization is asked for (and fails on its own).
    let other_user = block_on(resolve(&store, &client(&isolate.http), &isolate.cache, "user_01BOB", ORG, later + 1));
    assert!(other_user.is_err());
    assert!(isolate.workos_calls() > calls);
}

#[test]
fn the_failure_memory_stays_bounded() {
    let mut cache = OrgAccessCache::default();
    let error = WorkosError::Server { status: 503, retry_after: None, request_id: None };
    for i in 0..MAX_FAILURES + 10 {
        cache.note_failure(&format!("k{i}"), &error, NOW);
    }
    assert_eq!(cache.failures.len(), MAX_FAILURES);
    assert!(cache.failed_lately(&format!("k{}", MAX_FAILURES + 9), NOW).is_some(), "the newest is kept");
    assert!(cache.failed_lately("k0", NOW).is_none(), "the oldest made room");
    cache.note_failure("k", &error, NOW + FAILURE_SECS);
    assert_eq!(cache.failures.len(), 1, "the ones past their pause are dropped");
}

/// An event's mark (written by the webhook, unix ms).
fn mark(store: &MemoryStore, key: &str, at_ms: u64) {
    block_on(store.put(key, &at_ms.to_string(), 3600)).unwrap();
}

#[test]
fn a_copy_read_from_workos_before_an_event_about_the_user_is_set_aside() {
    let world = World::new();
    let store = MemoryStore::default();
    // A lookup read WorkOS at NOW and wrote its copy back after the event (NOW + 0.5 s) came.
    Isolate::new(&world).resolve(&store, NOW).unwrap();
    world.borrow_mut().membership["roles"] = json!([{"slug": "member"}]);
    world.borrow_mut().membership["role"] = json!({"slug": "member"});
    mark(&store, &keys::access_changed(USER), NOW * 1000 + 500);
    let other = Isolate::new(&world);
    assert_eq!(perms(other.resolve(&store, NOW + 10)), vec!["reports:read"], "WorkOS read again");
    assert!(other.workos_calls() > 0);
    // The copy it wrote back is newer than the mark: a third isolate reads it from KV.
    let third = Isolate::new(&world);
    assert_eq!(perms(third.resolve(&store, NOW + 11)), vec!["reports:read"]);
    assert_eq!(third.workos_calls(), 0);
}

/// Alice's admin standing, copied to KV at NOW: a mark of `key` from just before leaves the copy
/// in use; one from NOW + 0.5 s sets it aside, and WorkOS (where admin lost image_generation
/// meanwhile) is read.
fn set_aside_by_a_later_mark(key: &str) {
    let world = World::new();
    let store = MemoryStore::default();
    Isolate::new(&world).resolve(&store, NOW).unwrap();
    world.borrow_mut().env_roles[0].1 = Some(vec!["reports:read"]);
    mark(&store, key, (NOW - 1) * 1000 + 999);
    let before = Isolate::new(&world);
    assert_eq!(perms(before.resolve(&store, NOW + 10)), vec!["image_generation", "reports:read"], "{key}");
    assert_eq!(before.workos_calls(), 0, "{key}: a mark from before the copy leaves it in use");
    mark(&store, key, NOW * 1000 + 500);
    let after = Isolate::new(&world);
    assert_eq!(perms(after.resolve(&store, NOW + 10)), vec!["reports:read"], "{key}");
    assert!(after.workos_calls() > 0, "{key}");
}

#[test]
fn a_later_mark_of_the_user_of_a_role_held_or_of_a_deleted_permission_sets_the_copy_aside() {
    for key in [keys::access_changed(USER), keys::role_changed("admin"), keys::PERMISSION_DELETED.to_string()] {
        set_aside_by_a_later_mark(&key);
    }
}

#[test]
fn a_mark_of_a_role_the_copy_does_not_hold_leaves_it_in_use() {
    let world = World::new();
    let store = MemoryStore::default();
    Isolate::new(&world).resolve(&store, NOW).unwrap();
    mark(&store, &keys::role_changed("member"), NOW * 1000 + 500);
    let reader = Isolate::new(&world);
    reader.resolve(&store, NOW + 10).unwrap();
    assert_eq!(reader.workos_calls(), 0);
}

#[test]
fn an_unreadable_mark_sets_the_copy_aside() {
    let world = World::new();
    let store = MemoryStore::default();
    Isolate::new(&world).resolve(&store, NOW).unwrap();
    // The entry reads, a mark does not (the role's, then the user's): WorkOS is asked instead
    // of trusting a copy that could not be checked.
    for marks in ["oauth:role-changed:", "oauth:access-changed:", "oauth:permission-deleted"] {
        store.refuse_gets(marks);
        let reader = Isolate::new(&world);
        assert_eq!(perms(reader.resolve(&store, NOW + 10)), vec!["image_generation", "reports:read"]);
        assert!(reader.workos_calls() > 0, "{marks}");
    }
}

#[test]
fn during_an_outage_this_isolates_copy_from_before_a_mark_is_set_aside_too() {
    let world = World::new();
    let store = MemoryStore::default();
    let isolate = Isolate::new(&world);
    assert_eq!(perms(isolate.resolve(&store, NOW)), vec!["image_generation", "reports:read"]);
    // An event about Alice (her removal, say): the webhook marks her and drops KV's copy; then
    // WorkOS cannot be asked.
    mark(&store, &keys::access_changed(USER), (NOW + 30) * 1000);
    block_on(store.delete(&keys::org_access(ORG, USER))).unwrap();
    world.borrow_mut().down = true;
    assert!(isolate.resolve(&store, NOW + MEMORY_SECS + 1).is_err(), "no copy from before the mark answers");
    // A copy this isolate read after the mark still answers in an outage.
    world.borrow_mut().down = false;
    let later = Isolate::new(&world);
    later.resolve(&store, NOW + 40).unwrap();
    block_on(store.delete(&keys::org_access(ORG, USER))).unwrap();
    world.borrow_mut().down = true;
    assert_eq!(perms(later.resolve(&store, NOW + 40 + MEMORY_SECS + 1)), vec!["image_generation", "reports:read"]);
}
