//! The Terraform module, the README and the Rust configuration must agree on
//! the environment variables, in both directions; the README's
//! troubleshooting guide must cover every reason code.

use std::collections::BTreeSet;

use ws_jwt_authorizer::config::VARIABLES;
use ws_jwt_authorizer::Refusal;

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
    let rust: BTreeSet<String> = VARIABLES.iter().map(|name| (*name).to_owned()).collect();
    let terraform = terraform_variables();
    let missing: Vec<_> = rust.difference(&terraform).collect();
    let unknown: Vec<_> = terraform.difference(&rust).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "not settable from Terraform: {missing:?}; set by Terraform but never read: {unknown:?}"
    );
}

#[test]
fn the_readme_documents_every_variable() {
    let readme = read("README.md");
    for name in VARIABLES {
        assert!(
            readme.contains(&format!("| `{name}` |")),
            "{name} is missing from the README's configuration table"
        );
    }
}

#[test]
fn the_troubleshooting_guide_covers_every_reason_code() {
    let readme = read("README.md");
    let guide = readme
        .split_once("## Troubleshooting")
        .and_then(|(_, rest)| rest.split("\n## ").next())
        .expect("the README has a Troubleshooting section");
    for refusal in Refusal::ALL {
        let code = refusal.code();
        assert!(
            guide.contains(&format!("| `{code}` |")),
            "{code} is missing from the README's troubleshooting table"
        );
    }
}
