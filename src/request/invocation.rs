//! Reading each `$connect` event straight from the invocation's body.
//!
//! lambda_runtime deserializes every event through `serde_path_to_error`,
//! which copies the name of each key it passes into a `String` for the error
//! message it would give if the event were malformed. API Gateway's event has
//! about ninety keys, so that is 86 allocations and 60 % more instructions
//! than reading the event itself (`bash benches/instructions/count.sh
//! event_json event_json_lambda_runtime`, BENCHMARKS.md), on every
//! decision. [`ReadEventLayer`] reads the event with `serde_json` before
//! lambda_runtime does, hands it to the handler through a task-local, and
//! gives lambda_runtime `{}` to deserialize instead.
//!
//! A body that is not an event never reaches lambda_runtime either: its
//! deserialization error quotes the value (at ERROR, the default level, and
//! in the error answer), and a direct `lambda invoke` with a token as the
//! payload would put the token in the log. The handler is told only the
//! body's JSON type and length ([`NotAnEvent`]), and answers with those.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::LambdaInvocation;
use serde::de::IgnoredAny;

use crate::event::ConnectEvent;

tokio::task_local! {
    /// What [`ReadEvent`] read, for the handler of the same invocation.
    static READ_EVENT: RefCell<Option<Result<ConnectEvent, NotAnEvent>>>;
}

/// What lambda_runtime is given to deserialize once the body has been read.
const READ_ALREADY: &str = "{}";

/// A body that is not an event, described without a byte of its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAnEvent {
    /// Its JSON type (`a JSON string`), or `not JSON`.
    pub kind: &'static str,
    /// Its length in bytes.
    pub bytes: usize,
}

impl NotAnEvent {
    /// Describes `body`, which did not read as an event.
    pub fn of(body: &[u8]) -> Self {
        let json = serde_json::from_slice::<IgnoredAny>(body).is_ok();
        let first = body.iter().find(|byte| !byte.is_ascii_whitespace());
        let kind = match (json, first) {
            (false, _) | (true, None) => "not JSON",
            (true, Some(b'"')) => "a JSON string",
            (true, Some(b'[')) => "a JSON array",
            (true, Some(b'{')) => "a JSON object without an event's members and types",
            (true, Some(b't' | b'f')) => "a JSON boolean",
            (true, Some(b'n')) => "JSON null",
            (true, Some(_)) => "a JSON number",
        };
        NotAnEvent {
            kind,
            bytes: body.len(),
        }
    }
}

impl fmt::Display for NotAnEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} of {} bytes", self.kind, self.bytes)
    }
}

/// The handler's event: the one read from the body if [`ReadEventLayer`]
/// read it (or what the body was, if it was not an event), else
/// `deserialized` (lambda_runtime's own reading).
pub fn event_or(deserialized: ConnectEvent) -> Result<ConnectEvent, NotAnEvent> {
    READ_EVENT
        .try_with(|read| read.borrow_mut().take())
        .ok()
        .flatten()
        .unwrap_or(Ok(deserialized))
}

/// The event in `body`: a JSON object only (serde would read a struct from
/// an array too, member by member in order).
fn read_event(body: &[u8]) -> Result<ConnectEvent, NotAnEvent> {
    let object = body.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'{');
    object
        .then(|| serde_json::from_slice::<ConnectEvent>(body).ok())
        .flatten()
        .ok_or_else(|| NotAnEvent::of(body))
}

/// Reads the event from the invocation's body before lambda_runtime does.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadEventLayer;

impl<S> Layer<S> for ReadEventLayer {
    type Service = ReadEvent<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ReadEvent { inner }
    }
}

/// The service of [`ReadEventLayer`].
#[derive(Debug, Clone)]
pub struct ReadEvent<S> {
    inner: S,
}

