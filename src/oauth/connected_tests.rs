//! Connected apps: the account page's list of a person's grants, and revoking one there.
use super::super::connected::{self, MAX_LISTED};
use super::super::grant;
use super::*;
use crate::ids::{GrantId, UserId};

fn apps(w: &World, user: &str) -> Vec<connected::ConnectedApp> {
    block_on(connected::list(&w.ctx(), &UserId::new(user))).unwrap()
}

#[test]
fn each_authorized_client_is_listed_with_what_its_tokens_carry_now() {
    let w = world();
    assert!(apps(&w, ALICE).is_empty());
    let (_, t1) = w.connected();
    w.advance(60);
    let (c2, t2) = w.connected();
    let listed = apps(&w, ALICE);
    assert_eq!(listed.len(), 2);
    // Most recently used first; a loopback redirect is "this computer".
    assert_eq!(listed[0].grant_id, grant_of(&t2));
    assert_eq!(listed[1].grant_id, grant_of(&t1));
    assert_eq!(listed[0].client_name, "Test client");
    assert_eq!(listed[0].redirect_host, None);
    assert_eq!(listed[0].authorized_at, T0 + 60);
    assert_eq!(listed[0].permissions, vec!["image_generation".to_string()]);
    // A refresh is a use, and carries the role WorkOS reports now.
    w.advance(120);
    *w.up.role.borrow_mut() = "member".into();
    w.refresh(&c2, t2.refresh()).unwrap();
    let listed = apps(&w, ALICE);
    assert_eq!(listed[0].last_used_at, T0 + 180);
    assert!(listed[0].permissions.is_empty(), "{:?}", listed[0].permissions);
    assert!(apps(&w, "user_bob").is_empty(), "nobody else sees them");
}

#[test]
fn a_grant_waiting_for_its_code_is_not_an_app_yet() {
    let w = world();
    let client = w.public_client();
    let session = w.sign_in();
    let (code, _) = w.approve(&w.params(&client, &[]), &session);
    assert!(apps(&w, ALICE).is_empty());
    w.exchange(&client, &code).unwrap();
    assert_eq!(apps(&w, ALICE).len(), 1);
}

#[test]
fn revoking_ends_the_grant_and_everything_issued_from_it_and_only_for_its_owner() {
    let w = world();
    let (c1, t1) = w.connected();
    let (c2, t2) = w.connected();
    let g1 = grant_of(&t1);
    // Someone else's grant, a malformed id, an unknown one: nothing changes.
    for (user, id) in [("user_bob", g1.as_str()), (ALICE, "../etc"), (ALICE, "AAAAAAAAAAAAAAAAAAAAAA")] {
        assert!(!block_on(connected::revoke(&w.ctx(), &UserId::new(user), id)).unwrap(), "{user} {id}");
    }
    assert_eq!(apps(&w, ALICE).len(), 2);
    assert!(block_on(connected::revoke(&w.ctx(), &UserId::new(ALICE), g1.as_str())).unwrap());
    let listed = apps(&w, ALICE);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].grant_id, grant_of(&t2));
    assert_eq!(w.refresh(&c1, t1.refresh()).unwrap_err().code, ErrorCode::InvalidGrant);
    w.advance(61); // the bearer check's per-isolate window
    assert_eq!(w.bearer(t1.access_token.as_str(), "/mcp").unwrap_err(), BearerError::Revoked);
    assert!(w.bearer(t2.access_token.as_str(), "/mcp").is_ok(), "the other app keeps working");
    assert!(w.refresh(&c2, t2.refresh()).is_ok());
    // One entry names the person's partition, and finds the grant left: it stays.
    assert_eq!(w.store.keys_with_prefix(&keys::user_grants_prefix(ALICE)), vec![partition_entry(&g1)]);
}

/// The user's index entry for a partitioned grant: the person's, which names the partition.
fn partition_entry(g: &GrantId) -> String {
    keys::user_grant(ALICE, crate::oauth::types::grant_object_name(g.as_str()))
}

#[test]
fn one_entry_finds_all_of_a_persons_grants() {
    let w = world();
    let (_, t1) = w.connected();
    let (_, t2) = w.connected();
    let (g1, g2) = (grant_of(&t1), grant_of(&t2));
    assert_eq!(&g1.as_str()[..8], &g2.as_str()[..8], "one partition");
    assert_eq!(w.store.keys_with_prefix(&keys::user_grants_prefix(ALICE)), vec![partition_entry(&g1)]);
    // An entry of its own (written per grant before one per person) finds its grant once more:
    // listed once.
    block_on(w.store.put(&keys::user_grant(ALICE, g1.as_str()), "c", 3600)).unwrap();
    let mut listed: Vec<GrantId> = apps(&w, ALICE).into_iter().map(|a| a.grant_id).collect();
    listed.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    let mut both = vec![g1, g2];
    both.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    assert_eq!(listed, both);
    // Another person's entry naming the same partition (a 48-bit collision) lists none of them.
    block_on(w.store.put(&keys::user_grant("user_bob", &both[0].as_str()[..8]), "c", 3600)).unwrap();
    assert!(apps(&w, "user_bob").is_empty());
}

#[test]
fn entries_of_one_grant_that_is_gone_are_dropped_when_listed_and_a_persons_entry_stays() {
    let w = world();
    let (_, t) = w.connected();
    let g = grant_of(&t);
    let own = keys::user_grant(ALICE, "AAAAAAAAAAAAAAAAAAAAAA"); // a grant from before partitions
    block_on(w.store.put(&own, "c", 3600)).unwrap();
    block_on(grant::revoke(&w.store, &g)).unwrap(); // e.g. a client revoking its own token
    assert_eq!(w.store.keys_with_prefix(&keys::user_grants_prefix(ALICE)).len(), 2);
    assert!(apps(&w, ALICE).is_empty());
    assert_eq!(w.store.keys_with_prefix(&keys::user_grants_prefix(ALICE)), vec![partition_entry(&g)]);
}

