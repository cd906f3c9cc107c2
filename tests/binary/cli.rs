//! The compiled binary's `explain` and `check-config` commands, configured
//! through the environment as in Lambda, against a key set on loopback.

use std::process::Stdio;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use serde_json::{json, Value};
use testkit::http::Reply;
use testkit::*;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|error| {
            panic!("{error}: {}\n{}", self.stdout, self.stderr);
        })
    }
}

/// Runs the binary with `args`, only `vars` in its environment, and `stdin`.
async fn run(args: &[&str], vars: &[(&str, &str)], stdin: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ws-jwt-authorizer"))
        .args(args)
        .env_clear()
        .envs(vars.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let output = child.wait_with_output().await.unwrap();
    Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn vars<'a>(keys: &'a KeyServer, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut vars = vec![
        ("JWT_ISSUER_JWKS_URI", keys.url.as_str()),
        ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
        ("JWT_ISSUER", ISSUER),
    ];
    vars.extend_from_slice(extra);
    vars
}

fn check_names(explanation: &Value) -> Vec<(String, String)> {
    explanation["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|check| {
            (
                check["name"].as_str().unwrap().to_owned(),
                check["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn explain_allows_a_valid_token_and_shows_every_check() {
    let key = SigningKey::shared("RS256");
    let keys = KeyServer::start(&jwks(&[key])).await;
    let token = key.sign(&valid_claims());
    let run = run(
        &["explain", "--token", &token, "--json"],
        &vars(&keys, &[]),
        "",
    )
    .await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let explanation = run.json();
    assert_eq!(
        (
            &explanation["decision"],
            &explanation["reason"],
            &explanation["status"]
        ),
        (&json!("allow"), &json!("allowed"), &json!(101))
    );
    let expected: Vec<(String, String)> = [
        ("event", "pass"),
        ("token", "pass"),
        ("format", "pass"),
        ("alg", "pass"),
        ("kid", "pass"),
        ("signature", "pass"),
        ("exp", "pass"),
        ("lifetime", "skipped"),
        ("nbf", "pass"),
        ("iat", "pass"),
        ("age", "skipped"),
        ("iss", "pass"),
        ("aud", "pass"),
        ("claims", "skipped"),
        ("principal", "pass"),
        ("origin", "skipped"),
        ("scope", "skipped"),
        ("api", "skipped"),
        ("route", "skipped"),
    ]
    .iter()
    .map(|(name, status)| ((*name).to_owned(), (*status).to_owned()))
    .collect();
    assert_eq!(check_names(&explanation), expected);
    assert_eq!(explanation["claims_verified"], true);
    assert_eq!(explanation["claims"]["sub"], "user-123");
    assert_eq!(explanation["header"]["kid"], key.kid);
    let signature = token.rsplit('.').next().unwrap();
    assert!(
        !run.stdout.contains(signature),
        "the signature is never shown"
    );
}

#[tokio::test]
async fn explain_lists_every_claim_problem_and_gives_the_first_as_reason() {
    let key = SigningKey::shared("RS256");
    let keys = KeyServer::start(&jwks(&[key])).await;
    let token = key.sign(&claims_with(json!({
        "exp": now() - 7200,
        "aud": "someone-else",
    })));
    // From stdin, as text for a person.
    let run = run(&["explain"], &vars(&keys, &[]), &format!("{token}\n")).await;
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let line = |start: &str| {
        lines
            .iter()
            .find(|line| line.trim_start().starts_with(start))
            .unwrap_or_else(|| panic!("no line {start:?} in\n{}", run.stdout))
            .to_string()
    };
    assert!(line("FAIL  exp").contains("(2 h ago; leeway 60 s)  [expired]"));
    assert!(line("FAIL  aud").contains(
        "aud \"someone-else\" against JWT_AUTHORIZED_AUDIENCES (api://websocket)  [wrong_audience]"
    ));
    assert!(line("pass  signature").contains("RS256 signature verifies"));
    assert_eq!(line("Decision:"), "Decision: unauthorized (expired)");
    assert_eq!(
        line("API Gateway:"),
        "API Gateway: error Unauthorized: 401 Unauthorized"
    );
    assert!(run.stdout.contains("Claims (verified; signature omitted)"));
}

#[tokio::test]
async fn explain_refusals_before_the_claims() {
    let key = SigningKey::shared("RS256");
    let other = SigningKey::generate("RS256", "other-kid");
    let keys = KeyServer::start(&jwks(&[key])).await;

    let mut forged = key.sign(&valid_claims());
    forged.truncate(forged.len() - 4);
    forged.push_str("AAAA");
    let unknown = other.sign(&valid_claims());
    let cases = [
        (
            forged.as_str(),
            "signature",
            "bad_signature",
            "NOT verified",
        ),
        (unknown.as_str(), "kid", "unknown_kid", "NOT verified"),
        ("not-a-token", "format", "malformed_token", "not decodable"),
    ];
    for (token, failing, reason, claims) in cases {
        let run = run(&["explain", "--token", token], &vars(&keys, &[]), "").await;
        assert_eq!(run.code, 1, "{reason}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stdout.lines().any(|line| line
                .trim_start()
                .starts_with(&format!("FAIL  {failing}"))
                && line.ends_with(&format!("[{reason}]"))),
            "{reason}: {}",
            run.stdout
        );
        assert!(run.stdout.contains(claims), "{reason}: {}", run.stdout);
        assert!(run
            .stdout
            .contains(&format!("Decision: unauthorized ({reason})")));
    }
    let unknown_run = run(&["explain", "--token", &unknown], &vars(&keys, &[]), "").await;
    assert!(
        unknown_run
            .stdout
            .contains(&format!("(its kids: {:?})", key.kid)),
        "{}",
        unknown_run.stdout
    );
}

#[tokio::test]
async fn explain_an_event_file_against_authorized_apis() {
    let key = SigningKey::shared("RS256");
    let keys = KeyServer::start(&jwks(&[key])).await;
    let token = key.sign(&valid_claims());
    let dir = std::env::temp_dir().join(format!("explain-event-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let event_file = dir.join("connect.json");
    std::fs::write(&event_file, query_event_json(&token).to_string()).unwrap();
    let event_path = event_file.to_str().unwrap();
    let only_staging = [(
        "AUTHORIZED_APIS",
        "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/staging/*",
    )];

    let denied = run(
        &["explain", "--event", event_path, "--json"],
        &vars(&keys, &only_staging),
        "",
    )
    .await;
    assert_eq!(denied.code, 1);
    let explanation = denied.json();
    assert_eq!(
        (&explanation["decision"], &explanation["status"]),
        (&json!("deny"), &json!(403))
    );
    let checks = explanation["checks"].as_array().unwrap();
    let api = checks.iter().find(|check| check["name"] == "api").unwrap();
    assert_eq!(
        api,
        &json!({
            "name": "api",
            "status": "fail",
            "reason": "api_not_authorized",
            "detail": format!("{METHOD_ARN} matches none of AUTHORIZED_APIS (arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/staging/*)"),
        })
    );

    let allowed_arn = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/staging/$connect";
    let allowed = run(
        &[
            "explain",
            "--event",
            event_path,
            "--method-arn",
            allowed_arn,
        ],
        &vars(&keys, &only_staging),
        "",
    )
    .await;
    assert_eq!(allowed.code, 0, "{}", allowed.stdout);

    // A bare token cannot be checked against AUTHORIZED_APIS: that is a usage problem.
    let without_arn = run(
        &["explain", "--token", &token],
        &vars(&keys, &only_staging),
        "",
    )
    .await;
    assert_eq!(without_arn.code, 2);
    assert!(without_arn.stderr.contains("give --method-arn"));
    std::fs::remove_dir_all(dir).unwrap();
}

/// `explain --event` takes an event of every kind, AWS's documented
/// examples (`testkit/fixtures/aws-docs/`) with the token where each kind
/// carries it, and names the kind, its ARN and route; a refused token is
/// what each API answers it with: 401 on a REST API, 403 on an HTTP API,
/// which has no 401 from its authorizer.
#[tokio::test]
async fn explain_takes_an_event_of_every_kind() {
    let key = SigningKey::shared("RS256");
    let keys = KeyServer::start(&jwks(&[key])).await;
    let token = key.sign(&valid_claims());
    let dir = std::env::temp_dir().join(format!("explain-kinds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    type Carry = fn(&mut Value, String);
    let kinds: [(&str, Carry, &str, u16); 3] = [
        (
            "httpapi-v2-request.json",
            |event, value| event["headers"]["authorization"] = json!(value),
            "http API, REQUEST event, payload 2.0 on arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request, route $default",
            403,
        ),
        (
            "rest-token-request.json",
            |event, value| event["authorizationToken"] = json!(value),
            "rest API, TOKEN event on arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/GET/",
            401,
        ),
        (
            "rest-request-request.json",
            |event, value| event["headers"]["Authorization"] = json!(value),
            "rest API, REQUEST event on arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request, route GET /request",
            401,
        ),
    ];
    let event_check = |explanation: &Value| {
        explanation["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|check| check["name"] == "event")
            .unwrap()["detail"]
            .clone()
    };
    for (fixture_name, carry, kind, refused_status) in kinds {
        let documented: Value =
            serde_json::from_str(&fixture(&format!("aws-docs/{fixture_name}"))).unwrap();
        let write = |token: &str| {
            let mut event = documented.clone();
            carry(&mut event, format!("Bearer {token}"));
            let path = dir.join(format!("{token:.8}-{fixture_name}"));
            std::fs::write(&path, event.to_string()).unwrap();
            path.to_str().unwrap().to_owned()
        };

        let valid = write(&token);
        let allowed = run(
            &["explain", "--event", &valid, "--json"],
            &vars(&keys, &[]),
            "",
        )
        .await;
        assert_eq!(
            allowed.code, 0,
            "{fixture_name}: {}{}",
            allowed.stdout, allowed.stderr
        );
        let explanation = allowed.json();
        assert_eq!(
            (
                &explanation["decision"],
                &explanation["reason"],
                &explanation["status"]
            ),
            (&json!("allow"), &json!("allowed"), &json!(200)),
            "{fixture_name}"
        );
        assert_eq!(event_check(&explanation), json!(kind), "{fixture_name}");

        let forged = write("not-a-token");
        let refused = run(
            &["explain", "--event", &forged, "--json"],
            &vars(&keys, &[]),
            "",
        )
        .await;
        assert_eq!(refused.code, 1, "{fixture_name}: {}", refused.stdout);
        let explanation = refused.json();
        let decision = if refused_status == 403 {
            "deny"
        } else {
            "unauthorized"
        };
        assert_eq!(
            (
                &explanation["decision"],
                &explanation["reason"],
                &explanation["status"]
            ),
            (
                &json!(decision),
                &json!("malformed_token"),
                &json!(refused_status)
            ),
            "{fixture_name}"
        );
    }

    // Payload 2.0 with ROUTE_SCOPES: the route of the event decides, and
    // --method-arn replaces its routeArn.
    let mut event: Value =
        serde_json::from_str(&fixture("aws-docs/httpapi-v2-request.json")).unwrap();
    event["headers"]["authorization"] = json!(format!("Bearer {token}"));
    event["routeKey"] = json!("GET /orders/{id}");
    let path = dir.join("route-scopes.json");
    std::fs::write(&path, event.to_string()).unwrap();
    let route_arn = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/orders/42";
    let refused = run(
        &[
            "explain",
            "--event",
            path.to_str().unwrap(),
            "--method-arn",
            route_arn,
            "--json",
        ],
        &vars(
            &keys,
            &[("ROUTE_SCOPES", r#"{"GET /orders/{id}": ["orders:read"]}"#)],
        ),
        "",
    )
    .await;
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    let explanation = refused.json();
    assert_eq!(
        (
            &explanation["decision"],
            &explanation["reason"],
            &explanation["status"]
        ),
        (&json!("deny"), &json!("missing_route_scope"), &json!(403))
    );
    assert_eq!(
        event_check(&explanation),
        json!(format!(
            "http API, REQUEST event, payload 2.0 on {route_arn}, route GET /orders/{{id}}"
        ))
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn explain_exits_2_when_the_key_set_or_configuration_is_unusable() {
    let key = SigningKey::shared("RS256");
    let keys = KeyServer::start_with(Reply::status(503)).await;
    let token = key.sign(&valid_claims());
    let run_down = run(
        &["explain", "--token", &token, "--json"],
        &vars(&keys, &[]),
        "",
    )
    .await;
    assert_eq!(run_down.code, 2);
    let explanation = run_down.json();
    assert_eq!(
        (
            &explanation["decision"],
            &explanation["reason"],
            &explanation["status"]
        ),
        (&json!("error"), &json!("jwks_unavailable"), &json!(500))
    );

    let misconfigured = run(
        &["explain", "--token", &token, "--json"],
        &[("JWT_ISSUER_JWKS_URI", keys.url.as_str())],
        "",
    )
    .await;
    assert_eq!(misconfigured.code, 2);
    assert_eq!(misconfigured.json()["variable"], "JWT_AUTHORIZED_AUDIENCES");

    let usage = run(&["explain", "--verbose"], &[], "").await;
    assert_eq!(usage.code, 2);
    assert!(usage.stderr.contains("unknown option \"--verbose\""));
}

#[tokio::test]
async fn check_config_reports_settings_keys_and_skipped_keys() {
    let key = SigningKey::shared("RS256");
    let mut body = jwks(&[key]);
    body["keys"]
        .as_array_mut()
        .unwrap()
        .push(json!({"kty": "oct", "kid": "shared-secret", "k": "c2VjcmV0"}));
    let keys = KeyServer::start(&body).await;

    let run_ok = run(
        &["check-config", "--json"],
        &vars(&keys, &[("JWT_ALGORITHMS", "RS256")]),
        "",
    )
    .await;
    assert_eq!(run_ok.code, 0, "{}", run_ok.stdout);
    let report = run_ok.json();
    assert_eq!(report["ok"], true);
    assert_eq!(report["settings"]["JWT_ALGORITHMS"], "RS256");
    assert_eq!(report["settings"]["JWKS_CACHE_TTL_SECONDS"], "600");
    assert_eq!(
        report["key_sets"][0]["keys"],
        json!([{ "kid": key.kid, "algorithms": ["RS256"] }])
    );
    assert_eq!(
        report["key_sets"][0]["skipped"],
        json!([{ "kid": "shared-secret", "reason": "key type \"oct\" is not an asymmetric signing key" }])
    );
    assert_eq!(report["warnings"], json!([]));

    let text = run(&["check-config"], &vars(&keys, &[("JWT_ISSUER", "")]), "").await;
    assert_eq!(text.code, 0);
    assert!(text.stdout.contains("warning: JWT_ISSUER is not set"));
    assert!(text.stdout.ends_with("Result: OK\n"), "{}", text.stdout);

    // Keys, none of them usable with the algorithms allowed: every token
    // would be refused, so the pipeline must stop.
    let unusable = run(
        &["check-config", "--json"],
        &vars(&keys, &[("JWT_ALGORITHMS", "ES256")]),
        "",
    )
    .await;
    assert_eq!(unusable.code, 2, "{}", unusable.stdout);
    let report = unusable.json();
    assert_eq!(report["ok"], false);
    let error = report["key_sets"][0]["error"].as_str().unwrap();
    assert!(
        error.starts_with("no usable key in the key set (2 skipped: ")
            && error.contains("none of its algorithms is allowed by JWT_ALGORITHMS"),
        "{error}"
    );
    keys.set_keys(&json!({"keys": []}));
    let empty = run(&["check-config"], &vars(&keys, &[]), "").await;
    assert_eq!(empty.code, 2);
    assert!(
        empty.stdout.ends_with("Result: NOT USABLE\n"),
        "{}",
        empty.stdout
    );

    keys.set(Reply::status(404));
    let broken = run(&["check-config", "--json"], &vars(&keys, &[]), "").await;
    assert_eq!(broken.code, 2);
    assert_eq!(broken.json()["key_sets"][0]["error"], "HTTP status 404");

    let missing = run(&["check-config"], &[], "").await;
    assert_eq!(missing.code, 2);
    assert!(missing
        .stdout
        .contains("error: JWT_ISSUER_JWKS_URI: is required"));
}

/// An event file is explained as the Lambda answers it: one without its ARN
/// is `not_an_event` (no placeholder ARN), and one that does not parse is
/// named by where, never by the value serde could not read (a token).
#[tokio::test]
async fn explain_answers_an_event_file_as_the_lambda_does() {
    let key = SigningKey::shared("RS256");
    let keys = KeyServer::start(&jwks(&[key])).await;
    let token = key.sign(&valid_claims());
    let dir = std::env::temp_dir().join(format!("explain-as-lambda-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let without_arn = dir.join("without-arn.json");
    let mut event = query_event_json(&token);
    event.as_object_mut().unwrap().remove("methodArn");
    std::fs::write(&without_arn, event.to_string()).unwrap();
    let explained = run(
        &[
            "explain",
            "--event",
            without_arn.to_str().unwrap(),
            "--json",
        ],
        &vars(&keys, &[]),
        "",
    )
    .await;
    assert_eq!(
        explained.code, 2,
        "{}{}",
        explained.stdout, explained.stderr
    );
    assert_eq!(
        (&explained.json()["decision"], &explained.json()["reason"]),
        (&json!("error"), &json!("not_an_event"))
    );

    let malformed = dir.join("malformed.json");
    let mut event = query_event_json(&token);
    event["multiValueHeaders"]["Authorization"] = json!(format!("Bearer {token}"));
    std::fs::write(&malformed, event.to_string()).unwrap();
    let refused = run(
        &["explain", "--event", malformed.to_str().unwrap()],
        &vars(&keys, &[]),
        "",
    )
    .await;
    assert_eq!(refused.code, 2);
    let printed = format!("{}{}", refused.stdout, refused.stderr);
    assert!(
        printed.contains("is not an authorizer event (line 1, column"),
        "{printed}"
    );
    let signature = token.rsplit('.').next().unwrap();
    assert!(!printed.contains(signature), "{printed}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// #31: outside Lambda, with no command, the binary says what it is and
/// where to go; never a panic.
#[tokio::test]
async fn with_no_command_outside_lambda_it_says_what_it_is_and_exits_2() {
    let bare = run(&[], &[], "").await;
    assert_eq!(bare.code, 2, "{}", bare.stderr);
    assert_eq!(bare.stderr, ws_jwt_authorizer::cli::NOT_IN_LAMBDA);
    assert_eq!(bare.stdout, "");
}

/// `--help` lists the commands and every variable the code reads, with its
/// default, from the configuration reference.
#[tokio::test]
async fn help_lists_the_commands_and_every_variable_with_its_default() {
    let help = run(&["--help"], &[], "").await;
    assert_eq!(help.code, 0);
    for command in ["explain [--token TOKEN", "check-config [--json]", "--help"] {
        assert!(help.stdout.contains(command), "{command}");
    }
    let listed: Vec<&str> = help
        .stdout
        .split_once("Environment variables (default)")
        .unwrap()
        .1
        .lines()
        .filter_map(|line| line.strip_prefix("  "))
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    let mut expected = ws_jwt_authorizer::config::variables();
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    expected.sort_unstable();
    assert_eq!(sorted, expected);
    assert!(help
        .stdout
        .contains("\n  JWT_LEEWAY_SECONDS               60\n"));
}

/// #31: every problem of the configuration at once, a typo with the name
/// meant, from `check-config` and from the Lambda's start alike.
#[tokio::test]
async fn every_problem_is_reported_at_once_with_the_name_a_typo_meant() {
    let vars = [
        ("JWT_ISSUER_JWKS_URI", "https://idp.example.com/jwks"),
        ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
        ("JWT_LEWAY_SECONDS", "5"),
        ("JWT_REQURED_SCOPES", "admin"),
        ("JWKS_MAX_BYTES", "ten"),
        ("DECISION_CACHE_MAX_ENTRIES", "-1"),
    ];
    let expected = [
        "JWT_LEWAY_SECONDS: is not a variable of this authorizer: did you mean JWT_LEEWAY_SECONDS?",
        "JWT_REQURED_SCOPES: is not a variable of this authorizer: did you mean JWT_REQUIRED_SCOPES?",
    ];
    let check = run(&["check-config"], &vars, "").await;
    assert_eq!(check.code, 2);
    let errors: Vec<&str> = check
        .stdout
        .lines()
        .filter_map(|line| line.strip_prefix("error: "))
        .collect();
    assert_eq!(errors.len(), 4, "{}", check.stdout);
    assert_eq!(&errors[..2], expected);
    assert!(errors[2..]
        .iter()
        .any(|error| error.starts_with("JWKS_MAX_BYTES: ")));
    assert!(errors[2..]
        .iter()
        .any(|error| error.starts_with("DECISION_CACHE_MAX_ENTRIES: ")));
    assert!(check.stdout.ends_with("Result: NOT USABLE\n"));

    let api = testkit::runtime_api::RuntimeApi::start().await;
    let mut child =
        testkit::function::start_function(env!("CARGO_BIN_EXE_ws-jwt-authorizer"), &api, &vars);
    let pid = child.id().unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .expect("the function should exit")
        .unwrap();
    testkit::function::take_logs(pid);
    let (_, body) = api.init_error().expect("no init error was posted");
    let lines: Vec<&str> = body["errorMessage"].as_str().unwrap().lines().collect();
    assert_eq!(lines.len(), 4, "{body}");
    assert_eq!(&lines[..2], expected);
}

/// #31: `explain --decode` shows any token's header and claims with no
/// configuration, marked unverified, and never the signature.
#[tokio::test]
async fn explain_decode_needs_no_configuration_and_says_nothing_was_checked() {
    let key = SigningKey::shared("RS256");
    let token = key.sign(&claims_with(json!({"sub": "alice"})));
    let signature = token.rsplit('.').next().unwrap();

    let text = run(&["explain", "--decode", "--token", &token], &[], "").await;
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(text.stdout.starts_with(
        "UNVERIFIED: decoded without a configuration or a key; nothing below has been checked.\n"
    ));
    assert!(text.stdout.contains("\"sub\": \"alice\""));
    assert!(text
        .stdout
        .contains("Signature: 256 bytes (not shown, not verified)"));
    assert!(!text.stdout.contains(signature));

    let from_stdin = run(&["explain", "--decode", "--json"], &[], &token).await;
    assert_eq!(from_stdin.code, 0);
    let report = from_stdin.json();
    assert_eq!(report["verified"], false);
    assert_eq!(report["header"]["kid"], key.kid.as_str());
    assert_eq!(report["claims"]["sub"], "alice");
    assert_eq!(report["signature_bytes"], 256);
    assert!(report["times"]["exp"]
        .as_str()
        .unwrap()
        .starts_with("exp 20"));
    assert!(!from_stdin.stdout.contains(signature));

    let broken = run(&["explain", "--decode", "--token", "abc.def"], &[], "").await;
    assert_eq!(broken.code, 2);
    assert_eq!(
        broken.stderr,
        "error: 2 dot-separated parts; a compact JWS has 3 (header.payload.signature)\n"
    );
    let mixed = run(&["explain", "--decode", "--event", "e.json"], &[], "").await;
    assert_eq!(mixed.code, 2);
    assert!(mixed.stderr.contains("--decode reads a token"));
}

/// #31: a signature cut short by a copy-paste is named as such: cut to a
/// length no base64url has, it is `malformed_token` naming the signature;
/// cut to one that decodes, `bad_signature` with its length against the
/// key's.
#[tokio::test]
async fn a_truncated_signature_is_reported_with_its_length() {
    let key = SigningKey::shared("RS256");
    let keys = KeyServer::start(&jwks(&[key])).await;
    let token = key.sign(&valid_claims());
    let signature_detail = |report: &Value, name: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|check| check["name"] == name)
            .map(|check| (check["reason"].clone(), check["detail"].clone()))
            .unwrap_or_else(|| panic!("no {name} check in {report}"))
    };
    // 342 characters for 256 bytes: one off leaves 341, four off 338.
    assert_eq!(token.rsplit('.').next().unwrap().len(), 342);
    let cut_one = &token[..token.len() - 1];
    let run_one = run(
        &["explain", "--token", cut_one, "--json"],
        &vars(&keys, &[]),
        "",
    )
    .await;
    assert_eq!(run_one.code, 1);
    assert_eq!(
        signature_detail(&run_one.json(), "format"),
        (
            json!("malformed_token"),
            json!("the signature is 341 characters, a length no base64url text has: cut short or lengthened (a copy-paste?)")
        )
    );
    // Two off, at a boundary of base64url's groups: 340 characters decode
    // to 255 bytes.
    let cut_two = &token[..token.len() - 2];
    let run_two = run(
        &["explain", "--token", cut_two, "--json"],
        &vars(&keys, &[]),
        "",
    )
    .await;
    assert_eq!(run_two.code, 1);
    assert_eq!(
        signature_detail(&run_two.json(), "signature"),
        (
            json!("bad_signature"),
            json!(format!(
                "the signature is 255 bytes, but RS256 with key {:?} makes 256: truncated (a copy-paste?)",
                key.kid
            ))
        )
    );
    // Elsewhere the cut usually ends inside a character's bits.
    let cut_inside = (3..40)
        .map(|cut| &token[..token.len() - cut])
        .find(|cut| {
            let signature = cut.rsplit('.').next().unwrap();
            signature.len() % 4 != 1 && URL_SAFE_NO_PAD.decode(signature).is_err()
        })
        .unwrap();
    let run_inside = run(
        &["explain", "--token", cut_inside, "--json"],
        &vars(&keys, &[]),
        "",
    )
    .await;
    let (reason, detail) = signature_detail(&run_inside.json(), "format");
    assert_eq!(reason, "malformed_token");
    assert!(
        detail.as_str().unwrap().ends_with(
            "characters and does not end where a base64url text can: cut short or lengthened (a copy-paste?)"
        ),
        "{detail}"
    );
    let padded = format!("{token}AAAA");
    let run_padded = run(
        &["explain", "--token", &padded, "--json"],
        &vars(&keys, &[]),
        "",
    )
    .await;
    assert_eq!(
        signature_detail(&run_padded.json(), "signature").1,
        json!(format!(
            "the signature is 259 bytes, but RS256 with key {:?} makes 256: padded (a copy-paste?)",
            key.kid
        ))
    );
}
