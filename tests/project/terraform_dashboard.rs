//! The dashboard, the alarms and the saved Logs Insights queries read what
//! the code writes (#30.5): every `WsJwtAuthorizer` metric a widget or an
//! alarm reads is a metric and dimension set that src/ops/metrics.rs writes,
//! and every metric it writes has a widget; the queries' field names are the
//! decision line's (src/decision_log.rs) and, for the session guard, those
//! of its log lines and reports (session-guard/src/guard.rs); and every
//! widget and query is described in its module's README.

use std::collections::BTreeSet;

use serde_json::Value;
use ws_jwt_authorizer::error::Decision;
use ws_jwt_authorizer::metrics::NAMESPACE;

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// A metric as CloudWatch keys it: namespace, name, dimension names.
type Metric = (String, String, Vec<String>);

/// The format strings of the EMF lines in src/ops/metrics.rs, made JSON:
/// `{{`/`}}` are braces, `{NAMESPACE}` the namespace, a placeholder inside
/// quotes a string, any other a number.
fn emf_templates() -> Vec<Value> {
    let source = read("src/ops/metrics.rs");
    let templates: Vec<Value> = source
        .split("r#\"")
        .skip(1)
        .filter_map(|rest| rest.split_once("\"#").map(|(raw, _)| raw))
        .filter(|raw| raw.contains("CloudWatchMetrics"))
        .map(|raw| {
            let mut json = String::new();
            let mut chars = raw.chars().peekable();
            while let Some(c) = chars.next() {
                match (c, chars.peek()) {
                    ('{', Some('{')) | ('}', Some('}')) => {
                        chars.next();
                        json.push(c);
                    }
                    ('{', _) => {
                        let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                        if name == "NAMESPACE" {
                            json.push_str(NAMESPACE);
                        } else if json.ends_with('"') {
                            json.push('x');
                        } else {
                            json.push('0');
                        }
                    }
                    _ => json.push(c),
                }
            }
            serde_json::from_str(&json).unwrap_or_else(|error| panic!("{error}: {json}"))
        })
        .collect();
    assert_eq!(
        templates.len(),
        4,
        "the four EMF lines of src/ops/metrics.rs"
    );
    templates
}

/// Every metric and dimension set the authorizer writes.
fn code_metrics() -> BTreeSet<Metric> {
    let mut metrics = BTreeSet::new();
    for template in emf_templates() {
        for directive in template["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
            let namespace = directive["Namespace"].as_str().unwrap();
            for metric in directive["Metrics"].as_array().unwrap() {
                for dimensions in directive["Dimensions"].as_array().unwrap() {
                    metrics.insert((
                        namespace.to_owned(),
                        metric["Name"].as_str().unwrap().to_owned(),
                        dimensions
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|name| name.as_str().unwrap().to_owned())
                            .collect(),
                    ));
                }
            }
        }
    }
    metrics
}

/// The quoted strings of a text, in order.
fn quoted(text: &str) -> Vec<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The metric tables' lines of a Terraform file:
/// `key = { namespace = "…", metric = "…", dimensions = ["…", …] }`.
fn table_metrics(path: &str) -> Vec<Metric> {
    read(path)
        .lines()
        .filter(|line| line.contains("namespace = \"") && line.contains("metric = \""))
        .map(|line| {
            let field = |name: &str| {
                line.split_once(&format!("{name} = \""))
                    .and_then(|(_, rest)| rest.split_once('"'))
                    .map(|(value, _)| value.to_owned())
                    .unwrap_or_else(|| panic!("{path}: {name} in {line}"))
            };
            let dimensions = line
                .split_once("dimensions = [")
                .and_then(|(_, rest)| rest.split_once(']'))
                .map(|(list, _)| quoted(list))
                // The alarms' table: each by FunctionName alone.
                .unwrap_or_else(|| vec!["FunctionName".to_owned()]);
            (field("namespace"), field("metric"), dimensions)
        })
        .collect()
}

#[test]
fn the_dashboard_reads_the_metrics_the_authorizer_writes() {
    let code = code_metrics();
    let dashboard = table_metrics("terraform/dashboard.tf");
    let ours: Vec<&Metric> = dashboard
        .iter()
        .filter(|(namespace, _, _)| namespace == NAMESPACE)
        .collect();
    assert!(ours.len() >= 10, "{ours:?}");
    for metric in &ours {
        assert!(
            code.contains(*metric),
            "terraform/dashboard.tf reads {metric:?}, which src/ops/metrics.rs never writes; it writes {code:?}"
        );
    }
    for (_, name, _) in &code {
        assert!(
            ours.iter().any(|(_, metric, _)| metric == name),
            "src/ops/metrics.rs writes {name}, which no widget of terraform/dashboard.tf shows"
        );
    }
    // Widgets read metrics through the table only: the namespace is
    // written nowhere else in the file.
    let source = read("terraform/dashboard.tf");
    assert_eq!(
        source.matches(&format!("\"{NAMESPACE}\"")).count(),
        ours.len(),
        "terraform/dashboard.tf names {NAMESPACE} outside its metric table"
    );
}

