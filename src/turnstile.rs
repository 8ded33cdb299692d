//! A first-in, first-out turn for async work on one thread: the grant's Durable Object runs one
//! token operation at a time, in arrival order, even though each awaits KV and WorkOS.
use futures_channel::oneshot;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

#[derive(Default)]
pub struct Turnstile {
    busy: Cell<bool>,
    waiting: RefCell<VecDeque<oneshot::Sender<()>>>,
}

/// Holding one is having the turn; dropping it passes the turn to the next in line.
pub struct Turn(Rc<Turnstile>);

impl Turnstile {
    /// Wait for the turn (at once when nobody holds it).
    pub async fn enter(this: &Rc<Turnstile>) -> Turn {
        if !this.busy.replace(true) {
            return Turn(Rc::clone(this));
        }
        let (tx, rx) = oneshot::channel();
        this.waiting.borrow_mut().push_back(tx);
        let mut place = Place { rx, line: Rc::clone(this), entered: false };
        // A cancelled sender cannot happen: the turn is always passed on (see `Drop`).
        let _ = (&mut place.rx).await;
        place.entered = true;
        Turn(Rc::clone(this))
    }

    /// How many are waiting (not counting the holder).
    pub fn queued(&self) -> usize {
        self.waiting.borrow().len()
    }
}

/// A place in the line. Dropped once the turn was handed to it but before it took the turn (its
/// work given up between the two), it passes the turn on, rather than keep it from everyone after.
struct Place {
    rx: oneshot::Receiver<()>,
    line: Rc<Turnstile>,
    entered: bool,
}

impl Drop for Place {
    fn drop(&mut self) {
        if !self.entered && matches!(self.rx.try_recv(), Ok(Some(()))) {
            drop(Turn(Rc::clone(&self.line)));
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        // Hand over to the first waiter still waiting (a cancelled request dropped its receiver).
        loop {
            let next = self.0.waiting.borrow_mut().pop_front();
            match next {
                Some(tx) => {
                    if tx.send(()).is_ok() {
                        return;
                    }
                }
                None => {
                    self.0.busy.set(false);
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_executor::LocalPool;
    use futures_util::task::LocalSpawnExt;

    #[test]
    fn one_at_a_time_in_arrival_order() {
        let gate = Rc::new(Turnstile::default());
        let log = Rc::new(RefCell::new(Vec::new()));
        let (release_tx, release_rx) = oneshot::channel::<()>();
        let mut pool = LocalPool::new();
        let spawner = pool.spawner();
        // The first holds the turn until released; the others queue behind it.
        {
            let (gate, log) = (Rc::clone(&gate), Rc::clone(&log));
            spawner
                .spawn_local(async move {
                    let _turn = Turnstile::enter(&gate).await;
                    log.borrow_mut().push("first in");
                    let _ = release_rx.await;
                    log.borrow_mut().push("first out");
                })
                .unwrap();
        }
        for name in ["second", "third"] {
            let (gate, log) = (Rc::clone(&gate), Rc::clone(&log));
            spawner
                .spawn_local(async move {
                    let _turn = Turnstile::enter(&gate).await;
                    log.borrow_mut().push(name);
                })
                .unwrap();
        }
        pool.run_until_stalled();
        assert_eq!(*log.borrow(), vec!["first in"]);
        assert_eq!(gate.queued(), 2);
        release_tx.send(()).unwrap();
        pool.run_until_stalled();
        assert_eq!(*log.borrow(), vec!["first in", "first out", "second", "third"]);
        assert_eq!(gate.queued(), 0);
        // Free again: the next one enters at once.
        let entered = Rc::new(Cell::new(false));
        let flag = Rc::clone(&entered);
        spawner
            .spawn_local(async move {
                let _turn = Turnstile::enter(&gate).await;
                flag.set(true);
            })
            .unwrap();
        pool.run_until_stalled();
        assert!(entered.get());
    }

    /// A waiter handed the turn, then given up before it took it, passes the turn on; one given
    /// up while it still waits is skipped.
    #[test]
    fn a_waiter_given_up_does_not_keep_the_turn() {
        use futures_util::FutureExt;
        use std::future::Future;
        let gate = Rc::new(Turnstile::default());
        let mut cx = std::task::Context::from_waker(futures_util::task::noop_waker_ref());
        let holder = Turnstile::enter(&gate).now_or_never().expect("free: entered at once");
        let (mut handed, mut skipped) = (Box::pin(Turnstile::enter(&gate)), Box::pin(Turnstile::enter(&gate)));
        assert!(handed.as_mut().poll(&mut cx).is_pending() && skipped.as_mut().poll(&mut cx).is_pending());
        drop(skipped);
        drop(holder); // hands the turn to the first waiter still waiting
        drop(handed); // given up before it was polled again
        assert_eq!(gate.queued(), 0);
        let next = Turnstile::enter(&gate).now_or_never();
        assert!(next.is_some(), "the turn was passed on, not kept by a waiter given up");
    }
}
