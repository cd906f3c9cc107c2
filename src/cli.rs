//! The binary's commands outside Lambda: `explain` and `check-config`.
//!
//! Both read the same environment variables as the Lambda and run the same
//! code, so "why is my client getting 401?" and "will this deployment work?"
//! are answered before a user asks.

use std::fmt::Write as _;
use std::io::Read;
use std::time::Instant;

use serde_json::{json, Value};

use crate::config::Config;
use crate::event::ConnectEvent;
use crate::explain::{decode, render_decoded, Explanation, Status};
use crate::keys::{KeySet, KeySetError};
use crate::settings::problems::Problems;
use crate::Authorizer;

/// Exit code of a refused token.
pub const EXIT_REFUSED: i32 = 1;
/// Exit code of a configuration, key set or usage problem.
pub const EXIT_PROBLEM: i32 = 2;

/// The usage text.
pub const USAGE: &str = "\
ws-jwt-authorizer: a JWT authorizer for API Gateway (WebSocket, HTTP and REST APIs).

Without arguments it runs as a Lambda function. With one of these commands
it runs locally, configured by the same environment variables:

  explain --decode [--token TOKEN] [--json]
      Shows any token's header and claims with no configuration at all,
      marked UNVERIFIED: nothing is checked, no key is fetched.

  explain [--token TOKEN | --event FILE] [--method-arn ARN] [--json]
      Shows the token's header and claims (never its signature), each check
      with the values compared, the decision and what API Gateway answers.
      The token is read from stdin when neither --token nor --event is given.
      --event FILE reads an authorizer event as API Gateway sends it, of any
      kind: a REST API's TOKEN or REQUEST event, an HTTP API's payload 1.0 or
      2.0, or a WebSocket $connect; --method-arn replaces its methodArn (its
      routeArn for payload 2.0).
      Exit code: 0 allow, 1 refused, 2 configuration or key set problem.

  check-config [--json]
      Validates the environment and fetches the key set once.
      Exit code: 0 usable, 2 not.

  --help
      This text, and every environment variable with its default.
";

/// The configuration reference: its table is what `--help` lists (and what
/// the tests hold to the variables the code reads).
const REFERENCE: &str = include_str!("../docs/configuration.md");

/// The usage, then every variable of the configuration reference with its
/// default.
pub fn help() -> String {
    let mut out = String::from(USAGE);
    out.push_str("\nEnvironment variables (default), described in docs/configuration.md:\n\n");
    for row in REFERENCE.lines().filter(|line| line.starts_with("| `")) {
        let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
        if let (Some(name), Some(default)) = (cells.first(), cells.last()) {
            let _ = writeln!(
                out,
                "  {:<32} {}",
                name.trim_matches('`'),
                default.replace('`', "")
            );
        }
    }
    out
}

/// What the binary says when started with no command outside Lambda.
pub const NOT_IN_LAMBDA: &str = "\
ws-jwt-authorizer runs as an AWS Lambda function (AWS_LAMBDA_RUNTIME_API is not set here).
To try it locally: `explain` a token, or `check-config` a configuration;
`--help` lists the commands and every variable.
";

/// A command line, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Explain one token or event.
    Explain {
        /// Where the request comes from.
        input: Input,
        /// The methodArn (or payload 2.0's routeArn) to check
        /// `AUTHORIZED_APIS` and `ROUTE_SCOPES` against.
        method_arn: Option<String>,
        /// JSON output instead of text.
        json: bool,
    },
    /// Show a token's header and claims, unverified, with no configuration.
    Decode {
        /// Where the token comes from (a token or stdin).
        input: Input,
        /// JSON output instead of text.
        json: bool,
    },
    /// Validate the configuration and fetch the key set.
    CheckConfig {
        /// JSON output instead of text.
        json: bool,
    },
    /// Print the usage.
    Help,
}

/// Where `explain` reads its request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A token given on the command line.
    Token(String),
    /// A token read from stdin.
    Stdin,
    /// An authorizer event of any kind, read from a file.
    Event(String),
}

