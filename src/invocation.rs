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
//! gives lambda_runtime `{}` to deserialize instead. A body that is not an
//! event passes through untouched, so lambda_runtime reports it exactly as
//! before.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::LambdaInvocation;

use crate::event::ConnectEvent;

tokio::task_local! {
    /// The event [`ReadEvent`] read, for the handler of the same invocation.
    static READ_EVENT: RefCell<Option<ConnectEvent>>;
}

/// What lambda_runtime is given to deserialize once the event has been read.
const READ_ALREADY: &str = "{}";

/// The handler's event: the one read from the body if [`ReadEventLayer`]
/// read it, else `deserialized` (lambda_runtime's own reading).
pub fn event_or(deserialized: ConnectEvent) -> ConnectEvent {
    READ_EVENT
        .try_with(|read| read.borrow_mut().take())
        .ok()
        .flatten()
        .unwrap_or(deserialized)
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
        match serde_json::from_slice::<ConnectEvent>(&invocation.body) {
            Ok(event) => {
                invocation.body = READ_ALREADY.into();
                let answer = self.inner.call(invocation);
                Box::pin(READ_EVENT.scope(RefCell::new(Some(event)), answer))
            }
            Err(_) => Box::pin(self.inner.call(invocation)),
        }
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
                let event = event_or(deserialized);
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
    async fn a_body_that_is_not_an_event_reaches_lambda_runtime_untouched() {
        let handler = Handler::default();
        let mut service = ReadEventLayer.layer(handler.clone());
        let error = service.call(invocation("[1, 2")).await.unwrap_err();
        let reading_the_body_itself = serde_json::from_str::<ConnectEvent>("[1, 2").unwrap_err();
        assert_eq!(error.to_string(), reading_the_body_itself.to_string());
        assert!(handler.seen.lock().unwrap().is_empty());
    }

    #[test]
    fn outside_the_layer_the_deserialized_event_is_used() {
        let deserialized = ConnectEvent {
            method_arn: "from lambda_runtime".to_owned(),
            ..ConnectEvent::default()
        };
        assert_eq!(event_or(deserialized).method_arn, "from lambda_runtime");
    }
}