impl<S> Service<LambdaInvocation> for ReadEvent<S>
where
    S: Service<LambdaInvocation>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> Self::Future {
        let read = read_event(&invocation.body);
        invocation.body = READ_ALREADY.into();
        let answer = self.inner.call(invocation);
        Box::pin(READ_EVENT.scope(RefCell::new(Some(read)), answer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::Context as LambdaContext;
    use std::sync::{Arc, Mutex};

    /// Records the body it is given and the event its handler would see.
    #[derive(Clone, Default)]
    struct Handler {
        seen: Arc<Mutex<Vec<(String, String)>>>,
    }

    impl Service<LambdaInvocation> for Handler {
        type Response = ();
        type Error = serde_json::Error;
        type Future = Pin<Box<dyn Future<Output = Result<(), serde_json::Error>> + Send>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, invocation: LambdaInvocation) -> Self::Future {
            let seen = Arc::clone(&self.seen);
            Box::pin(async move {
                let body = String::from_utf8_lossy(&invocation.body).into_owned();
                let deserialized: ConnectEvent = serde_json::from_slice(&invocation.body)?;
                let event = event_or(deserialized).unwrap();
                seen.lock().unwrap().push((body, event.method_arn));
                Ok(())
            })
        }
    }

    fn invocation(body: &'static str) -> LambdaInvocation {
        let (parts, ()) = http::Response::new(()).into_parts();
        LambdaInvocation {
            parts,
            body: body.into(),
            context: LambdaContext::default(),
        }
    }

    #[tokio::test]
    async fn an_event_is_read_once_and_handed_to_the_handler() {
        let handler = Handler::default();
        let mut service = ReadEventLayer.layer(handler.clone());
        let body = r#"{"methodArn": "arn:aws:execute-api:eu-west-1:1:a/s/$connect"}"#;
        service.call(invocation(body)).await.unwrap();
        assert_eq!(
            handler.seen.lock().unwrap().as_slice(),
            [(
                "{}".to_owned(),
                "arn:aws:execute-api:eu-west-1:1:a/s/$connect".to_owned()
            )]
        );
    }

    #[tokio::test]
    async fn a_body_that_is_not_an_event_never_reaches_lambda_runtime() {
        type Seen = Vec<(String, Result<ConnectEvent, NotAnEvent>)>;
        let seen: Arc<Mutex<Seen>> = Arc::default();
        let recorded = Arc::clone(&seen);
        let recorder = lambda_runtime::tower::service_fn(move |invocation: LambdaInvocation| {
            let seen = Arc::clone(&recorded);
            async move {
                let body = String::from_utf8_lossy(&invocation.body).into_owned();
                let read = event_or(ConnectEvent::default());
                seen.lock().unwrap().push((body, read));
                Ok::<(), serde_json::Error>(())
            }
        });
        let mut service = ReadEventLayer.layer(recorder);
        let token = "\"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl\"";
        for body in [token, "[1, 2", "42", "{\"headers\": \"eyJ.x.y\"}", "[{}]"] {
            service.call(invocation(body)).await.unwrap();
        }
        let seen = seen.lock().unwrap();
        let bodies: Vec<&str> = seen.iter().map(|(body, _)| body.as_str()).collect();
        assert_eq!(bodies, ["{}"; 5], "lambda_runtime never sees the body");
        let read: Vec<String> = seen
            .iter()
            .map(|(_, read)| read.as_ref().unwrap_err().to_string())
            .collect();
        assert_eq!(
            read,
            [
                "a JSON string of 51 bytes",
                "not JSON of 5 bytes",
                "a JSON number of 2 bytes",
                "a JSON object without an event's members and types of 22 bytes",
                "a JSON array of 4 bytes",
            ]
        );
    }

    #[test]
    fn outside_the_layer_the_deserialized_event_is_used() {
        let deserialized = ConnectEvent {
            method_arn: "from lambda_runtime".to_owned(),
            ..ConnectEvent::default()
        };
        assert_eq!(
            event_or(deserialized).unwrap().method_arn,
            "from lambda_runtime"
        );
    }
}