#[test]
fn the_alarms_read_the_metrics_the_authorizer_writes() {
    let code = code_metrics();
    let source = read("terraform/alarms.tf");
    let singles: Vec<Metric> = table_metrics("terraform/alarms.tf")
        .into_iter()
        .filter(|(namespace, _, _)| namespace == NAMESPACE)
        .collect();
    assert_eq!(singles.len(), 1, "{singles:?}");
    for metric in &singles {
        assert!(
            code.contains(metric),
            "terraform/alarms.tf reads {metric:?}"
        );
    }
    // The key set fetch alarm: metric_name, then its dimensions' names.
    let (_, rest) = source
        .split_once("metric_name = \"")
        .expect("the fetch failure alarm's metric_name");
    let (name, rest) = rest.split_once('"').unwrap();
    let (_, dimensions) = rest.split_once("dimensions  = {").unwrap();
    let (dimensions, _) = dimensions.split_once('}').unwrap();
    let dimensions: Vec<String> = dimensions
        .split(',')
        .map(|pair| pair.split('=').next().unwrap().trim().to_owned())
        .collect();
    let metric = (NAMESPACE.to_owned(), name.to_owned(), dimensions);
    assert!(
        code.contains(&metric),
        "terraform/alarms.tf reads {metric:?}"
    );
}

/// The field names of a `tracing::…!(…)` call's text: `name = …`,
/// `%name`, `?name` and a bare `name,`.
fn tracing_fields(call: &str) -> BTreeSet<String> {
    let mut fields = BTreeSet::new();
    let identifier = |text: &str| -> String {
        text.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut depth = 0;
    let mut part = String::new();
    let mut parts = Vec::new();
    // Split at the call's own commas (not those inside nested calls).
    for c in call.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut part));
                continue;
            }
            _ => {}
        }
        part.push(c);
    }
    parts.push(part);
    for part in parts {
        let part = part.trim();
        if part.starts_with('"') {
            continue;
        }
        let name = match part.strip_prefix('%').or(part.strip_prefix('?')) {
            Some(rest) => identifier(rest),
            None => identifier(part),
        };
        let rest = part.trim_start_matches(['%', '?'])[name.len()..].trim();
        if !name.is_empty() && (rest.is_empty() || rest.starts_with('=')) {
            fields.insert(name);
        }
    }
    fields
}

/// Each `tracing::{level}!(…)` call of a source: its text between the
/// parentheses.
fn tracing_calls(source: &str) -> Vec<String> {
    let mut calls = Vec::new();
    for level in ["trace", "debug", "info", "warn", "error"] {
        for (at, _) in source.match_indices(&format!("tracing::{level}!(")) {
            let rest = &source[at + format!("tracing::{level}!(").len()..];
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map(|(end, _)| end)
                .unwrap();
            calls.push(rest[..end].to_owned());
        }
    }
    calls
}

