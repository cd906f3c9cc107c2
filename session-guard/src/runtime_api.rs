//! The one Runtime API call lambda_runtime does not make for us: reporting
//! a failed initialisation (lambda_runtime 1.5 posts to `/init/error` only
//! for its SnapStart hooks). Lambda then shows our message, naming the
//! variable at fault, instead of a bare `Runtime.ExitError`.
//!
//! The guard links no HTTP client of its own (the SDK's is not meant for
//! this), and the Runtime API is plain HTTP/1.1 on a local address: one
//! request written by hand is all it takes.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long the report may take: the process exits right after.
const TIMEOUT: Duration = Duration::from_secs(2);

/// Splits `AWS_LAMBDA_RUNTIME_API` into the address to connect to and the
/// path prefix: Lambda gives a bare `host:port`, emulators (cargo-lambda) a
/// full `http://host:port/prefix`; both are accepted.
pub fn endpoint(value: &str) -> Option<(String, String)> {
    let value = value.trim().trim_end_matches('/');
    let value = value.strip_prefix("http://").unwrap_or(value);
    if value.contains("://") {
        // Another scheme: the Runtime API is plain HTTP.
        return None;
    }
    let (authority, prefix) = match value.find('/') {
        Some(slash) => value.split_at(slash),
        None => (value, ""),
    };
    (!authority.is_empty()).then(|| (authority.to_owned(), prefix.to_owned()))
}

/// Posts `{"errorMessage": message, "errorType": error_type}` to
/// `/runtime/init/error` of the Runtime API named by
/// `AWS_LAMBDA_RUNTIME_API`; does nothing outside Lambda. A failure to
/// report is logged, never more: the process exits non-zero either way.
pub async fn report_init_error(error_type: &str, message: &str) {
    let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") else {
        return;
    };
    let outcome = match tokio::time::timeout(TIMEOUT, post(&api, error_type, message)).await {
        Ok(outcome) => outcome,
        Err(_) => Err("no answer within 2 s".into()),
    };
    if let Err(error) = outcome {
        tracing::error!(%error, "could not report the init error to the Runtime API");
    }
}

async fn post(api: &str, error_type: &str, message: &str) -> Result<(), String> {
    let (authority, prefix) =
        endpoint(api).ok_or_else(|| format!("AWS_LAMBDA_RUNTIME_API {api:?} is not host:port"))?;
    let body = serde_json::json!({"errorMessage": message, "errorType": error_type}).to_string();
    let request = format!(
        "POST {prefix}/2018-06-01/runtime/init/error HTTP/1.1\r\n\
         Host: {authority}\r\n\
         Lambda-Runtime-Function-Error-Type: Runtime.InitError\r\n\
         Content-Type: application/json\r\n\
         Content-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(&authority)
        .await
        .map_err(|error| format!("{authority}: {error}"))?;
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|error| error.to_string())?;
    // The status line is enough: "HTTP/1.1 202 Accepted".
    let mut head = [0u8; 12];
    stream
        .read_exact(&mut head)
        .await
        .map_err(|error| error.to_string())?;
    match head.get(9) {
        Some(b'2') => Ok(()),
        _ => Err(format!(
            "answered {}",
            String::from_utf8_lossy(&head).trim_end()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::endpoint;

    #[test]
    fn both_forms_of_the_runtime_api_address() {
        assert_eq!(
            endpoint("127.0.0.1:9001"),
            Some(("127.0.0.1:9001".into(), String::new()))
        );
        assert_eq!(
            endpoint("http://127.0.0.1:9000/.rt/"),
            Some(("127.0.0.1:9000".into(), "/.rt".into()))
        );
        assert_eq!(endpoint(""), None);
        assert_eq!(endpoint("https://x:1"), None);
    }
}
