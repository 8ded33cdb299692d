//! `notifications/cancelled` where a request can still be stopped: in a legacy SSE session, whose
//! object runs its requests side by side and answers each on the stream (MCP's cancellation: the
//! receiver should stop the request and send no response for it). On streamable HTTP a request
//! ends with its HTTP exchange (the client stops it by closing that), and a cancellation posted
//! on its own finds nothing to stop: accepted and ignored, as MCP allows for an unknown request.
use super::{Message, RequestId};
use futures_channel::oneshot;
use futures_util::future::{select, Either};
use std::cell::RefCell;
use std::future::Future;

/// The requests a session is running, each with the sender that stops it.
#[derive(Default)]
pub struct Running {
    requests: RefCell<Vec<(RequestId, oneshot::Sender<()>)>>,
}

impl Running {
    /// `work` for request `id`, or `None` when a cancellation of `id` stopped it first (it is
    /// dropped at that point, with whatever it was waiting on). Without an id (a notification, a
    /// request that cannot be cancelled) nothing can stop it.
    pub async fn run<T>(&self, id: Option<&RequestId>, work: impl Future<Output = T>) -> Option<T> {
        let (stop, stopped) = oneshot::channel();
        // Kept here when nothing can stop the work (a dropped sender would read as a stop).
        let _kept = match id {
            Some(id) => {
                self.requests.borrow_mut().push((id.clone(), stop));
                None
            }
            None => Some(stop),
        };
        match select(std::pin::pin!(work), stopped).await {
            Either::Left((outcome, stopped)) => {
                // Its entry goes with it, as does any whose request is gone (its receiver dropped).
                drop(stopped);
                self.requests.borrow_mut().retain(|(_, stop)| !stop.is_canceled());
                Some(outcome)
            }
            Either::Right(_) => None,
        }
    }

    /// What `message` cancels, if it is a `notifications/cancelled`: the running request it names
    /// is stopped (the first by that id; ids are the client's to keep apart). True when one was.
    pub fn cancel_by(&self, message: &Message) -> bool {
        let Some(id) = cancelled_request(message) else {
            return false;
        };
        let mut requests = self.requests.borrow_mut();
        let Some(at) = requests.iter().position(|(running, _)| *running == id) else {
            return false;
        };
        requests.swap_remove(at).1.send(()).is_ok()
    }
}

/// The request a `notifications/cancelled` names (`params.requestId`).
fn cancelled_request(message: &Message) -> Option<RequestId> {
    match message {
        Message::Notification { method, params: Some(params) } if method == "notifications/cancelled" => {
            RequestId::from_json(params.get("requestId")?)
        }
        _ => None,
    }
}

/// The id a cancellation may stop `message` by: a request's, all but `initialize`'s, which MCP
/// says a client must not cancel. `None` for what nothing can stop (a notification, a response).
pub fn stoppable_id(message: &Message) -> Option<RequestId> {
    match message {
        Message::Request { id, method, .. } if method != "initialize" => Some(id.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_executor::block_on;
    use futures_util::future::{join, pending, ready};
    use serde_json::json;

    fn cancelled(params: serde_json::Value) -> Message {
        Message::Notification { method: "notifications/cancelled".into(), params: Some(params) }
    }

    #[test]
    fn a_cancellation_stops_the_request_it_names_and_no_other() {
        let running = Running::default();
        let (seven, eight) = (RequestId::Integer(7), RequestId::String("8".into()));
        let stop = async {
            // Both are running now (each was polled once by `join`).
            assert!(!running.cancel_by(&cancelled(json!({ "requestId": 9 }))), "no request 9");
            assert!(!running.cancel_by(&cancelled(json!({ "requestId": 8 }))), "8 is not \"8\"");
            assert!(running.cancel_by(&cancelled(json!({ "requestId": 7, "reason": "stop" }))));
            assert!(running.cancel_by(&cancelled(json!({ "requestId": "8" }))));
        };
        let both = join(running.run(Some(&seven), pending::<()>()), running.run(Some(&eight), pending::<()>()));
        let ((a, b), ()) = block_on(join(both, stop));
        assert_eq!((a, b), (None, None), "each stopped, and nothing answers for it");
        assert!(running.requests.borrow().is_empty(), "a stopped request is no longer listed");
    }

    #[test]
    fn a_request_that_ended_is_not_listed_and_its_cancellation_finds_nothing() {
        let running = Running::default();
        assert_eq!(block_on(running.run(Some(&RequestId::Integer(1)), ready("done"))), Some("done"));
        assert_eq!(block_on(running.run(None, ready("done"))), Some("done"));
        assert!(running.requests.borrow().is_empty());
        // One dropped while it ran (its session gone) is cleared when another ends.
        let mut gone = Box::pin(running.run(Some(&RequestId::Integer(2)), pending::<()>()));
        assert_eq!(futures_util::FutureExt::now_or_never(&mut gone), None);
        drop(gone);
        assert_eq!(running.requests.borrow().len(), 1);
        assert_eq!(block_on(running.run(Some(&RequestId::Integer(3)), ready(()))), Some(()));
        assert!(running.requests.borrow().is_empty());
        assert!(!running.cancel_by(&cancelled(json!({ "requestId": 1 }))));
        // Not a cancellation, or one without a usable id: nothing.
        let other = Message::Notification { method: "notifications/initialized".into(), params: None };
        assert!(!running.cancel_by(&other));
        assert!(!running.cancel_by(&cancelled(json!({ "requestId": null }))));
        assert!(!running.cancel_by(&Message::Notification { method: "notifications/cancelled".into(), params: None }));
        let request =
            |method: &str| Message::Request { id: RequestId::Integer(4), method: method.into(), params: None };
        assert_eq!(stoppable_id(&request("initialize")), None, "initialize is never stopped");
        assert_eq!(stoppable_id(&request("tools/call")), Some(RequestId::Integer(4)));
        assert_eq!(stoppable_id(&other), None, "a notification has nothing to stop");
    }
}
