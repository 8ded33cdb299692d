//! What a delivery does when it cannot do everything: WorkOS failing for now (the delivery
//! fails and is retried) or for good, and more grants than one invocation may change (both:
//! the rest is left to the event's mark).
use super::*;

#[test]
fn when_workos_cannot_be_asked_the_delivery_fails_and_is_not_remembered() {
    let w = world();
    w.connected();
    w.up.glitch.set(Some(503));
    let r = deliver(&w, "event_12", "organization_membership.updated", membership());
    assert!(matches!(r, Err(Undelivered::Unavailable(_))), "{r:?}");
    w.up.glitch.set(None);
    assert!(
        !deliver(&w, "event_12", "organization_membership.updated", membership()).unwrap().duplicate,
        "the retry is applied"
    );
}

/// A WorkOS answer that asking again would not change (a 4xx): the delivery is applied and
/// remembered, this person's grants are left to the mark (their older tokens are refused until
/// a refresh), and WorkOS does not retry it for days.
#[test]
fn when_workos_refuses_for_good_the_grants_are_left_to_the_mark() {
    let w = world();
    let (client, t) = w.connected();
    w.up.glitch.set(Some(404));
    let got = deliver(&w, "event_13", "organization_membership.updated", membership()).unwrap();
    assert!(got.changed.is_empty() && got.left_to_mark, "{got:?}");
    assert!(deliver(&w, "event_13", "organization_membership.updated", membership()).unwrap().duplicate);
    assert_eq!(later_bearer(&w, t.access_token.as_str()).unwrap_err(), BearerError::Changed, "the mark refuses it");
    w.up.glitch.set(None);
    let next = w.refresh(&client, t.refresh()).unwrap();
    assert!(later_bearer(&w, next.access_token.as_str()).is_ok(), "a refresh reads WorkOS again");
}

/// More grants than one delivery may change: it changes what its calls allow, succeeds (a
/// failure would be retried, and fail, for days), and the mark refuses the rest's older tokens.
/// A person's grants go to their object in calls of at most `MAX_GRANTS_PER_CALL`.
#[test]
fn a_delivery_changes_what_its_calls_allow_and_leaves_the_rest_to_the_mark() {
    use super::super::super::workos_events::{apply, MAX_GRANTS_PER_CALL, REREAD_COST};
    use crate::workos::webhook::AccessChange;
    let w = world();
    let tokens: Vec<_> = (0..MAX_GRANTS_PER_CALL + 30).map(|_| w.connected().1).collect();
    *w.up.role.borrow_mut() = "member".into();
    let update = AccessChange::MembershipChanged { user_id: ALICE.into(), organization_id: ACME.into() };
    let owner = Owner(&w, Cell::new(0));
    // One standing read from WorkOS, then one call: the second is not made.
    let (changed, left_to_mark) = block_on(apply(&w.ctx(), &owner, &update, REREAD_COST + 1)).unwrap();
    assert_eq!((changed.len(), left_to_mark, owner.1.get()), (MAX_GRANTS_PER_CALL, true, 1));
    w.advance(access::GRANT_CHECK_SECS + 1);
    let checked: Vec<_> = tokens.iter().map(|t| w.bearer(t.access_token.as_str(), "/mcp")).collect();
    let members = checked.iter().filter(|c| c.as_ref().is_ok_and(|c| c.principal.role.as_deref() == Some("member")));
    assert_eq!(members.count(), MAX_GRANTS_PER_CALL);
    let refused = checked.iter().filter(|c| c.as_ref().err() == Some(&BearerError::Changed)).count();
    assert_eq!(refused, 30, "the rest refused by the mark until they refresh");
    // With one call more, all of them, in two calls.
    let owner = Owner(&w, Cell::new(0));
    let (changed, left_to_mark) = block_on(apply(&w.ctx(), &owner, &update, REREAD_COST + 2)).unwrap();
    assert_eq!((changed.len(), left_to_mark, owner.1.get()), (MAX_GRANTS_PER_CALL + 30, false, 2));
}

