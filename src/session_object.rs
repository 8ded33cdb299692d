//! `SseSession`: the Durable Object that owns one legacy-SSE session (protocol 2024-11-05).
//!
//! `GET /sse` and `POST /sse/message?sessionId=…` can land on different isolates; both are
//! routed to the object named by the session id, which holds the sending half of the stream.
//! The object answers the GET with the stream itself (a request: the answer is the stream).
//! Each POSTed message comes by its `message` method, which the Worker calls by Workers RPC (no
//! request is built for it; the runtime offers RPC on classes derived from its `DurableObject`,
//! which `src/worker.mjs` makes this one). The object accepts it (the POST's 202 does not wait
//! for it to run, and at most [`MAX_IN_FLIGHT`] run at once), runs it (or each of a 2025-03-26
//! batch's, in order) through the MCP core and pushes the response onto the stream (a request a
//! `notifications/cancelled` stopped gets none: [`mcp::cancel`]). A keepalive
//! comment every 25 s keeps the edge from closing an idle stream and notices a client that went
//! away (the send fails), which ends the session. A session nobody posted to for
//! `MCP_SSE_IDLE_SECONDS` (half an hour) ends at the next keepalive: its stream closes, and the
//! object stops running.
use crate::backlog::Backlog;
use crate::config::Config;
use crate::mcp;
use crate::platform::audit::Background;
use crate::platform::tools::{ToolAudit, WorkerToolEnv};
use crate::platform::{self, json_body};
use crate::principal::Principal;
use futures_channel::mpsc::{unbounded, UnboundedSender};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

pub const BINDING: &str = "MCP_SESSION";
const KEEPALIVE: Duration = Duration::from_secs(25);
/// What may wait on a stream its client does not read: past it the session ends (its stream
/// closes), before the object's memory does.
pub const MAX_QUEUED_BYTES: usize = 4 << 20;
/// Messages one session serves at once (each of a batch's counts): a POST past them is refused
/// (429) and nothing of it runs.
/// The POST is answered once its message is accepted, so its client's connections no longer
/// bound how many wait on tools in the object.
pub const MAX_IN_FLIGHT: u32 = 16;

/// What the Worker tells the object when a stream opens.
#[derive(Serialize, Deserialize)]
pub struct Open {
    pub session_id: String,
    pub principal: Principal,
    /// The MCP client whose token opened the stream (the Worker's own tokens name it; AuthKit's
    /// may not): only that client may post to the session (see [`Principal::bound_to`]).
    #[serde(default)]
    pub client_id: Option<String>,
    /// CORS: the caller's Origin, already checked by the Worker.
    pub cors_origin: Option<String>,
}

/// One message POSTed to the session.
#[derive(Serialize, Deserialize)]
pub struct Post {
    pub principal: Principal,
    /// Who posted it (for the audit log of tool use).
    pub caller: crate::tools::audit::Caller,
    pub body: String,
    /// The POST's `MCP-Protocol-Version`: a batch is served under 2025-03-26 or none, as on
    /// `/mcp` (clients on SSE send the revision they negotiated).
    #[serde(default)]
    pub protocol_version: Option<String>,
    /// Serve the conformance fixtures (decided by the Worker, see `App::conformance_fixtures`).
    #[serde(default)]
    pub fixtures: bool,
}

type Sender = UnboundedSender<std::result::Result<Vec<u8>, worker::Error>>;

struct Live {
    user_id: crate::ids::UserId,
    /// Who else must post: see [`Principal::bound_to`].
    bound_to: Option<String>,
    /// What the runtime has not taken from the stream yet.
    backlog: Rc<Backlog>,
    visible_tools: Vec<&'static str>,
    sender: Sender,
    /// When its user last posted to it, or a message's answer was done (unix seconds; the
    /// stream's opening counts).
    last_post: u64,
    /// Set by `logging/setLevel` on this session.
    log_level: crate::tools::LogLevel,
    /// What `account://me` said when last seen, while the client is subscribed to it.
    account_watch: Option<serde_json::Value>,
}

