//! A Lambda Runtime API emulator on loopback: hands events to `/next`
//! pollers and records what the function answers. On axum: what is tested
//! through it is the function, not HTTP (the key server, whose faults are
//! the point, is the raw server of [`crate::http`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State as Shared};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

/// What the function answered for one invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Posted to `/response`.
    Response(Value),
    /// Posted to `/error`.
    Error(Value),
}

/// An answer with when the function took the invocation from `/next` and
/// when it posted the answer: the time spent in the function, without the
/// wait in the emulator's queue while every worker was busy.
#[derive(Debug, Clone)]
pub struct Timed {
    pub answer: Answer,
    pub handed_out: Instant,
    pub answered: Instant,
}

#[derive(Default)]
struct State {
    waiting: HashMap<String, oneshot::Sender<Timed>>,
    handed_out: HashMap<String, Instant>,
    init_error: Option<(Option<String>, Value)>,
    pollers: usize,
    in_flight: usize,
    max_in_flight: usize,
}

/// The emulator; clone it freely.
#[derive(Clone)]
pub struct RuntimeApi {
    pub addr: SocketAddr,
    queue: mpsc::UnboundedSender<(String, Value)>,
    state: Arc<Mutex<State>>,
    next_id: Arc<AtomicU64>,
}

impl RuntimeApi {
    pub async fn start() -> Self {
        let (queue, receiver) = mpsc::unbounded_channel::<(String, Value)>();
        let state = Arc::new(Mutex::new(State::default()));
        let server = Server {
            state: state.clone(),
            queue: Arc::new(tokio::sync::Mutex::new(receiver)),
        };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/{kind}", post(answer))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(server);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        RuntimeApi {
            addr,
            queue,
            state,
            next_id: Arc::new(AtomicU64::new(1)),
        }
    }

    /// Queues `event` and waits for the function's answer.
    pub async fn invoke(&self, event: &Value) -> Answer {
        self.invoke_timed(event).await.answer
    }

    /// Queues `event` and waits for the function's answer and its timing.
    pub async fn invoke_timed(&self, event: &Value) -> Timed {
        let id = format!("request-{}", self.next_id.fetch_add(1, Ordering::SeqCst));
        let (sender, receiver) = oneshot::channel();
        self.state
            .lock()
            .unwrap()
            .waiting
            .insert(id.clone(), sender);
        self.queue.send((id, event.clone())).unwrap();
        tokio::time::timeout(Duration::from_secs(20), receiver)
            .await
            .expect("the function did not answer within 20 s")
            .unwrap()
    }

    /// The init error the function reported, with its error-type header.
    pub fn init_error(&self) -> Option<(Option<String>, Value)> {
        self.state.lock().unwrap().init_error.clone()
    }

    /// How many `/next` requests are waiting right now.
    pub fn pollers(&self) -> usize {
        self.state.lock().unwrap().pollers
    }

    /// The most invocations handed out and not yet answered at one time.
    pub fn max_in_flight(&self) -> usize {
        self.state.lock().unwrap().max_in_flight
    }

    /// Waits until `count` workers poll `/next` at once.
    pub async fn wait_for_pollers(&self, count: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while self.pollers() < count {
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {} pollers, expected {count}",
                self.pollers()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// What the handlers share: the emulator's state and the queued events.
#[derive(Clone)]
struct Server {
    state: Arc<Mutex<State>>,
    queue: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<(String, Value)>>>,
}

/// One `/next` request waiting; counted until it is handed an event or
/// its connection closes.
struct Poller(Arc<Mutex<State>>);

impl Poller {
    fn new(state: &Arc<Mutex<State>>) -> Self {
        state.lock().unwrap().pollers += 1;
        Poller(state.clone())
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.0.lock().unwrap().pollers -= 1;
    }
}

/// `GET /invocation/next`: waits for an event and hands it out with the
/// headers Lambda sends.
async fn next(Shared(server): Shared<Server>) -> Response {
    let poller = Poller::new(&server.state);
    let next = server.queue.lock().await.recv().await;
    drop(poller);
    let Some((id, event)) = next else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    {
        let mut state = server.state.lock().unwrap();
        state.in_flight += 1;
        state.max_in_flight = state.max_in_flight.max(state.in_flight);
        state.handed_out.insert(id.clone(), Instant::now());
    }
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 10_000;
    (
        [
            ("Lambda-Runtime-Aws-Request-Id", id),
            ("Lambda-Runtime-Deadline-Ms", deadline.to_string()),
            (
                "Lambda-Runtime-Invoked-Function-Arn",
                "arn:aws:lambda:eu-west-1:123456789012:function:ws-jwt-authorizer".to_owned(),
            ),
            (
                "Lambda-Runtime-Trace-Id",
                "Root=1-00000000-000000000000000000000000".to_owned(),
            ),
        ],
        Json(event),
    )
        .into_response()
}

/// `POST /init/error`: kept with its error-type header.
async fn init_error(Shared(server): Shared<Server>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let error_type = headers
        .get("Lambda-Runtime-Function-Error-Type")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    server.state.lock().unwrap().init_error = Some((error_type, body));
    StatusCode::ACCEPTED
}

/// `POST /invocation/{id}/response` or `/error`: handed to the invoker.
async fn answer(
    Shared(server): Shared<Server>,
    Path((id, kind)): Path<(String, String)>,
    body: Bytes,
) -> StatusCode {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let answer = match kind.as_str() {
        "response" => Answer::Response(body),
        "error" => Answer::Error(body),
        _ => return StatusCode::NOT_FOUND,
    };
    let answered = Instant::now();
    let mut state = server.state.lock().unwrap();
    state.in_flight = state.in_flight.saturating_sub(1);
    let handed_out = state.handed_out.remove(&id).unwrap_or(answered);
    if let Some(sender) = state.waiting.remove(&id) {
        let _ = sender.send(Timed {
            answer,
            handed_out,
            answered,
        });
    }
    StatusCode::ACCEPTED
}