/// A member of two roles: the calls for the second role's permissions are counted once WorkOS
/// names it; without room for them, the grants are left to the mark.
#[test]
fn a_second_role_costs_the_delivery_its_calls() {
    use super::super::super::workos_events::{apply, REREAD_COST};
    use crate::workos::webhook::AccessChange;
    let w = world();
    drop(w.connected());
    w.up.imager.set(true);
    let update = AccessChange::MembershipChanged { user_id: ALICE.into(), organization_id: ACME.into() };
    let owner = Owner(&w, Cell::new(0));
    let (changed, left_to_mark) = block_on(apply(&w.ctx(), &owner, &update, REREAD_COST + 1)).unwrap();
    assert_eq!((changed.len(), left_to_mark, owner.1.get()), (0, true, 0));
    let owner = Owner(&w, Cell::new(0));
    let (changed, left_to_mark) = block_on(apply(&w.ctx(), &owner, &update, REREAD_COST + 3)).unwrap();
    assert_eq!((changed.len(), left_to_mark, owner.1.get()), (1, false, 1));
}

/// Two events' re-reads finishing out of order: the older reading does not replace the newer,
/// also when both events arrived within one second.
#[test]
fn an_older_reading_does_not_replace_a_newer_one() {
    use super::super::super::current_access::CurrentAccess;
    let w = world();
    let (_, t) = w.connected();
    let id = grant_of(&t);
    let user = UserId::new(ALICE);
    let reading =
        |role: &str, at_ms: u64| GrantChange::Access(CurrentAccess::new(Some(role.into()), vec![], vec![], at_ms));
    let now = w.now.get();
    let second = (now + 2) * 1000;
    for (role, at_ms) in [("admin", second - 5_000), ("member", second + 700), ("admin", second + 200)] {
        assert!(block_on(change_grant(&w.store, &id, &user, &reading(role, at_ms), now)).unwrap());
    }
    let held = block_on(grant::load(&w.store, &id, now)).unwrap().unwrap().access.unwrap();
    assert_eq!((held.role.as_deref(), held.at_ms, held.at), (Some("member"), second + 700, now + 2));
}

/// An event's re-read of WorkOS that lands after a refresh, but arrived before the refresh asked
/// WorkOS, is older than what the refresh read: the grant keeps the refresh's reading, and so do
/// the connected apps' list and the tokens issued before the refresh.
#[test]
fn an_event_reading_older_than_a_refresh_changes_nothing() {
    use super::super::super::connected;
    use super::super::super::current_access::CurrentAccess;
    let w = world();
    let (c, t) = w.connected();
    let arrived_ms = w.http.clock_ms.get();
    w.advance(1);
    *w.up.role.borrow_mut() = "member".into();
    let before_ms = w.http.clock_ms.get();
    let t2 = w.refresh(&c, t.refresh()).unwrap();
    let (id, user, now) = (grant_of(&t2), UserId::new(ALICE), w.now.get());
    let read = || block_on(grant::load(&w.store, &id, now)).unwrap().unwrap().access.unwrap();
    let refreshed = read();
    assert_eq!((refreshed.role.as_deref(), refreshed.permissions.len()), (Some("member"), 0));
    assert!((before_ms..=w.http.clock_ms.get()).contains(&refreshed.at_ms), "dated when WorkOS was asked");
    let late = CurrentAccess::new(Some("admin".into()), vec![], vec!["image_generation".into()], arrived_ms);
    assert!(block_on(change_grant(&w.store, &id, &user, &GrantChange::Access(late), now)).unwrap());
    assert_eq!(read(), refreshed);
    let apps = block_on(connected::list(&w.ctx(), &user)).unwrap();
    assert_eq!(apps.iter().map(|a| a.permissions.len()).collect::<Vec<_>>(), vec![0]);
    let before = w.bearer(t.access_token.as_str(), "/mcp").unwrap().principal;
    assert_eq!((before.role.as_deref(), before.permissions.len()), (Some("member"), 0));
}