/// Parses the arguments after the program name; `None` when there are none
/// (the Lambda runs). An unusable command line is an `Err` with the message.
pub fn parse_args(args: &[String]) -> Option<Result<Command, String>> {
    let (command, rest) = args.split_first()?;
    Some(match command.as_str() {
        "explain" => parse_explain(rest),
        "check-config" => match rest {
            [] => Ok(Command::CheckConfig { json: false }),
            [flag] if flag == "--json" => Ok(Command::CheckConfig { json: true }),
            _ => Err(format!("check-config takes only --json, got {rest:?}")),
        },
        "help" | "--help" | "-h" => Ok(Command::Help),
        other => Err(format!("unknown command {other:?}")),
    })
}

fn parse_explain(mut rest: &[String]) -> Result<Command, String> {
    let mut input = None;
    let mut method_arn = None;
    let mut json = false;
    let mut decode = false;
    while let Some((flag, tail)) = rest.split_first() {
        let value = || {
            tail.first()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--json" => json = true,
            "--decode" => decode = true,
            "--token" | "--event" if input.is_some() => {
                return Err("give one of --token and --event".to_owned())
            }
            "--token" => input = Some(Input::Token(value()?)),
            "--event" => input = Some(Input::Event(value()?)),
            "--method-arn" => method_arn = Some(value()?),
            other => return Err(format!("unknown option {other:?}")),
        }
        rest = if matches!(flag.as_str(), "--json" | "--decode") {
            tail
        } else {
            &tail[1..]
        };
    }
    let input = match input {
        Some(Input::Token(token)) if token == "-" => Input::Stdin,
        Some(input) => input,
        None => Input::Stdin,
    };
    match (decode, &input, &method_arn) {
        (false, ..) => Ok(Command::Explain {
            input,
            method_arn,
            json,
        }),
        (true, Input::Event(_), _) | (true, _, Some(_)) => {
            Err("--decode reads a token (--token or stdin), not --event or --method-arn".to_owned())
        }
        (true, ..) => Ok(Command::Decode { input, json }),
    }
}

/// Runs a command and returns the process exit code.
pub async fn run(command: Command) -> i32 {
    match command {
        Command::Help => {
            print!("{}", help());
            0
        }
        Command::Decode { input, json } => {
            let token = match read_token(&input) {
                Ok(token) => token,
                Err(message) => return problem(json, &json!({ "error": message })),
            };
            let Some(report) = decode(&token) else {
                let error = crate::jws::malformed_for_display(&token);
                return problem(json, &json!({ "verified": false, "error": error }));
            };
            print!(
                "{}",
                if json {
                    json_text(&report)
                } else {
                    render_decoded(&report)
                }
            );
            0
        }
        Command::CheckConfig { json } => {
            let (report, code) = check_config(Config::from_environment()).await;
            print!(
                "{}",
                if json {
                    json_text(&report)
                } else {
                    render_check(&report)
                }
            );
            code
        }
        Command::Explain {
            input,
            method_arn,
            json,
        } => {
            let config = match Config::from_environment() {
                // Metric lines belong in CloudWatch, not in the explanation.
                Ok(config) => Config {
                    metrics: false,
                    ..config
                },
                Err(problems) => return problem(json, &problems_report(&problems)),
            };
            let event = match read_event(&input, method_arn.as_deref(), &config) {
                Ok(event) => event,
                Err(message) => return problem(json, &json!({ "error": message })),
            };
            let authorizer = match Authorizer::new(config) {
                Ok(authorizer) => authorizer,
                Err(error) => return problem(json, &json!({ "error": error.to_string() })),
            };
            let explanation = authorizer.explain(&event).await;
            if json {
                print!("{}", json_text(&explanation));
            } else {
                print!("{}", render_explanation(&explanation));
            }
            explanation.exit_code()
        }
    }
}

fn problem(json: bool, report: &Value) -> i32 {
    if json {
        print!("{}", json_text(report));
    } else if let Some(problems) = report.get("problems").and_then(Value::as_array) {
        for problem in problems {
            eprintln!(
                "error: {}: {}",
                problem["variable"].as_str().unwrap_or_default(),
                problem["reason"].as_str().unwrap_or_default()
            );
        }
    } else if let Some(error) = report.get("error").and_then(Value::as_str) {
        eprintln!("error: {error}");
    } else {
        eprintln!("error: {report}");
    }
    EXIT_PROBLEM
}

