//! The Terraform module, the README and the Rust configuration must agree on
//! the environment variables, in both directions, on the shape of what the
//! module encodes (every field of a `JWT_ISSUERS` entry, every preset name)
//! and on defaults; the module's Terraform version must be one that accepts
//! its own validations; the README's troubleshooting guide must cover every
//! reason code.

use std::collections::{BTreeMap, BTreeSet};

use ws_jwt_authorizer::config::variables;
use ws_jwt_authorizer::explain::steps;
use ws_jwt_authorizer::provider::Provider;
use ws_jwt_authorizer::{Config, Refusal};

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The names assigned inside `environment = { … }` of terraform/environment.tf.
fn terraform_variables() -> BTreeSet<String> {
    let source = read("terraform/environment.tf");
    let block = source
        .split_once("environment = {")
        .map(|(_, rest)| rest)
        .and_then(|rest| rest.split_once('}'))
        .map(|(block, _)| block)
        .expect("terraform/environment.tf has an environment = { … } block");
    block
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(name, _)| name.trim().to_owned())
        .filter(|name| !name.is_empty() && !name.starts_with('#'))
        .collect()
}

#[test]
fn terraform_sets_exactly_the_variables_the_authorizer_reads() {
    let rust: BTreeSet<String> = variables().iter().map(|name| (*name).to_owned()).collect();
    let terraform = terraform_variables();
    let missing: Vec<_> = rust.difference(&terraform).collect();
    let unknown: Vec<_> = terraform.difference(&rust).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "not settable from Terraform: {missing:?}; set by Terraform but never read: {unknown:?}"
    );
}

#[test]
fn the_configuration_reference_documents_every_variable() {
    let reference = read("docs/configuration.md");
    for name in variables() {
        assert!(
            reference.contains(&format!("| `{name}` |")),
            "{name} is missing from docs/configuration.md's table"
        );
    }
}

#[test]
fn the_troubleshooting_guide_covers_every_reason_code() {
    let readme = read("docs/troubleshooting.md");
    let guide = readme
        .split_once("## Troubleshooting")
        .and_then(|(_, rest)| rest.split("\n## ").next())
        .expect("the README has a Troubleshooting section");
    for refusal in Refusal::ALL {
        let code = refusal.code();
        assert!(
            guide.contains(&format!("| `{code}` |")),
            "{code} is missing from docs/troubleshooting.md's table"
        );
    }
}

/// The reason codes of "What is checked", in the order docs/security.md gives them.
fn readme_check_order() -> Vec<&'static str> {
    let readme = read("docs/security.md");
    let section = readme
        .split_once("## What is checked")
        .and_then(|(_, rest)| rest.split("\nIf the key set cannot be fetched").next())
        .expect("the README has a What is checked section");
    section
        .split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|quoted| {
            Refusal::ALL
                .iter()
                .map(|refusal| refusal.code())
                .find(|code| *code == quoted)
        })
        .collect()
}

#[test]
fn the_readme_lists_the_checks_in_the_pipelines_order() {
    let steps = steps();
    let order = readme_check_order();
    // Each code the README names belongs to this step or a later one.
    let mut at = 0;
    for code in &order {
        match steps[at..]
            .iter()
            .position(|step| step.reasons.iter().any(|reason| reason.code() == *code))
        {
            Some(offset) => at += offset,
            None => panic!(
                "the README names {code} after the step {:?}, which comes later in the pipeline ({:?})",
                steps[at].name,
                steps.iter().map(|step| step.name).collect::<Vec<_>>()
            ),
        }
    }
    for refusal in Refusal::ALL {
        assert!(
            steps.iter().any(|step| step.reasons.contains(&refusal)),
            "{} belongs to no step of the pipeline",
            refusal.code()
        );
        assert!(
            refusal == Refusal::JwksUnavailable || order.contains(&refusal.code()),
            "{} is missing from What is checked",
            refusal.code()
        );
    }
}

/// The blocks of terraform/variables.tf, by variable name.
fn terraform_variable_blocks() -> BTreeMap<String, String> {
    read("terraform/variables.tf")
        .split("\nvariable \"")
        .skip(1)
        .filter_map(|block| {
            let (name, body) = block.split_once('"')?;
            Some((name.to_owned(), body.to_owned()))
        })
        .collect()
}