#[test]
fn the_most_recently_used_are_listed_when_there_are_too_many() {
    let w = world();
    let mut newest = None;
    for _ in 0..=MAX_LISTED {
        w.advance(1);
        newest = Some(grant_of(&w.connected().1));
    }
    let listed = apps(&w, ALICE);
    assert_eq!(listed.len(), MAX_LISTED);
    assert_eq!(Some(listed[0].grant_id.clone()), newest);
    assert_eq!(listed.last().map(|a| a.last_used_at), Some(T0 + 2), "the oldest one is left out");
}

#[test]
fn listing_fails_cleanly_when_storage_does() {
    let w = world();
    w.connected();
    *w.store.fail.borrow_mut() = true;
    let e = block_on(connected::list(&w.ctx(), &UserId::new(ALICE))).unwrap_err();
    assert_eq!(e.code, ErrorCode::TemporarilyUnavailable);
}

/// The user's index entry for a grant (here the person's) is written at the approval, for the
/// code's lifetime, the refresh token's and a week (the grant's object writes it again only when
/// it would not outlive that: e2e): redeeming the code writes it no more, nor do the refreshes of the
/// first week; a later refresh writes it again, a week ahead of the grant's new lifetime.
#[test]
fn a_grant_writes_its_index_entry_at_the_approval_then_about_once_a_week() {
    use super::super::grant::{CODE_TTL, INDEX_SLACK, REFRESH_TTL};
    let w = world();
    let (client, t) = w.connected();
    let index = partition_entry(&grant_of(&t));
    let entry_ttl = || w.store.map.borrow().get(&index).map(|(_, ttl)| *ttl);
    assert_eq!(entry_ttl(), Some(CODE_TTL + REFRESH_TTL + INDEX_SLACK), "written once, at the approval");

    // A mark on the entry shows whether a refresh writes it.
    w.store.map.borrow_mut().get_mut(&index).unwrap().1 = 1;
    w.advance(6 * 24 * 3600);
    let t = w.refresh(&client, t.refresh()).unwrap();
    assert_eq!(entry_ttl(), Some(1), "a refresh within the entry's lifetime leaves it");

    w.advance(2 * 24 * 3600);
    w.refresh(&client, t.refresh()).unwrap();
    assert_eq!(entry_ttl(), Some(REFRESH_TTL + INDEX_SLACK), "the grant would have outlived it");
    assert_eq!(apps(&w, ALICE).len(), 1);
}

#[test]
fn a_client_that_keeps_refreshing_keeps_its_registration() {
    let w = world();
    let (c, t) = w.connected();
    let renewed_at = || {
        let raw = w.store.map.borrow()[&keys::oauth_client(&c)].0.clone();
        serde_json::from_str::<Value>(&raw).unwrap()["renewed_at"].as_u64().unwrap()
    };
    assert_eq!(renewed_at(), T0);
    // A refresh every 20 days, past the 90 after which an unused registration is gone: each
    // renews it, as an authorization does.
    const DAY: u64 = 24 * 3600;
    let mut refresh_token = t.refresh().to_string();
    for step in 1..=5 {
        w.advance(20 * DAY);
        refresh_token = w.refresh(&c, &refresh_token).unwrap().refresh().to_string();
        assert_eq!(renewed_at(), T0 + step * 20 * DAY, "renewed by refresh {step}");
        assert_eq!(w.store.map.borrow()[&keys::oauth_client(&c)].1, super::super::registry::CLIENT_TTL);
    }
    // Within a day of the last renewal, a refresh writes nothing more.
    w.advance(3600);
    w.refresh(&c, &refresh_token).unwrap();
    assert_eq!(renewed_at(), T0 + 100 * DAY);
}

#[test]
fn a_grant_first_refreshed_at_the_end_of_its_life_still_refreshes() {
    use super::super::grant::REFRESH_TTL;
    let w = world();
    let client = w.public_client();
    let session = w.sign_in();
    let (code, _) = w.approve(&w.params(&client, &[]), &session);
    // The code redeemed 5 minutes after the approval: the grant then lives 30 days from here.
    w.advance(300);
    let t = w.exchange(&client, &code).unwrap();
    w.advance(REFRESH_TTL - 200);
    assert!(w.refresh(&client, t.refresh()).is_ok(), "its secrets live as long as the grant");
}

/// A user id that extends another with a `:` (WorkOS ids have none) shares the start of its
/// index entries: each person's list still holds only their own grants.
#[test]
fn a_persons_list_holds_none_of_the_grants_of_an_id_extending_theirs() {
    let w = world();
    let (_, alices) = w.connected();
    let extended = format!("{ALICE}:x");
    // Signed in moments ago for this request: its standing is the sign-in's (WorkOS, scripted
    // for Alice alone, is not asked).
    let client = w.public_client();
    let params = w.params(&client, &[]);
    let mut record = w.session_record(10);
    record.principal.user_id = extended.as_str().into();
    record.handover_for = Some(crate::signin::handover_digest(&params.path()));
    let session = w.store_session(record);
    let (code, _) = w.approve(&params, &session);
    let theirs = w.exchange(&client, &code).unwrap();
    let listed = apps(&w, ALICE);
    assert_eq!(listed.iter().map(|a| &a.grant_id).collect::<Vec<_>>(), vec![&grant_of(&alices)]);
    let listed = apps(&w, &extended);
    assert_eq!(listed.iter().map(|a| &a.grant_id).collect::<Vec<_>>(), vec![&grant_of(&theirs)]);
}
