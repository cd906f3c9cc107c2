//! The SDK adapters ([`session_guard::aws`]) against a scripted HTTP
//! server on 127.0.0.1: what no fake of the ports can show.

use std::time::{Duration, Instant};

use aws_sdk_scheduler::config::{BehaviorVersion, Credentials, Region};
use session_guard::aws::{timeouts, AwsConnections};
use session_guard::ports::{CallError, Connections, Ended};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server that answers every request with `response` (raw HTTP), or, with
/// `None`, accepts and never answers. Returns its `http://127.0.0.1:port`.
async fn server(response: Option<&'static str>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buffer = [0u8; 8192];
                let _ = stream.read(&mut buffer).await;
                match response {
                    Some(response) => {
                        let _ = stream.write_all(response.as_bytes()).await;
                        let _ = stream.shutdown().await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(3600)).await,
                }
            });
        }
    });
    format!("http://{address}")
}

async fn config() -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .load()
        .await
}

#[tokio::test]
async fn a_management_api_that_never_answers_times_out_as_retryable() {
    let endpoint = server(None).await;
    let small = aws_config::timeout::TimeoutConfig::builder()
        .operation_attempt_timeout(Duration::from_millis(200))
        .operation_timeout(Duration::from_millis(700))
        .build();
    let connections = AwsConnections::new(&config().await, &endpoint, small);
    let started = Instant::now();
    let outcome = tokio::time::timeout(Duration::from_secs(5), connections.end("AAA="))
        .await
        .expect("the call is bounded by the timeouts, not by this test");
    assert!(
        matches!(outcome, Err(CallError::Retryable(_))),
        "{outcome:?}"
    );
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn every_call_is_bounded() {
    let timeouts = timeouts();
    assert_eq!(timeouts.connect_timeout(), Some(Duration::from_secs(3)));
    assert_eq!(
        timeouts.operation_attempt_timeout(),
        Some(Duration::from_secs(5))
    );
    assert_eq!(timeouts.operation_timeout(), Some(Duration::from_secs(15)));
}

/// `end` against a Management API answering `response`.
async fn end_against(response: &'static str) -> Result<Ended, CallError> {
    let endpoint = server(Some(response)).await;
    AwsConnections::new(&config().await, &endpoint, timeouts())
        .end("AAA=")
        .await
}

#[tokio::test]
async fn a_410_is_gone_whatever_error_code_comes_with_it() {
    for response in [
        // What API Gateway sends.
        "HTTP/1.1 410 Gone\r\nContent-Type: application/json\r\nx-amzn-ErrorType: GoneException\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
        // Another code, or none at all (a proxy's page): still gone.
        "HTTP/1.1 410 Gone\r\nContent-Type: application/json\r\nx-amzn-ErrorType: ForbiddenException\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
        "HTTP/1.1 410 Gone\r\nContent-Type: text/html\r\nContent-Length: 11\r\nConnection: close\r\n\r\n<b>gone</b>",
    ] {
        assert_eq!(end_against(response).await, Ok(Ended::AlreadyGone), "{response}");
    }
    assert_eq!(
        end_against("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n").await,
        Ok(Ended::Closed)
    );
    assert!(matches!(
        end_against("HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nx-amzn-ErrorType: ForbiddenException\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}").await,
        Err(CallError::Failed(_))
    ));
}
