use super::*;
use crate::store::keys;

/// Grants as earlier versions wrote them to KV: they read back into their phase and are
/// written again byte for byte.
#[test]
fn stored_bytes_are_those_of_earlier_grants() {
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let pending = format!(
        r#"{{"id":"g1","client_id":"c1","user_id":"user_a","redirect_uri":"https://app.example/cb","audience":"mcp","created_at":1,"expires_at":601,"code":{{"hash":"aa","challenge":"{challenge}","expires_at":601}},"used_code_hash":null,"refresh_hash":null,"previous_refresh_hash":null,"sealed":"s"}}"#
    );
    let active = r#"{"id":"g1","client_id":"c1","user_id":"user_a","redirect_uri":"https://app.example/cb","audience":"origin","created_at":1,"expires_at":99,"code":null,"used_code_hash":"aa","redeemed_at_ms":5,"refresh_hash":"cc","previous_refresh_hash":"bb","rotated_at_ms":7,"previous_retried":true,"superseded":["b0"],"sealed":"s"}"#;
    for raw in [pending.as_str(), active] {
        let g: Grant = serde_json::from_str(raw).unwrap();
        assert_eq!(serde_json::to_string(&g).unwrap(), raw);
    }
    let g: Grant = serde_json::from_str(active).unwrap();
    assert!(g.is_active());
    assert_eq!(g.refresh_role(&serde_json::from_str(r#""bb""#).unwrap()), RefreshRole::Previous);
    assert_eq!(g.rotated_at_ms(), Some(7));
    assert!(g.previous_retried());
    let g: Grant = serde_json::from_str(&pending).unwrap();
    assert!(matches!(g.phase, GrantPhase::Pending { .. }) && !g.is_active());
}

#[test]
fn a_record_in_no_phase_does_not_load() {
    let neither = r#"{"id":"g1","client_id":"c1","user_id":"u","redirect_uri":"https://app.example/cb","audience":"mcp","created_at":1,"expires_at":2,"code":null,"used_code_hash":null,"refresh_hash":null,"previous_refresh_hash":null,"sealed":"s"}"#;
    assert!(serde_json::from_str::<Grant>(neither).is_err());
}

#[test]
fn rotation_keeps_one_previous_and_retires_the_rest() {
    let h = |s: &str| TokenHash::of(s);
    let mut g: Grant = serde_json::from_str(r#"{"id":"g1","client_id":"c1","user_id":"u","redirect_uri":"https://app.example/cb","audience":"mcp","created_at":1,"expires_at":2,"code":null,"used_code_hash":"aa","refresh_hash":"x","previous_refresh_hash":null,"sealed":"s"}"#).unwrap();
    g.redeem(h("code"), 1, h("r1"));
    g.rotate(RefreshRole::Current, h("r2"), 10);
    assert_eq!((g.refresh_role(&h("r2")), g.refresh_role(&h("r1"))), (RefreshRole::Current, RefreshRole::Previous));
    // The previous token's grace use: it stays previous (grace spent), r2 is retired.
    g.rotate(RefreshRole::Previous, h("r3"), 20);
    assert_eq!(g.refresh_role(&h("r2")), RefreshRole::Superseded);
    assert_eq!(g.refresh_role(&h("r1")), RefreshRole::Previous);
    assert!(g.previous_retried());
    g.rotate(RefreshRole::Current, h("r4"), 30);
    assert_eq!(g.refresh_role(&h("r1")), RefreshRole::Superseded);
    assert_eq!(g.refresh_role(&h("r3")), RefreshRole::Previous);
    assert!(!g.previous_retried());
}

/// A grant that would outlive its index entry writes the entry first, and notes it only once it
/// is written: a save whose entry could not be written writes the record only while the entry
/// written before still lives, and the next save writes the entry. A grant written before the
/// entry's expiry was kept writes it too.
#[test]
fn a_save_writes_the_index_entry_first_when_the_grant_would_outlive_it() {
    use futures_executor::block_on;
    let earlier = r#"{"id":"g1","client_id":"c1","user_id":"user_a","redirect_uri":"https://app.example/cb","audience":"mcp","created_at":1,"expires_at":5000,"code":null,"used_code_hash":"aa","refresh_hash":"x","previous_refresh_hash":null,"sealed":"s"}"#;
    let mut g: Grant = serde_json::from_str(earlier).unwrap();
    assert_eq!(g.indexed_until, 0, "kept by no earlier record");
    let (now, record, index) = (100, keys::oauth_grant("g1"), keys::user_grant("user_a", "g1"));

    // Users' index entries cannot be written.
    let down = crate::store::MemoryStore::default();
    down.refuse_puts(keys::USER_GRANTS_PREFIX, "index down");
    assert!(block_on(save(&down, &mut g.clone(), now)).is_err());
    assert!(down.map.borrow().is_empty(), "no record without its entry");

    let store = crate::store::MemoryStore::default();
    block_on(save(&store, &mut g, now)).unwrap();
    assert_eq!(g.indexed_until, 5000 + INDEX_SLACK);
    assert_eq!(store.map.borrow()[&index], ("c1".to_string(), 5000 + INDEX_SLACK - now));
    let kept: Grant = serde_json::from_str(&store.map.borrow()[&record].0).unwrap();
    assert_eq!(kept.indexed_until, 5000 + INDEX_SLACK);

    // Extended within the entry's lifetime: the record alone is written.
    store.map.borrow_mut().remove(&index);
    g.expires_at = 5000 + INDEX_SLACK;
    block_on(save(&store, &mut g, now + 10)).unwrap();
    assert!(!store.map.borrow().contains_key(&index), "the entry is not written again");
    // Past it, with the index down: the record is written (the entry of the last save still
    // lives) and still notes the old entry, so the next save writes it.
    g.expires_at += 1;
    store.refuse_puts(keys::USER_GRANTS_PREFIX, "index down");
    block_on(save(&store, &mut g, now + 20)).unwrap();
    let kept: Grant = serde_json::from_str(&store.map.borrow()[&record].0).unwrap();
    assert_eq!((kept.expires_at, kept.indexed_until), (5000 + INDEX_SLACK + 1, 5000 + INDEX_SLACK));
    assert!(!store.map.borrow().contains_key(&index));
    // The index back: the entry again, a slack ahead.
    store.accept_puts();
    block_on(save(&store, &mut g, now + 30)).unwrap();
    assert_eq!(store.map.borrow()[&index].1, 5000 + 2 * INDEX_SLACK + 1 - (now + 30));
}
