//! A local API Gateway WebSocket API with the authorizer on `$connect`, an
//! HTTP API beside it behind the same authorizer (payload format 2.0), and a
//! demo identity provider: try the authorizer with no AWS account.
//!
//! ```text
//! cargo run --example local-gateway                       # in-process authorizer, demo provider
//! cargo run --example local-gateway -- --alg ES256
//! cargo run --example local-gateway -- --lambda-binary target/release/ws-jwt-authorizer
//! cargo run --example local-gateway -- --issuer https://idp.example.com --jwks-uri https://idp.example.com/jwks --audience my-api
//! cargo run --example local-gateway -- --help
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;

use serde_json::json;
use tokio::net::TcpListener;
use ws_jwt_authorizer::config::variables;
use ws_jwt_authorizer::{Authorizer, Config};

use local_gateway::event::ApiIdentity;
use local_gateway::gateway::{Backend, Gateway};
use local_gateway::http_api::{HttpApi, Route, DEMO_ROUTES, DEMO_ROUTE_SCOPES};
use local_gateway::idp::{DemoIdp, DEFAULT_AUDIENCE, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};
use local_gateway::management;

const HELP: &str = "\
local-gateway: an API Gateway WebSocket API on 127.0.0.1 with the JWT authorizer on $connect,
and an HTTP API on the same port behind the same authorizer (payload format 2.0; routes
GET /orders/{id} and GET /whoami at http://HOST:PORT/{stage}/...; identity source
$request.header.Authorization; IAM policy answers, simple ones with SIMPLE_RESPONSES=true)

Options (each also as an environment variable):
  --port N               the WebSocket and HTTP APIs' port (LOCAL_GATEWAY_PORT, default 8080;
                         0 picks a free one)
  --idp-port N           demo identity provider port (LOCAL_IDP_PORT, default 8081; 0 picks a free one)
  --alg RS256|ES256      demo provider's signing algorithm (LOCAL_IDP_ALG, default RS256)
  --stage NAME           stage, the URL's path (LOCAL_GATEWAY_STAGE, default local)
  --lambda-binary PATH   run this compiled authorizer behind a local Lambda Runtime API
                         instead of the in-process library (LOCAL_LAMBDA_BINARY)
  --issuer URL           use an external identity provider: its issuer (JWT_ISSUER)
  --jwks-uri URL         ... and its key set (JWT_ISSUER_JWKS_URI)
  --audience LIST        accepted audiences (JWT_AUTHORIZED_AUDIENCES, default ws-local-api)
  --authorized-apis LIST AUTHORIZED_APIS (default: these two local APIs)
  --disconnect-on-expiry close connections when the token expires (API Gateway does not)
  --access-log PATH      write the stage's access log there, one line a CONNECT and
                         DISCONNECT, `-` for stdout (LOCAL_ACCESS_LOG)
  --access-log-format F  its format, of $context.* variables (LOCAL_ACCESS_LOG_FORMAT,
                         default the session guard's: terraform/modules/session-guard/access-log-format.json)
The Management API is served at http://HOST:PORT/{stage}/@connections/{connectionId}.
Other authorizer variables (JWT_*, JWKS_*, PRINCIPAL_ID_CLAIM, ROUTE_SCOPES, SIMPLE_RESPONSES)
are passed through; with the demo provider ROUTE_SCOPES defaults to
{\"GET /orders/{id}\":[\"orders:read\"]}.";

/// The format the Terraform module gives the stage when the session guard
/// is on.
const ACCESS_LOG_FORMAT: &str =
    include_str!("../../terraform/modules/session-guard/access-log-format.json");

/// Command line and environment, merged.
struct Options {
    port: u16,
    idp_port: u16,
    alg: String,
    stage: String,
    lambda_binary: Option<PathBuf>,
    issuer: Option<String>,
    jwks_uri: Option<String>,
    audience: String,
    authorized_apis: Option<String>,
    disconnect_on_expiry: bool,
    access_log: Option<String>,
    access_log_format: String,
}

impl Options {
    fn parse() -> Result<Self, String> {
        let mut flags: HashMap<String, String> = HashMap::new();
        let mut disconnect_on_expiry =
            std::env::var("LOCAL_DISCONNECT_ON_EXPIRY").is_ok_and(|v| v == "1" || v == "true");
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--help" | "-h" => {
                    println!("{HELP}");
                    std::process::exit(0);
                }
                "--disconnect-on-expiry" => disconnect_on_expiry = true,
                flag if flag.starts_with("--") => {
                    let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
                    flags.insert(flag.trim_start_matches("--").to_owned(), value);
                }
                other => return Err(format!("unexpected argument {other:?} (see --help)")),
            }
        }
        let get = |flag: &str, variable: &str| {
            flags
                .get(flag)
                .cloned()
                .or_else(|| std::env::var(variable).ok())
        };
        let port = |flag: &str, variable: &str, default: u16| -> Result<u16, String> {
            get(flag, variable).map_or(Ok(default), |value| {
                value
                    .parse()
                    .map_err(|_| format!("--{flag}: not a port: {value}"))
            })
        };
        Ok(Options {
            port: port("port", "LOCAL_GATEWAY_PORT", 8080)?,
            idp_port: port("idp-port", "LOCAL_IDP_PORT", 8081)?,
            alg: get("alg", "LOCAL_IDP_ALG").unwrap_or_else(|| "RS256".to_owned()),
            stage: get("stage", "LOCAL_GATEWAY_STAGE").unwrap_or_else(|| "local".to_owned()),
            lambda_binary: get("lambda-binary", "LOCAL_LAMBDA_BINARY").map(PathBuf::from),
            issuer: get("issuer", "JWT_ISSUER"),
            jwks_uri: get("jwks-uri", "JWT_ISSUER_JWKS_URI"),
            audience: get("audience", "JWT_AUTHORIZED_AUDIENCES")
                .unwrap_or_else(|| DEFAULT_AUDIENCE.to_owned()),
            authorized_apis: get("authorized-apis", "AUTHORIZED_APIS"),
            disconnect_on_expiry,
            access_log: get("access-log", "LOCAL_ACCESS_LOG"),
            access_log_format: get("access-log-format", "LOCAL_ACCESS_LOG_FORMAT")
                .unwrap_or_else(|| ACCESS_LOG_FORMAT.to_owned()),
        })
    }
}

