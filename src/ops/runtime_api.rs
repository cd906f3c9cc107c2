//! The one Runtime API call lambda_runtime does not make for us: reporting a
//! failed initialisation, so Lambda shows our message instead of a bare
//! `Runtime.ExitError`.

use std::time::Duration;

use crate::tls::Trust;

/// Posts `message` to `/runtime/init/error` of the Runtime API named by
/// `AWS_LAMBDA_RUNTIME_API`; does nothing outside Lambda.
pub async fn report_init_error(error_type: &str, message: &str) {
    let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") else {
        return;
    };
    let url = format!("{}/2018-06-01/runtime/init/error", runtime_api_base(&api));
    let body = serde_json::json!({ "errorMessage": message, "errorType": error_type });
    let sent = async {
        // Plain HTTP to the Runtime API; reqwest still wants a TLS setting.
        let tls = Trust::default().client_config(true)?;
        reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .timeout(Duration::from_secs(2))
            .build()?
            .post(url)
            .header("Lambda-Runtime-Function-Error-Type", "Runtime.InitError")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(Box::<dyn std::error::Error>::from)
    };
    if let Err(error) = sent.await {
        tracing::error!(error = %error, "could not report the init error to the Runtime API");
    }
}

/// `AWS_LAMBDA_RUNTIME_API` is a bare `host:port` in Lambda, but emulators
/// (cargo-lambda) give a full URL with a path prefix: accept both.
fn runtime_api_base(value: &str) -> String {
    let value = value.trim_end_matches('/');
    if value.contains("://") {
        value.to_owned()
    } else {
        format!("http://{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::runtime_api_base;

    #[test]
    fn both_forms_of_the_runtime_api_address() {
        assert_eq!(runtime_api_base("127.0.0.1:9001"), "http://127.0.0.1:9001");
        assert_eq!(
            runtime_api_base("http://127.0.0.1:9000/.rt/"),
            "http://127.0.0.1:9000/.rt"
        );
    }
}
