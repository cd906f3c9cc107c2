//! A Lambda Runtime API emulator on loopback: hands events to `/next`
//! pollers and records what the function answers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::http::{self, Reply, Request};

const PREFIX: &str = "/2018-06-01/runtime";

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
        let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
        let state = Arc::new(Mutex::new(State::default()));
        let handler_state = state.clone();
        let addr = http::serve(Arc::new(move |request: Request| {
            let (state, receiver) = (handler_state.clone(), receiver.clone());
            Box::pin(async move { route(request, state, receiver).await })
        }))
        .await;
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

async fn route(
    request: Request,
    state: Arc<Mutex<State>>,
    receiver: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<(String, Value)>>>,
) -> Reply {
    let Some(path) = request.path.strip_prefix(PREFIX) else {
        return Reply::status(404);
    };
    match (request.method.as_str(), path) {
        ("GET", "/invocation/next") => {
            state.lock().unwrap().pollers += 1;
            let next = receiver.lock().await.recv().await;
            {
                let mut state = state.lock().unwrap();
                state.pollers -= 1;
                state.in_flight += 1;
                state.max_in_flight = state.max_in_flight.max(state.in_flight);
                if let Some((id, _)) = &next {
                    state.handed_out.insert(id.clone(), Instant::now());
                }
            }
            let Some((id, event)) = next else {
                return Reply::status(500);
            };
            let deadline = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_millis()
                + 10_000;
            Reply::json(event.to_string())
                .with_header("Lambda-Runtime-Aws-Request-Id", &id)
                .with_header("Lambda-Runtime-Deadline-Ms", &deadline.to_string())
                .with_header(
                    "Lambda-Runtime-Invoked-Function-Arn",
                    "arn:aws:lambda:eu-west-1:123456789012:function:ws-jwt-authorizer",
                )
                .with_header(
                    "Lambda-Runtime-Trace-Id",
                    "Root=1-00000000-000000000000000000000000",
                )
        }
        ("POST", "/init/error") => {
            let body = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            let error_type = request
                .header("Lambda-Runtime-Function-Error-Type")
                .map(str::to_owned);
            state.lock().unwrap().init_error = Some((error_type, body));
            Reply::status(202)
        }
        ("POST", path) => {
            let Some(rest) = path.strip_prefix("/invocation/") else {
                return Reply::status(404);
            };
            let Some((id, kind)) = rest.split_once('/') else {
                return Reply::status(404);
            };
            let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            let answer = match kind {
                "response" => Answer::Response(body),
                "error" => Answer::Error(body),
                _ => return Reply::status(404),
            };
            let answered = Instant::now();
            let mut state = state.lock().unwrap();
            state.in_flight = state.in_flight.saturating_sub(1);
            let handed_out = state.handed_out.remove(id).unwrap_or(answered);
            if let Some(sender) = state.waiting.remove(id) {
                let _ = sender.send(Timed {
                    answer,
                    handed_out,
                    answered,
                });
            }
            Reply::status(202)
        }
        _ => Reply::status(404),
    }
}
