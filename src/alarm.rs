//! A grant object's alarm, decided here so it is tested natively (`grant_object.rs` and
//! `platform::grants` run it): one alarm for all the records an object keeps, set by the
//! earliest end among them. It clears the records that have reached their end and is set again
//! for the next; a record that lives longer (a code exchanged, a token refreshed) leaves an
//! earlier alarm as it is, so extending a grant writes no alarm.

/// Whether keeping a record until `end_ms` needs the alarm set (to `end_ms`): no alarm is set
/// (`set_ms`), or it rings after that end.
pub fn needs_alarm(set_ms: Option<f64>, end_ms: u64) -> bool {
    !set_ms.is_some_and(|set| set <= end_ms as f64)
}

/// At the alarm (`now_ms`), of the object's records (key, end; `None` for a value that is not
/// a record, which nothing else there can be): the keys to delete, and when to ring next
/// (`None`: nothing is left).
pub fn sweep(records: impl IntoIterator<Item = (String, Option<u64>)>, now_ms: u64) -> (Vec<String>, Option<u64>) {
    let (mut expired, mut next) = (Vec::new(), None::<u64>);
    for (key, end) in records {
        match end {
            Some(end) if end > now_ms => next = Some(next.map_or(end, |n| n.min(end))),
            _ => expired.push(key),
        }
    }
    (expired, next)
}

/// How many keys one storage `delete` takes at most (the runtime's limit).
pub const DELETE_BATCH: usize = 128;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alarm_rings_by_the_earliest_end() {
        assert!(needs_alarm(None, 1_000), "none set");
        assert!(needs_alarm(Some(2_000.0), 1_000), "set later than this record's end");
        assert!(!needs_alarm(Some(1_000.0), 1_000), "set for this end");
        assert!(!needs_alarm(Some(500.0), 1_000), "set earlier: it rings, and is set again for the rest");
    }

    #[test]
    fn the_alarm_clears_what_ended_and_rings_again_for_the_rest() {
        let records = |list: &[(&str, Option<u64>)]| list.iter().map(|(k, e)| (k.to_string(), *e)).collect::<Vec<_>>();
        let (gone, next) =
            sweep(records(&[("a", Some(900)), ("b", Some(5_000)), ("c", Some(1_000)), ("d", Some(3_000))]), 1_000);
        assert_eq!(gone, ["a", "c"], "ended at or before now");
        assert_eq!(next, Some(3_000));
        assert_eq!(sweep(records(&[("x", None), ("y", Some(10))]), 1_000), (vec!["x".into(), "y".into()], None));
        assert_eq!(sweep(Vec::new(), 1_000), (vec![], None), "an empty object: nothing left");
    }
}
