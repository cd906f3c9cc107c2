//! The Lambda entry point: configuration, runtime and handler, nothing more.

use std::sync::Arc;

use lambda_runtime::layers::TracingLayer;
use lambda_runtime::{service_fn, LambdaEvent, Runtime};
use ws_jwt_authorizer::invocation::ReadEventLayer;
use ws_jwt_authorizer::runtime_api::report_init_error;
use ws_jwt_authorizer::{cli, handle, logging, Authorizer, Config, ConnectEvent};

/// Lambda Managed Instances send several invocations at once and say how
/// many in this variable; classic Lambda sends one at a time.
const MAX_CONCURRENCY: &str = "AWS_LAMBDA_MAX_CONCURRENCY";

fn main() -> Result<(), lambda_runtime::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(command) = cli::parse_args(&args) {
        let code = match command {
            Ok(command) => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(cli::run(command)),
            Err(message) => {
                eprintln!("error: {message}\n\n{}", cli::USAGE);
                cli::EXIT_PROBLEM
            }
        };
        std::process::exit(code);
    }
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        eprint!("{}", cli::NOT_IN_LAMBDA);
        std::process::exit(cli::EXIT_PROBLEM);
    }
    let concurrent = std::env::var(MAX_CONCURRENCY)
        .ok()
        .and_then(|value| value.trim().parse::<u32>().ok())
        .is_some_and(|limit| limit > 1);
    // One thread starts fastest; concurrent invocations get every core.
    let runtime = if concurrent {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    }
    .enable_all()
    .build()?;
    runtime.block_on(serve())
}

async fn serve() -> Result<(), lambda_runtime::Error> {
    logging::init();

    // Every problem at once, one per line: a typo and a bad value are
    // fixed together, before the next deployment.
    let authorizer = match Config::from_environment() {
        Ok(config) => Authorizer::new(config).map_err(|error| error.to_string()),
        Err(problems) => Err(problems.to_string()),
    };
    let authorizer = match authorizer {
        Ok(authorizer) => Arc::new(authorizer),
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
        .prefetch(authorizer.config().key_store.fetch_timeout)
        .await;

    // lambda_runtime::run_concurrent's stack, with the event read by our layer.
    // With AWS_LAMBDA_MAX_CONCURRENCY unset or 1 this is the sequential loop.
    Runtime::new(service_fn(move |event: LambdaEvent<ConnectEvent>| {
        let authorizer = Arc::clone(&authorizer);
        async move { handle(&authorizer, event).await }
    }))
    .layer(ReadEventLayer)
    .layer(TracingLayer::new())
    .run_concurrent()
    .await
}