/// The `X.Y` of `required_version = ">= X.Y"` in a Terraform file.
fn minimum_terraform_version(path: &str) -> (u32, u32) {
    let source = read(path);
    let version = source
        .split_once("required_version = \">= ")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(version, _)| version.to_owned())
        .unwrap_or_else(|| panic!("{path} has no required_version = \">= X.Y\""));
    let (major, minor) = version.split_once('.').expect("X.Y");
    (major.parse().unwrap(), minor.parse().unwrap())
}

/// Terraform 1.9 is the first to accept a validation that refers to another
/// variable; on 1.7 and 1.8 `terraform init` of such a module fails.
#[test]
fn the_terraform_version_accepts_the_modules_own_validations() {
    let mut cross_references = Vec::new();
    for (name, body) in terraform_variable_blocks() {
        for condition in body
            .lines()
            .filter(|line| line.trim_start().starts_with("condition"))
        {
            for (_, rest) in condition
                .match_indices("var.")
                .map(|(at, _)| condition.split_at(at + 4))
            {
                let other: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if other != name {
                    cross_references.push(format!("{name} -> {other}"));
                }
            }
        }
    }
    let module = minimum_terraform_version("terraform/versions.tf");
    let example = minimum_terraform_version("terraform/examples/websocket-api/main.tf");
    if !cross_references.is_empty() {
        assert!(
            module >= (1, 9),
            "validations refer to other variables ({cross_references:?}), which needs Terraform >= 1.9, but the module says >= {}.{}",
            module.0,
            module.1
        );
    }
    assert_eq!(
        example, module,
        "the example must require what the module requires"
    );
    let readme = read("docs/deploy.md");
    let stated = format!("Terraform {}.{} or later", module.0, module.1);
    assert!(
        readme.contains(&stated),
        "docs/deploy.md must say {stated:?}"
    );
}

/// Every field the Lambda reads from a `JWT_ISSUERS` entry (src/issuers.rs)
/// must be a field of the module's `trusted_issuers` and reach the JSON:
/// Terraform silently drops object attributes its type does not declare.
#[test]
fn trusted_issuers_carries_every_field_the_lambda_reads() {
    let issuers = read("src/key_sources/issuers.rs");
    let entry = issuers
        .split_once("struct IssuerEntry {")
        .and_then(|(_, rest)| rest.split_once('}'))
        .map(|(body, _)| body)
        .expect("src/key_sources/issuers.rs has struct IssuerEntry");
    let rust: BTreeSet<String> = entry
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#') && !line.starts_with("//"))
        .filter_map(|line| line.split_once(':'))
        .map(|(field, _)| field.trim().to_owned())
        .collect();
    let blocks = terraform_variable_blocks();
    let object = blocks["trusted_issuers"]
        .split_once("object({")
        .and_then(|(_, rest)| rest.split_once("})"))
        .map(|(body, _)| body)
        .expect("trusted_issuers is a list(object({ … }))");
    let terraform: BTreeSet<String> = object
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(field, _)| field.trim().to_owned())
        .collect();
    assert_eq!(
        terraform, rust,
        "trusted_issuers fields against IssuerEntry"
    );
    let environment = read("terraform/environment.tf");
    let encoded = environment
        .split_once("trusted_issuers = [")
        .map(|(_, rest)| rest.split_whitespace().collect::<Vec<_>>().join(" "))
        .expect("environment.tf encodes trusted_issuers");
    for field in &rust {
        assert!(
            encoded.contains(&format!("{field} = entry.")),
            "environment.tf must encode the {field} of each trusted_issuers entry"
        );
    }
}

/// provider_preset accepts exactly the presets the Lambda knows.
#[test]
fn provider_preset_accepts_exactly_the_lambdas_presets() {
    let blocks = terraform_variable_blocks();
    let names: BTreeSet<String> = blocks["provider_preset"]
        .split_once("contains([")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list)
        .expect("provider_preset validates its name with contains([…])")
        .split(',')
        .map(|name| name.trim().trim_matches('"').to_owned())
        .collect();
    let rust: BTreeSet<String> = Provider::ALL
        .iter()
        .map(|provider| provider.name().to_owned())
        .collect();
    assert_eq!(names, rust);
}