fn json_text(value: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// The methodArn used when none is given and `AUTHORIZED_APIS` is unset
/// (nothing then depends on it).
const PLACEHOLDER_METHOD_ARN: &str =
    "arn:aws:execute-api:local:000000000000:explain/$default/$connect";

/// The token given on the command line, or read from stdin (64 KiB at most).
fn read_token(input: &Input) -> Result<String, String> {
    match input {
        Input::Token(token) => Ok(token.trim().to_owned()),
        Input::Stdin => {
            let mut token = String::new();
            std::io::stdin()
                .take(64 * 1024)
                .read_to_string(&mut token)
                .map_err(|error| format!("cannot read the token from stdin: {error}"))?;
            Ok(token.trim().to_owned())
        }
        Input::Event(path) => Err(format!("{path} is an event, not a token")),
    }
}

/// Reads the event to explain (of any kind, from a file), or builds a
/// `$connect` event around a token.
fn read_event(
    input: &Input,
    method_arn: Option<&str>,
    config: &Config,
) -> Result<ConnectEvent, String> {
    let mut event = match input {
        Input::Event(path) => {
            let text =
                std::fs::read(path).map_err(|error| format!("cannot read {path}: {error}"))?;
            // serde's message quotes the value it could not read, which
            // may be a token: say where, not what.
            serde_json::from_slice::<ConnectEvent>(&text).map_err(|error| {
                format!(
                    "{path} is not an authorizer event (line {}, column {})",
                    error.line(),
                    error.column()
                )
            })?
        }
        Input::Stdin | Input::Token(_) => token_event(&read_token(input)?)?,
    };
    // Payload 2.0 names its resource `routeArn`; every other kind `methodArn`.
    let arn = if event.version.as_deref() == Some("2.0") {
        &mut event.route_arn
    } else {
        &mut event.method_arn
    };
    if let Some(given) = method_arn {
        *arn = given.to_owned();
    }
    // An event file is explained as the Lambda would answer it (an event
    // without its ARN is `not_an_event`); only a bare token is given the
    // `$connect` of a placeholder API.
    if arn.is_empty() && !matches!(input, Input::Event(_)) {
        if config.access.authorized_apis.is_some() || !config.access.route_scopes.is_empty() {
            return Err(
                "AUTHORIZED_APIS or ROUTE_SCOPES is set: give --method-arn ARN (or an --event with its methodArn or routeArn) to check it"
                    .to_owned(),
            );
        }
        *arn = PLACEHOLDER_METHOD_ARN.to_owned();
    }
    Ok(event)
}

/// A WebSocket `$connect` event carrying `token` in the `authorization`
/// query parameter.
fn token_event(token: &str) -> Result<ConnectEvent, String> {
    serde_json::from_value(json!({
        "type": "REQUEST",
        "queryStringParameters": { "authorization": token },
        "requestContext": { "routeKey": "$connect", "eventType": "CONNECT" },
    }))
    .map_err(|error| error.to_string())
}

/// The explanation as text for a person.
pub fn render_explanation(explanation: &Explanation) -> String {
    let mut out = String::new();
    let shown = |value: &Option<Value>| match value {
        Some(value) => serde_json::to_string_pretty(value).unwrap_or_default(),
        None => "(not decodable)".to_owned(),
    };
    let _ = writeln!(out, "Header:\n{}", shown(&explanation.header));
    let verified = if explanation.claims_verified {
        "verified"
    } else {
        "NOT verified"
    };
    let _ = writeln!(
        out,
        "Claims ({verified}; signature omitted):\n{}\n",
        shown(&explanation.claims)
    );
    let _ = writeln!(out, "Checks:");
    for check in &explanation.checks {
        let mark = match check.status {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::Skipped => "skip",
        };
        let reason = check
            .reason
            .map(|reason| format!("  [{reason}]"))
            .unwrap_or_default();
        let _ = writeln!(out, "  {mark}  {:<9} {}{reason}", check.name, check.detail);
    }
    let _ = writeln!(
        out,
        "\nDecision: {} ({})\nAPI Gateway: {}",
        explanation.decision, explanation.reason, explanation.answer
    );
    out
}

/// Validates `config` and fetches its key set once; the report and the exit code.
pub async fn check_config(config: Result<Config, Problems>) -> (Value, i32) {
    let config = match config {
        Ok(config) => config,
        Err(problems) => return (problems_report(&problems), EXIT_PROBLEM),
    };
    let settings: serde_json::Map<String, Value> = config
        .settings()
        .into_iter()
        .map(|(name, value)| (name.to_owned(), Value::String(value)))
        .collect();
    let warnings = config.warnings();
    let mut key_sets = Vec::with_capacity(config.issuers.len());
    let mut code = 0;
    for issuer in &config.issuers {
        let fetcher = match config.key_store.fetcher(config.algorithms, issuer) {
            Ok(fetcher) => fetcher,
            Err(error) => {
                let report =
                    json!({ "ok": false, "settings": settings, "error": error.to_string() });
                return (report, EXIT_PROBLEM);
            }
        };
        let started = Instant::now();
        let fetched = fetcher.fetch().await;
        let fetch_ms = started.elapsed().as_millis() as u64;
        let source = issuer.keys.to_string();
        let issuer_names = issuer.names.as_ref().map(|names| names.join(","));
        key_sets.push(match fetched {
            // The provider's answer, but one every token would be refused by.
            Ok(fetched) if fetched.set.is_empty() => {
                code = EXIT_PROBLEM;
                let error = KeySetError::NoUsableKey(fetched.set.skipped().to_vec()).to_string();
                json!({ "issuer": issuer_names, "uri": source, "fetch_ms": fetch_ms, "error": error, "skipped": skipped_keys(&fetched.set) })
            }
            Ok(fetched) => {
                let set = &fetched.set;
                let keys: Vec<Value> = set
                    .keys()
                    .iter()
                    .map(|(kid, key)| {
                        let algorithms: Vec<&str> =
                            key.algorithms().iter().map(|alg| alg.name()).collect();
                        json!({ "kid": kid, "algorithms": algorithms })
                    })
                    .collect();
                let skipped = skipped_keys(set);
                let mut report = json!({
                    "issuer": issuer_names,
                    "uri": source,
                    "fetch_ms": fetch_ms,
                    "max_age_s": fetched.max_age.map(|age| age.as_secs()),
                    "keys": keys,
                    "skipped": skipped,
                });
                // KMS keys: one could not be read, beside those shown.
                if let Some(error) = &fetched.incomplete {
                    code = EXIT_PROBLEM;
                    report["error"] = json!(error.to_string());
                }
                report
            }
            Err(error) => {
                code = EXIT_PROBLEM;
                json!({ "issuer": issuer_names, "uri": source, "fetch_ms": fetch_ms, "error": error.to_string() })
            }
        });
    }
    let report = json!({
        "ok": code == 0,
        "settings": settings,
        "warnings": warnings,
        "key_sets": key_sets,
    });
    (report, code)
}

/// The keys of `set` that could not be used, and why.
fn skipped_keys(set: &KeySet) -> Vec<Value> {
    set.skipped()
        .iter()
        .map(|skipped| json!({ "kid": skipped.kid, "reason": skipped.reason }))
        .collect()
}

/// Every problem of the configuration; `variable` names the first.
fn problems_report(problems: &Problems) -> Value {
    let listed: Vec<Value> = problems
        .0
        .iter()
        .map(|problem| json!({ "variable": problem.variable, "reason": problem.reason }))
        .collect();
    json!({
        "ok": false,
        "error": problems.to_string(),
        "variable": problems.0.first().map(|problem| problem.variable.as_str()),
        "problems": listed,
    })
}

/// The `check-config` report as text for a person.
pub fn render_check(report: &Value) -> String {
    let mut out = String::new();
    if let Some(settings) = report.get("settings").and_then(Value::as_object) {
        let _ = writeln!(out, "Configuration (values in effect):");
        for (name, value) in settings {
            let value = value
                .as_str()
                .filter(|value| !value.is_empty())
                .unwrap_or("(unset)");
            let _ = writeln!(out, "  {name:<30} {value}");
        }
    }
    for warning in report["warnings"].as_array().into_iter().flatten() {
        let _ = writeln!(out, "warning: {}", warning.as_str().unwrap_or_default());
    }
    for key_set in report["key_sets"].as_array().into_iter().flatten() {
        let uri = key_set["uri"].as_str().unwrap_or_default();
        let issuer = match key_set["issuer"].as_str() {
            Some(issuer) => format!(" for {issuer}"),
            None => String::new(),
        };
        let _ = writeln!(out, "Key set {uri}{issuer} ({} ms):", key_set["fetch_ms"]);
        for key in key_set["keys"].as_array().into_iter().flatten() {
            let algorithms: Vec<&str> = key["algorithms"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let _ = writeln!(out, "  key {}: {}", key["kid"], algorithms.join(", "));
        }
        for skipped in key_set["skipped"].as_array().into_iter().flatten() {
            let _ = writeln!(
                out,
                "  skipped {}: {}",
                skipped["kid"],
                skipped["reason"].as_str().unwrap_or_default()
            );
        }
        if let Some(error) = key_set["error"].as_str() {
            let _ = writeln!(out, "  error: {error}");
        }
    }
    match report["problems"].as_array() {
        Some(problems) => {
            for problem in problems {
                let variable = problem["variable"].as_str().unwrap_or_default();
                let reason = problem["reason"].as_str().unwrap_or_default();
                let _ = writeln!(out, "error: {variable}: {reason}");
            }
        }
        None => {
            if let Some(error) = report["error"].as_str() {
                let _ = writeln!(out, "error: {error}");
            }
        }
    }
    let verdict = if report["ok"] == true {
        "OK"
    } else {
        "NOT USABLE"
    };
    let _ = writeln!(out, "Result: {verdict}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn command_lines() {
        assert_eq!(parse_args(&[]), None);
        assert_eq!(
            parse_args(&args("explain --token abc --json")),
            Some(Ok(Command::Explain {
                input: Input::Token("abc".to_owned()),
                method_arn: None,
                json: true
            }))
        );
        assert_eq!(
            parse_args(&args("explain --json --event e.json --method-arn arn:x")),
            Some(Ok(Command::Explain {
                input: Input::Event("e.json".to_owned()),
                method_arn: Some("arn:x".to_owned()),
                json: true
            }))
        );
        for stdin in ["explain", "explain --token -"] {
            assert_eq!(
                parse_args(&args(stdin)),
                Some(Ok(Command::Explain {
                    input: Input::Stdin,
                    method_arn: None,
                    json: false
                }))
            );
        }
        assert_eq!(
            parse_args(&args("check-config --json")),
            Some(Ok(Command::CheckConfig { json: true }))
        );
        assert_eq!(parse_args(&args("--help")), Some(Ok(Command::Help)));
        for wrong in [
            "explain --token",
            "explain --token a --event b",
            "explain --verbose",
            "check-config now",
            "serve",
        ] {
            assert!(matches!(parse_args(&args(wrong)), Some(Err(_))), "{wrong}");
        }
    }

    #[tokio::test]
    async fn a_configuration_error_names_the_variable_and_exits_2() {
        let problems = Config::from_lookup_reporting_all(|_| None, []).unwrap_err();
        let (report, code) = check_config(Err(problems)).await;
        assert_eq!(code, EXIT_PROBLEM);
        assert_eq!(report["variable"], "JWT_ISSUER_JWKS_URI");
        assert_eq!(report["ok"], false);
        assert!(render_check(&report).contains("error: JWT_ISSUER_JWKS_URI: is required"));
    }

    #[tokio::test]
    async fn every_problem_is_reported_at_once_typos_included() {
        let vars = [
            ("JWT_ISSUER_JWKS_URI", "https://idp.example.com/jwks"),
            ("JWT_AUTHORIZED_AUDIENCES", "api"),
            ("JWT_LEEWAY_SECONDS", "a minute"),
            ("JWKS_MAX_BYTES", "ten"),
            ("JWT_REQURED_SCOPES", "admin"),
            ("PATH", "/usr/bin"),
        ];
        let lookup = |name: &str| {
            vars.iter()
                .find(|(variable, _)| *variable == name)
                .map(|(_, value)| (*value).to_owned())
        };
        let problems =
            Config::from_lookup_reporting_all(lookup, vars.iter().map(|(name, _)| *name))
                .unwrap_err();
        let (report, code) = check_config(Err(problems)).await;
        assert_eq!(code, EXIT_PROBLEM);
        let variables: Vec<&str> = report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|problem| problem["variable"].as_str().unwrap())
            .collect();
        assert_eq!(
            variables,
            ["JWT_REQURED_SCOPES", "JWKS_MAX_BYTES", "JWT_LEEWAY_SECONDS"]
        );
        let text = render_check(&report);
        assert!(
            text.contains("error: JWT_REQURED_SCOPES: is not a variable of this authorizer: did you mean JWT_REQUIRED_SCOPES?\n"),
            "{text}"
        );
        assert!(text.ends_with("Result: NOT USABLE\n"), "{text}");
    }
}
