//! The Lambda entry point: configuration, runtime and handler, nothing more.

use lambda_runtime::{service_fn, LambdaEvent};
use ws_jwt_authorizer::runtime_api::report_init_error;
use ws_jwt_authorizer::{handle, Authorizer, Config, ConnectEvent};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    ws_jwt_authorizer::logging::init();

    let authorizer = match Config::from_env() {
        Ok(config) => Authorizer::new(config).map_err(|error| error.to_string()),
        Err(error) => Err(error.to_string()),
    };
    let authorizer = match authorizer {
        Ok(authorizer) => authorizer,
        Err(message) => {
            tracing::error!(error = %message, "invalid configuration");
            report_init_error("Runtime.InvalidConfiguration", &message).await;
            std::process::exit(1);
        }
    };
    for warning in authorizer.config().warnings() {
        tracing::warn!("{warning}");
    }
    authorizer
        .prefetch(authorizer.config().jwks_fetch_timeout)
        .await;

    let authorizer = &authorizer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<ConnectEvent>| {
        handle(authorizer, event)
    }))
    .await
}