/// A default the module writes must be the Lambda's own: otherwise a setting
/// left alone behaves differently deployed by Terraform than documented.
#[test]
fn module_defaults_are_the_lambdas_defaults() {
    let minimal = Config::from_lookup(|name| match name {
        "JWT_ISSUER_JWKS_URI" => Some("https://idp.example.com/jwks".to_owned()),
        "JWT_AUTHORIZED_AUDIENCES" => Some("api".to_owned()),
        _ => None,
    })
    .unwrap();
    let lambda: BTreeMap<&str, String> = minimal.settings().into_iter().collect();
    let blocks = terraform_variable_blocks();
    let environment = read("terraform/environment.tf");
    let mut compared = 0;
    for line in environment.lines() {
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let name = name.trim();
        let Some(variable) = value.split_once("var.").map(|(_, rest)| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        }) else {
            continue;
        };
        let Some(default) = blocks.get(&variable).and_then(|body| {
            body.lines()
                .find(|line| line.trim_start().starts_with("default "))
                .and_then(|line| line.split_once('='))
                .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        }) else {
            continue;
        };
        // null, empty strings and lists leave the variable to the Lambda.
        if default == "null"
            || default.is_empty()
            || default.starts_with('[')
            || default.starts_with('{')
        {
            continue;
        }
        let Some(expected) = lambda.get(name) else {
            continue;
        };
        assert_eq!(&default, expected, "{variable} (default of {name})");
        compared += 1;
    }
    assert!(compared >= 15, "only {compared} defaults compared");
}

/// The plan counts each preset's context claims against `context_max_bytes`
/// as the Lambda does (terraform/rules.tf, `preset_context_claims`): its
/// lists must be the presets' own.
#[test]
fn the_plans_preset_context_claims_are_the_lambdas() {
    let rules = read("terraform/rules.tf");
    let block = rules
        .split_once("preset_context_claims = lookup({")
        .and_then(|(_, rest)| rest.split_once("}, local.preset_name"))
        .map(|(block, _)| block)
        .expect("terraform/rules.tf has preset_context_claims = lookup({ … })");
    let terraform: BTreeMap<String, Vec<String>> = block
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(name, list)| {
            let claims = list
                .trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split(',')
                .map(|claim| claim.trim().trim_matches('"').to_owned())
                .filter(|claim| !claim.is_empty())
                .collect();
            (name.trim().to_owned(), claims)
        })
        .collect();
    let rust: BTreeMap<String, Vec<String>> = Provider::ALL
        .iter()
        .map(|provider| {
            let preset = ws_jwt_authorizer::provider::preset(*provider, None).unwrap();
            let claims = preset
                .context_claims
                .iter()
                .map(|claim| (*claim).to_owned())
                .collect();
            (provider.name().to_owned(), claims)
        })
        .collect();
    assert_eq!(terraform, rust);
}

/// #28.7: each warning the module gives at plan (a `check` block of
/// terraform/rules.tf) is one the function gives at start, word for word,
/// for the configuration that raises it (here the replaced authorizer's:
/// a Cognito key set URL, audiences, no issuer, expiry not verified).
#[test]
fn the_modules_plan_warnings_are_the_functions_start_warnings() {
    let rules = read("terraform/rules.tf");
    let planned: Vec<String> = rules
        .split("check \"")
        .skip(1)
        .map(|block| {
            let (_, message) = block
                .split_once("error_message = \"")
                .expect("a check block has an error_message");
            message[..message.find("\"\n").expect("on one line")].replace("\\\"", "\"")
        })
        .collect();
    assert_eq!(planned.len(), 3, "{planned:?}");
    let config = testkit::config_from(&[
        (
            "JWT_ISSUER_JWKS_URI",
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12/.well-known/jwks.json",
        ),
        ("JWT_AUTHORIZED_AUDIENCES", "app-client-1"),
        ("JWT_VERIFY_EXPIRATION", "false"),
    ]);
    assert_eq!(config.warnings(), planned);
    // With the issuer, the preset's token_use rule and expiry: none.
    let checked = testkit::config_from(&[
        ("JWT_PROVIDER", "cognito:eu-west-1_Ab12"),
        ("JWT_AUTHORIZED_AUDIENCES", "app-client-1"),
    ]);
    assert!(checked.warnings().is_empty(), "{:?}", checked.warnings());
}
