//! What waits on a stream its reader has not taken yet (an SSE session's): counted as it is
//! pushed and as it is taken, and refused past a limit, so that a client that never reads its
//! stream cannot fill the object's memory.
use std::cell::Cell;

#[derive(Debug, Default)]
pub struct Backlog {
    queued: Cell<usize>,
}

impl Backlog {
    /// Count `len` more bytes waiting; false (counted all the same) once more than `limit` wait.
    pub fn push(&self, len: usize, limit: usize) -> bool {
        let queued = self.queued.get().saturating_add(len);
        self.queued.set(queued);
        queued <= limit
    }

    /// The reader took `len` bytes (what it takes without their being counted, such as what was
    /// sent before counting began, only brings the count to zero).
    pub fn taken(&self, len: usize) {
        self.queued.set(self.queued.get().saturating_sub(len));
    }

    pub fn queued(&self) -> usize {
        self.queued.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_read_makes_room_and_what_is_not_is_refused_past_the_limit() {
        let backlog = Backlog::default();
        assert!(backlog.push(600, 1000));
        assert!(backlog.push(400, 1000), "up to the limit");
        assert!(!backlog.push(1, 1000), "one byte past it");
        backlog.taken(1001);
        assert_eq!(backlog.queued(), 0);
        assert!(backlog.push(1000, 1000), "a reader that keeps up is never refused");
        backlog.taken(5000);
        assert_eq!(backlog.queued(), 0, "taken without being counted: never below zero");
    }
}