#[tokio::main]
async fn main() {
    if let Err(error) = run().await {
        eprintln!("local-gateway: {error}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let options = Options::parse()?;
    let gateway_listener = TcpListener::bind(("127.0.0.1", options.port)).await?;
    let gateway_address = gateway_listener.local_addr()?;

    // The identity provider: the demo one unless an external one is named.
    let demo = match (&options.issuer, &options.jwks_uri) {
        (None, None) => {
            let listener = TcpListener::bind(("127.0.0.1", options.idp_port)).await?;
            let issuer = format!("http://{}", listener.local_addr()?);
            let demo = Arc::new(DemoIdp::new(issuer, &options.alg)?);
            let router = demo.clone().router();
            tokio::spawn(async move { axum::serve(listener, router).await });
            Some(demo)
        }
        (_, None) => return Err("--issuer needs --jwks-uri as well".into()),
        _ => None,
    };
    let issuer = demo
        .as_ref()
        .map(|demo| demo.issuer().to_owned())
        .or(options.issuer.clone());
    let jwks_uri = demo
        .as_ref()
        .map(|demo| demo.jwks_uri())
        .or(options.jwks_uri.clone())
        .unwrap_or_default();

    let api = ApiIdentity {
        region: "us-east-1".into(),
        account: "000000000000".into(),
        api_id: "local12345".into(),
        stage: options.stage.clone(),
        domain_name: gateway_address.to_string(),
    };
    // The HTTP API is an API of its own (its own id in the routeArn), served
    // on the same port.
    let http_identity = ApiIdentity {
        api_id: "localhttp1".into(),
        ..api.clone()
    };

    // The configuration the Lambda would get, from Terraform.
    let read = variables();
    let mut variables: HashMap<String, String> = std::env::vars()
        .filter(|(name, _)| read.contains(&name.as_str()))
        .collect();
    // A terminal is not CloudWatch: metric lines only when asked for.
    variables
        .entry("METRICS_ENABLED".into())
        .or_insert_with(|| "false".into());
    // The browser example sends its token as a subprotocol.
    variables
        .entry("TOKEN_SOURCES".into())
        .or_insert_with(|| "protocol,query,header".into());
    variables.insert("JWT_ISSUER_JWKS_URI".into(), jwks_uri.clone());
    variables.insert("JWT_AUTHORIZED_AUDIENCES".into(), options.audience.clone());
    if let Some(issuer) = &issuer {
        variables.insert("JWT_ISSUER".into(), issuer.clone());
    }
    // A demo token can have any scope: reading an order needs one.
    if demo.is_some() {
        variables
            .entry("ROUTE_SCOPES".into())
            .or_insert_with(|| DEMO_ROUTE_SCOPES.into());
    }
    variables.insert(
        "AUTHORIZED_APIS".into(),
        options.authorized_apis.clone().unwrap_or_else(|| {
            [&api, &http_identity]
                .map(|api| {
                    format!(
                        "arn:aws:execute-api:{}:{}:{}/*",
                        api.region, api.account, api.api_id
                    )
                })
                .join(",")
        }),
    );
    // The HTTP API's authorizer answers as the function is configured.
    let simple_responses = Config::from_lookup(|name| variables.get(name).cloned())
        .is_ok_and(|config| config.simple_responses);

    let backend = match &options.lambda_binary {
        None => {
            // The authorizer's own decision lines (with the reason of each
            // refusal), as the Lambda would write them.
            ws_jwt_authorizer::logging::init();
            let config = Config::from_lookup(|name| variables.get(name).cloned())?;
            let authorizer = Arc::new(Authorizer::new(config)?);
            Backend::InProcess(authorizer)
        }
        Some(binary) => {
            let runtime = testkit::runtime_api::RuntimeApi::start().await;
            let process = tokio::process::Command::new(binary)
                .envs(&variables)
                .env("AWS_LAMBDA_RUNTIME_API", runtime.addr.to_string())
                .env("AWS_LAMBDA_FUNCTION_NAME", "ws-jwt-authorizer")
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
                .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
                .stdin(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .map_err(|error| format!("--lambda-binary {}: {error}", binary.display()))?;
            Backend::Lambda {
                api: runtime,
                _process: Box::new(process),
            }
        }
    };
    let backend_name = match &options.lambda_binary {
        None => "the in-process authorizer".to_owned(),
        Some(binary) => format!(
            "the Lambda binary {} behind a local Runtime API",
            binary.display()
        ),
    };

    let http_api = HttpApi {
        api: http_identity,
        routes: DEMO_ROUTES
            .iter()
            .map(|key| Route::parse(key))
            .collect::<Result<_, _>>()?,
        simple_responses,
    };
    let http_url = http_api.url();
    let websocket_url = format!("ws://{gateway_address}/{}", options.stage);
    let token_url = demo.as_ref().map(|demo| format!("{}/token", demo.issuer()));
    let gateway = Arc::new(Gateway {
        api,
        backend,
        disconnect_on_expiry: options.disconnect_on_expiry,
        browser_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("client-examples/browser"),
        browser_config: json!({ "websocketUrl": websocket_url, "tokenUrl": token_url }),
        connections: management::Registry::default(),
        http_api,
        access_log: match &options.access_log {
            Some(path) => Some(
                management::AccessLog::open(options.access_log_format.clone(), path)
                    .map_err(|error| format!("--access-log {path}: {error}"))?,
            ),
            None => None,
        },
    });
    let router = gateway
        .router()
        .into_make_service_with_connect_info::<SocketAddr>();

    let answers = if simple_responses {
        "simple responses"
    } else {
        "IAM policy answers"
    };
    println!("WebSocket API:  {websocket_url}   ($connect authorized by {backend_name})");
    println!(
        "HTTP API:       {http_url}   ({}; payload 2.0, {answers}, the same authorizer)",
        DEMO_ROUTES.join(", ")
    );
    if let Some(route_scopes) = variables.get("ROUTE_SCOPES") {
        println!("  ROUTE_SCOPES {route_scopes}");
    }
    match &demo {
        Some(demo) => {
            let scope = "chat:read chat:write orders:read";
            let token = demo.mint("demo-user", scope, &options.audience, 3600)?;
            let token_url = format!("{}/token", demo.issuer());
            println!(
                "Identity provider (demo): {}   token endpoint {token_url}",
                demo.issuer(),
            );
            println!("  client_credentials: client_id {DEMO_CLIENT_ID}, client_secret {DEMO_CLIENT_SECRET}");
            println!("\nA token for demo-user ({scope}), valid one hour:\n{token}\n");
            println!("Connect with wscat (then type whoami):");
            println!("  npx wscat -c \"{websocket_url}?authorization={token}\"");
            println!("\nCall the HTTP API with curl (each answer's reason is in the lines printed here):");
            println!("  TOKEN={token}");
            println!("  curl -i -H \"Authorization: Bearer $TOKEN\" {http_url}/orders/42      # 200, the principal and the authorizer's context");
            println!("  curl -i {http_url}/orders/42                                          # 401, no Authorization header: the authorizer is not called");
            println!("  curl -i -H \"Authorization: Bearer $(curl -s -H 'Accept: text/plain' -d scope=chat:read {token_url})\" {http_url}/orders/42   # 403, missing_route_scope");
            println!("  curl -i -H \"Authorization: Bearer not.a.token\" {http_url}/whoami      # 403, malformed_token (an HTTP API has no 401 from its authorizer)");
        }
        None => {
            println!("Identity provider: {}", jwks_uri);
            println!("Call the HTTP API with curl:");
            println!("  curl -i -H \"Authorization: Bearer $TOKEN\" {http_url}/whoami");
        }
    }
    println!("Browser example: http://{gateway_address}/");
    // `ws` first and `idp` last: scripts read them with sed.
    println!(
        "ready ws={websocket_url} http={http_url} idp={}",
        issuer.unwrap_or_default()
    );

    axum::serve(gateway_listener, router).await?;
    Ok(())
}