/// A role's change reads at most `MAX_SCAN_READS` records and partitions, and says the rest were
/// not reached (the role's mark covers them). Alice's grants share one partition: its listing is
/// one of the reads, and the index's listing another.
#[test]
fn a_role_change_past_its_scan_says_grants_were_left_to_the_mark() {
    use super::super::super::workos_events::MAX_SCAN_READS;
    let w = world();
    (0..MAX_SCAN_READS).for_each(|_| drop(w.connected()));
    w.up.admin_without_images.set(true);
    let got =
        deliver(&w, "event_15", "role.updated", json!({"object":"role","slug":"admin","permissions":[]})).unwrap();
    assert_eq!((got.changed.len(), got.left_to_mark), (MAX_SCAN_READS - 2, true));
}

/// An event about one person reads at most `MAX_USER_READS` looking for their grants, and says
/// the rest were not reached (their mark covers them: those tokens are refused until a refresh
/// reads WorkOS, which ends them).
#[test]
fn a_persons_event_past_its_reads_says_grants_were_left_to_the_mark() {
    use super::super::super::connected::MAX_USER_READS;
    let w = world();
    let tokens: Vec<_> = (0..MAX_USER_READS).map(|_| w.connected().1).collect();
    let got = deliver(&w, "event_17", "user.deleted", json!({"object":"user","id":ALICE})).unwrap();
    // The index's listing and Alice's partition's are two of the reads.
    assert_eq!((got.changed.len(), got.left_to_mark), (MAX_USER_READS - 2, true));
    let refused: Vec<_> = tokens.iter().map(|t| w.bearer(t.access_token.as_str(), "/mcp").unwrap_err()).collect();
    // The grants reached are revoked; the two the reads left are refused by the mark.
    let count = |e: BearerError| refused.iter().filter(|r| **r == e).count();
    assert_eq!((count(BearerError::Revoked), count(BearerError::Changed)), (MAX_USER_READS - 2, 2), "{refused:?}");
}

/// People whose grants are all gone still have their index entry, and listing their partition
/// costs a read: the scan counts it, so an index of many such people ends the scan (left to the
/// mark) instead of running past the invocation's KV operations.
#[test]
fn a_role_change_counts_the_partitions_it_lists_that_hold_no_grants() {
    use super::super::super::workos_events::MAX_SCAN_READS;
    let w = alice_among_people_without_grants(MAX_SCAN_READS);
    let got =
        deliver(&w, "event_16", "role.updated", json!({"object":"role","slug":"admin","permissions":[]})).unwrap();
    assert_eq!((got.changed.len(), got.left_to_mark), (1, true), "Alice's grant, then the scan's end");
}

/// Alice connected, after her `people` index entries of people whose partitions hold no grant;
/// the admin role about to lose image_generation.
fn alice_among_people_without_grants(people: usize) -> World {
    let w = world();
    drop(w.connected());
    for n in 0..people {
        let key = crate::store::keys::user_grant(&format!("user_zz{n:04}"), &format!("P{n:07}"));
        block_on(w.store.put(&key, "", 3600)).unwrap();
    }
    w.up.admin_without_images.set(true);
    w
}

/// The scan's listing of the index stops where its reads would: an index far larger than the
/// scan may read is not listed to its end (a KV operation a page, and every key held in memory).
#[test]
fn a_role_change_lists_no_more_of_the_index_than_it_can_read() {
    use super::super::super::workos_events::MAX_SCAN_READS;
    let w = alice_among_people_without_grants(3 * MAX_SCAN_READS);
    *w.store.keys_listed.borrow_mut() = 0;
    let got =
        deliver(&w, "event_18", "role.updated", json!({"object":"role","slug":"admin","permissions":[]})).unwrap();
    assert_eq!((got.changed.len(), got.left_to_mark), (1, true), "Alice's grant, then the scan's end");
    // The index's first entries (one more than the reads allow), and Alice's partition's key.
    assert_eq!(*w.store.keys_listed.borrow(), MAX_SCAN_READS + 2);
}