/// The `fields.NAME` a query reads.
fn query_fields(query: &str) -> BTreeSet<String> {
    query
        .split("fields.")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

/// The values a query compares `fields.NAME` with (`=`, `!=`, `in [...]`).
fn compared_values(query: &str, name: &str) -> BTreeSet<String> {
    let mut values = BTreeSet::new();
    for rest in query.split(&format!("fields.{name} ")).skip(1) {
        let rest = rest
            .trim_start_matches("!= ")
            .trim_start_matches("= ")
            .trim_start_matches("in ");
        let list = if let Some(list) = rest.strip_prefix('[') {
            list.split_once(']').unwrap().0
        } else if rest.starts_with('"') || rest.starts_with("\\\"") {
            let rest = rest.trim_start_matches('\\');
            &rest[..rest[1..].find('"').map_or(rest.len(), |end| end + 2)]
        } else {
            continue;
        };
        values.extend(quoted(&list.replace("\\\"", "\"")));
    }
    values
}

#[test]
fn the_saved_queries_read_the_decision_lines_fields() {
    let log = read("src/decision_log.rs");
    let call = tracing_calls(&log)
        .into_iter()
        .find(|call| call.trim_end().ends_with("\"decision\""))
        .expect("src/decision_log.rs writes the decision line");
    let fields = tracing_fields(&call);
    assert!(
        fields.len() >= 12 && fields.contains("connection_id") && fields.contains("reason"),
        "{fields:?}"
    );
    let decisions: BTreeSet<String> = [
        Decision::Allow,
        Decision::Deny,
        Decision::Unauthorized,
        Decision::Error,
    ]
    .iter()
    .map(|decision| decision.name().to_owned())
    .collect();

    let source = read("terraform/dashboard.tf");
    let queries = source
        .split_once("saved_queries = {")
        .expect("terraform/dashboard.tf has saved_queries")
        .1;
    let read_fields = query_fields(queries);
    assert!(read_fields.len() >= 10, "{read_fields:?}");
    for name in &read_fields {
        assert!(
            name == "message" || fields.contains(name),
            "a saved query reads fields.{name}, which the decision line does not have: {fields:?}"
        );
    }
    assert_eq!(
        compared_values(queries, "message"),
        BTreeSet::from(["decision".to_owned()]),
        "the queries pick the decision lines by their message"
    );
    let compared = compared_values(queries, "decision");
    assert!(!compared.is_empty());
    assert!(
        compared.is_subset(&decisions),
        "the queries compare fields.decision with {compared:?}; the decisions are {decisions:?}"
    );
}

/// The camelCase members of a `#[serde(rename_all = "camelCase")]` struct.
fn camel_case_members(source: &str, name: &str) -> BTreeSet<String> {
    let (_, rest) = source
        .split_once(&format!("pub struct {name} {{"))
        .unwrap_or_else(|| panic!("no struct {name}"));
    let (body, _) = rest.split_once("\n}").unwrap();
    body.lines()
        .filter_map(|line| line.trim().strip_prefix("pub "))
        .filter_map(|line| line.split_once(':'))
        .map(|(field, _)| {
            let mut camel = String::new();
            let mut upper = false;
            for c in field.chars() {
                if c == '_' {
                    upper = true;
                } else if upper {
                    camel.extend(c.to_uppercase());
                    upper = false;
                } else {
                    camel.push(c);
                }
            }
            camel
        })
        .collect()
}

#[test]
fn the_guards_queries_read_its_log_lines() {
    let guard_sources: String =
        std::fs::read_dir(format!("{}/session-guard/src", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
            .collect();
    let calls = tracing_calls(&guard_sources);
    let messages: BTreeSet<String> = calls.iter().filter_map(|call| quoted(call).pop()).collect();
    let fields: BTreeSet<String> = calls.iter().flat_map(|call| tracing_fields(call)).collect();
    assert!(
        messages.contains("log batch") && fields.contains("connection_id"),
        "{messages:?} {fields:?}"
    );
    let guard = read("session-guard/src/guard.rs");
    let report_members: BTreeSet<String> = camel_case_members(&guard, "BatchReport")
        .union(&camel_case_members(&guard, "RevokeReport"))
        .cloned()
        .collect();
    assert!(
        report_members.contains("disconnectedNow"),
        "{report_members:?}"
    );

    let queries = read("terraform/modules/session-guard/monitoring.tf");
    for name in query_fields(&queries) {
        assert!(
            name == "message" || fields.contains(&name),
            "a guard query reads fields.{name}, which no log line of the guard has: {fields:?}"
        );
    }
    let compared = compared_values(&queries, "message");
    assert!(compared.len() >= 3, "{compared:?}");
    for message in &compared {
        assert!(
            messages.contains(message),
            "a guard query looks for the message {message:?}, which the guard never logs: {messages:?}"
        );
    }
    // The report's members, read by regular expressions \WNAME\W.
    let members: Vec<String> = queries
        .split("\\\\W")
        .skip(1)
        .step_by(2)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect()
        })
        .collect();
    assert_eq!(members, ["disconnectedNow", "scheduled", "failed"]);
    for member in &members {
        assert!(
            report_members.contains(member),
            "the activity query reads the report's {member}, which it does not have: {report_members:?}"
        );
    }
    // A connection ended at its exp is logged with outcome "closed".
    assert!(queries.contains("parse fields.outcome /(?<ended_at_exp>closed)/"));
    assert!(guard.contains("Ended::Closed => \"closed\""));
}

/// The `title = "…"` of a Terraform file: its widgets' and queries'.
fn titles(path: &str) -> Vec<String> {
    read(path)
        .lines()
        .filter_map(|line| line.trim().strip_prefix("title"))
        .filter_map(|rest| rest.trim_start().strip_prefix("= \""))
        .map(|rest| rest.trim_end_matches('"').to_owned())
        .collect()
}

#[test]
fn every_widget_and_query_is_described() {
    for (source, readme, least) in [
        ("terraform/dashboard.tf", "terraform/README.md", 17),
        (
            "terraform/modules/session-guard/monitoring.tf",
            "terraform/modules/session-guard/README.md",
            4,
        ),
    ] {
        let titles = titles(source);
        assert!(titles.len() >= least, "{source}: {titles:?}");
        let described = read(readme);
        for title in titles {
            assert!(
                described.contains(&format!("\n| {title} |")),
                "{readme} must describe \"{title}\" of {source} in a table row"
            );
        }
    }
}