#[durable_object(fetch)]
pub struct SseSession {
    session: Rc<Session>,
}

/// The object's state, shared with the work its calls leave running (the keepalive, a message).
struct Session {
    state: State,
    env: Env,
    live: RefCell<Option<Live>>,
    /// Once a stream ended, the session id stays dead (no resurrection by a new GET).
    ended: RefCell<bool>,
    /// Messages being served: a session is not idle while one runs (a tool may take a while).
    serving: std::cell::Cell<u32>,
    /// The requests running, for `notifications/cancelled`.
    running: mcp::cancel::Running,
}

/// A message being served ([`Session::serving`]); when it is done, the session's idle time
/// starts again.
struct Serving(Rc<Session>, u32);

impl Serving {
    fn start(session: &Rc<Session>, messages: u32) -> Serving {
        session.serving.set(session.serving.get() + messages);
        Serving(session.clone(), messages)
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.serving.set(self.0.serving.get().saturating_sub(self.1));
        if let Some(l) = self.0.live.borrow_mut().as_mut() {
            l.last_post = platform::now();
        }
    }
}

fn event(name: &str, data: &str) -> Vec<u8> {
    format!("event: {name}\ndata: {data}\n\n").into_bytes()
}

impl DurableObject for SseSession {
    fn new(state: State, env: Env) -> Self {
        let session = Session {
            state,
            env,
            live: RefCell::new(None),
            ended: RefCell::new(false),
            serving: Default::default(),
            running: Default::default(),
        };
        SseSession { session: Rc::new(session) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let path = req.path();
        let session = &self.session;
        match path.as_str() {
            "/open" => session.open(json_body(req.text()).await?),
            "/probe" => Response::empty().map(|r| r.with_status(if session.is_live() { 409 } else { 404 })),
            _ => Response::error("not found", 404),
        }
    }
}

/// The method the Worker calls (see the module's comment).
#[wasm_bindgen]
impl SseSession {
    /// A message POSTed to the session (a [`Post`], JSON): `[status, body]` for the Worker to
    /// answer the POST with (202 once accepted, its answers to follow on the stream; 400 with a
    /// JSON-RPC error; 404 for no such session or stream; 429 past [`MAX_IN_FLIGHT`]).
    pub fn message(&self, post: String) -> js_sys::Array {
        let (status, body) = match crate::json::from_str::<Post>(&post) {
            Ok(post) => self.session.accept(post),
            Err(e) => (500, e.to_string()),
        };
        js_sys::Array::of2(&JsValue::from(status), &JsValue::from(body))
    }
}

impl Session {
    fn is_live(&self) -> bool {
        self.live.borrow().as_ref().is_some_and(|l| !l.sender.is_closed())
    }

    fn open(self: &Rc<Self>, open: Open) -> Result<Response> {
        if self.is_live() {
            return Response::error("this session already has a stream", 409);
        }
        if *self.ended.borrow() {
            return Response::error("this session has ended", 404);
        }
        let idle_secs = platform::config(&self.env).map_or(crate::config::DEFAULT_SSE_IDLE_SECS, |c| c.sse_idle_secs);
        let (sender, receiver) = unbounded();
        let endpoint = format!("/sse/message?sessionId={}", open.session_id);
        let _ = sender.unbounded_send(Ok(event("endpoint", &endpoint)));
        let backlog = Rc::new(Backlog::default());
        let taken = backlog.clone();
        let receiver = receiver.inspect(move |chunk: &std::result::Result<Vec<u8>, worker::Error>| {
            taken.taken(chunk.as_ref().map_or(0, Vec::len))
        });
        *self.live.borrow_mut() = Some(Live {
            user_id: open.principal.user_id.clone(),
            bound_to: open.principal.bound_to(open.client_id.as_deref()),
            backlog,
            visible_tools: mcp::visible_tool_names(&open.principal),
            sender: sender.clone(),
            last_post: platform::now(),
            log_level: mcp::Options::default().log_level,
            account_watch: None,
        });
        let session = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                worker::Delay::from(KEEPALIVE).await;
                let now = platform::now();
                let idle = session.serving.get() == 0
                    && session.live.borrow().as_ref().is_some_and(|l| now >= l.last_post.saturating_add(idle_secs));
                let note: &[u8] = if idle { b": idle too long, the session has ended\n\n" } else { b": keepalive\n\n" };
                if *session.ended.borrow() || sender.unbounded_send(Ok(note.to_vec())).is_err() || idle {
                    // The client went away, or let the session idle: end it (its stream closes
                    // after the note) and let the object be evicted.
                    session.end();
                    break;
                }
            }
        });
        let resp = Response::from_stream(receiver)?;
        let h = resp.headers();
        h.set("Content-Type", "text/event-stream")?;
        h.set("Cache-Control", "no-cache, no-store")?;
        h.set("X-Accel-Buffering", "no")?;
        if let Some(origin) = &open.cors_origin {
            h.set("Access-Control-Allow-Origin", origin)?;
            h.set("Vary", "Origin")?;
            h.set(
                "Access-Control-Expose-Headers",
                "WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version, Retry-After",
            )?;
        }
        Ok(resp)
    }

    /// Push bytes onto the live stream; false when there is none (or it just closed). A stream
    /// holding [`MAX_QUEUED_BYTES`] its client has not read is closed: the session ends.
    fn push(&self, bytes: Vec<u8>) -> bool {
        let ok = self.live.borrow().as_ref().is_some_and(|l| {
            l.backlog.push(bytes.len(), MAX_QUEUED_BYTES) && l.sender.unbounded_send(Ok(bytes)).is_ok()
        });
        if !ok {
            self.end();
        }
        ok
    }

    /// End the session: its stream closes once what it holds is sent, and the id stays dead.
    fn end(&self) {
        if let Some(l) = self.live.borrow_mut().take() {
            l.sender.close_channel();
        }
        *self.ended.borrow_mut() = true;
    }

    /// Check a POSTed message and start serving it: the status (and body) the Worker answers the
    /// POST with, at once. As with the MCP SDKs' own SSE servers, the POST does not wait for the
    /// message to run: a client that posts one message at a time (the Python SDK's does) is not
    /// held up by a slow tool, and its later messages are served meanwhile. A batch's messages
    /// are served in order.
    fn accept(self: &Rc<Self>, mut post: Post) -> (u16, String) {
        // A session id alone grants nothing: only its own user, with the client that opened it
        // (for a token that names none, from the same WorkOS session), may post to it: another
        // client of the same person cannot answer into this stream.
        let owner_ok = self.live.borrow_mut().as_mut().is_some_and(|l| {
            let owner = l.user_id == post.principal.user_id
                && l.bound_to == post.principal.bound_to(post.caller.client_id.as_deref())
                && !l.sender.is_closed();
            if owner {
                l.last_post = platform::now();
            }
            owner
        });
        if !owner_ok {
            return (404, String::new());
        }
        // The body is not kept while the messages run (up to 1 MiB each of 16).
        let body = std::mem::take(&mut post.body);
        let messages = match mcp::parse_body(body.as_bytes(), post.protocol_version.as_deref()) {
            Ok(mcp::Body::One(m)) => vec![Ok(m)],
            Ok(mcp::Body::Batch(items)) => {
                // Nothing in it accepted: refused as on `/mcp`, 400 with the refusals as the body.
                if !mcp::has_request(&items) && items.iter().any(std::result::Result::is_err) {
                    let refusals: Vec<_> = items.iter().filter_map(|i| i.as_ref().err()).collect();
                    return (400, serde_json::to_string(&refusals).unwrap_or_default());
                }
                items.into_iter().map(|i| i.and_then(mcp::batch_element)).collect()
            }
            Err(error) => return (400, serde_json::to_string(&error).unwrap_or_default()),
        };
        // Each of a batch's messages counts.
        let count = messages.len() as u32;
        if self.serving.get() + count > MAX_IN_FLIGHT {
            return (429, String::new());
        }
        let config = match platform::config(&self.env) {
            Ok(c) => c,
            Err(e) => return (500, format!("configuration error: {e}")),
        };
        let serving = Serving::start(self, count);
        wasm_bindgen_futures::spawn_local(async move {
            let session = &serving.0;
            session.serve(&post, messages, &config).await;
            drop(serving);
        });
        (202, String::new())
    }

    /// Serve an accepted POST's messages, in order, while the stream is there.
    async fn serve(
        &self,
        post: &Post,
        messages: Vec<std::result::Result<mcp::Message, serde_json::Value>>,
        config: &Config,
    ) {
        // What changed for this person since their last message (a role change, a WorkOS event):
        // the tool list, and the account resource if they subscribed to it.
        let visible = mcp::visible_tool_names(&post.principal);
        let account = mcp::account_resource(&post.principal);
        let (tools_changed, account_changed) = self
            .live
            .borrow_mut()
            .as_mut()
            .map(|l| {
                let tools_changed = l.visible_tools != visible;
                l.visible_tools = visible;
                let account_changed = l.account_watch.as_ref().is_some_and(|seen| *seen != account);
                if l.account_watch.is_some() {
                    l.account_watch = Some(account.clone());
                }
                (tools_changed, account_changed)
            })
            .unwrap_or_default();
        if tools_changed {
            self.push(event("message", &mcp::tools_list_changed_notification().to_string()));
        }
        if account_changed {
            self.push(event("message", &mcp::account_updated_notification().to_string()));
        }
        let audit =
            Some(ToolAudit { background: Background::Object(&self.state), caller: post.caller.clone(), headers: None });
        let tools = WorkerToolEnv { env: &self.env, config, now: platform::now(), audit };
        // Each answer its own event (a batch's too).
        let send = |message: std::result::Result<mcp::Message, serde_json::Value>| async {
            match message {
                Ok(message) => self.answer(message, post, &tools, &account).await,
                Err(error) => self.push(event("message", &error.to_string())),
            }
        };
        mcp::send_in_order(messages, || self.is_live(), send).await;
    }

    /// Run one message and push what it sends onto the stream: `false` once the stream is gone.
    async fn answer(
        &self,
        message: mcp::Message,
        post: &Post,
        tools: &WorkerToolEnv<'_>,
        account: &serde_json::Value,
    ) -> bool {
        self.running.cancel_by(&message);
        let watch = mcp::account_subscription(&message);
        let log_level = self.live.borrow().as_ref().map(|l| l.log_level).unwrap_or_default();
        let options = mcp::Options { log_level, session_stream: true, ..mcp::Options::for_server(post.fixtures) };
        let id = mcp::cancel::stoppable_id(&message);
        let work = mcp::handle(&post.principal, tools, message, &options);
        // A cancelled request is not answered (nor is anything it sent on its way).
        let Some(reply) = self.running.run(id.as_ref(), work).await.flatten() else {
            return true;
        };
        if let Some(l) = self.live.borrow_mut().as_mut().filter(|_| reply.succeeded) {
            l.log_level = reply.log_level.unwrap_or(l.log_level);
            match watch {
                Some(true) => l.account_watch = Some(account.clone()),
                Some(false) => l.account_watch = None,
                None => {}
            }
        }
        let mut messages = reply.notifications.iter().map(serde_json::Value::to_string).chain([reply.response]);
        messages.all(|m| self.push(event("message", &m)))
    }
}
