//! Each Terraform module's README lists every input and output of the
//! module, with its type, default and description, and nothing else
//! (#30.4). The tables are written by scripts/terraform-docs.py; this holds
//! them to variables.tf and outputs.tf, so an input added, removed, retyped,
//! given another default or described otherwise fails here.

use std::collections::BTreeMap;

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

const REGENERATE: &str = "run scripts/terraform-docs.py to write the README's tables again";

/// The name and body of each top-level `kind "name" {` block.
fn blocks(source: &str, kind: &str) -> Vec<(String, String)> {
    let opening = format!("\n{kind} \"");
    let mut found = Vec::new();
    let source = format!("\n{source}");
    for (at, _) in source.match_indices(&opening) {
        let rest = &source[at + opening.len()..];
        let (name, rest) = rest.split_once('"').expect("a block's name");
        let rest = rest
            .strip_prefix(" {\n")
            .expect("a block opens on its line");
        let mut depth = 1;
        let end = rest
            .char_indices()
            .find(|(_, c)| {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map(|(end, _)| end)
            .expect("a block closes");
        found.push((name.to_owned(), rest[..end].to_owned()));
    }
    found
}

fn nesting(text: &str) -> i32 {
    text.chars()
        .map(|c| match c {
            '(' | '{' | '[' => 1,
            ')' | '}' | ']' => -1,
            _ => 0,
        })
        .sum()
}

/// A block's top-level attribute (two spaces in), as written: a heredoc's
/// lines, or a value over several lines, joined; None when absent.
fn attribute(body: &str, name: &str) -> Option<String> {
    let lines: Vec<&str> = body.lines().collect();
    let (index, value) = lines.iter().enumerate().find_map(|(index, line)| {
        let rest = line.strip_prefix("  ")?.strip_prefix(name)?;
        let value = rest.trim_start().strip_prefix('=')?;
        (!rest.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
            .then(|| (index, value.trim().to_owned()))
    })?;
    if let Some(marker) = value.strip_prefix("<<-").or(value.strip_prefix("<<")) {
        let text: Vec<&str> = lines[index + 1..]
            .iter()
            .map(|line| line.trim())
            .take_while(|line| *line != marker)
            .collect();
        return Some(text.join(" "));
    }
    let mut parts = vec![value.clone()];
    let mut depth = nesting(&value);
    for line in &lines[index + 1..] {
        if depth <= 0 {
            break;
        }
        parts.push(line.trim().to_owned());
        depth += nesting(line);
    }
    Some(parts.join(" "))
}

/// A quoted HCL string's text, its escapes undone; a heredoc's as it is.
fn text_of(value: &str) -> String {
    match value
        .strip_prefix('"')
        .and_then(|value| value.strip_suffix('"'))
    {
        Some(quoted) => quoted.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => value.to_owned(),
    }
}

/// Text compared without the layout: whitespace, and the commas the README
/// puts between an object type's members.
fn squeezed(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != ',')
        .collect()
}

/// The rows of a README table between `<!-- BEGIN {section}` and
/// `<!-- END {section}`, by name: the cells after the name.
fn table(readme: &str, section: &str) -> BTreeMap<String, Vec<String>> {
    let (_, rest) = readme
        .split_once(&format!("<!-- BEGIN {section}"))
        .unwrap_or_else(|| panic!("the README has no {section} table: {REGENERATE}"));
    let (table, _) = rest.split_once(&format!("<!-- END {section}")).unwrap();
    table
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .map(|row| {
            let (name, rest) = row.split_once("` | ").expect("| `name` | …");
            let cells = rest
                .trim_end_matches(" |")
                .replace("\\|", "\u{1}")
                .split(" | ")
                .map(|cell| cell.replace('\u{1}', "|"))
                .collect();
            (name.to_owned(), cells)
        })
        .collect()
}

fn check_module(directory: &str) {
    let readme = read(&format!("{directory}/README.md"));

    let variables = blocks(&read(&format!("{directory}/variables.tf")), "variable");
    let inputs = table(&readme, "INPUTS");
    let documented: Vec<&String> = inputs.keys().collect();
    let declared: Vec<String> = {
        let mut names: Vec<String> = variables.iter().map(|(name, _)| name.clone()).collect();
        names.sort();
        names
    };
    assert_eq!(
        documented,
        declared.iter().collect::<Vec<_>>(),
        "{directory}/README.md documents these inputs, variables.tf declares those: {REGENERATE}"
    );
    for (name, body) in &variables {
        let cells = &inputs[name];
        let [kind, default, description] = &cells[..] else {
            panic!("{directory}/README.md: the row of {name} must have a type, a default and a description: {REGENERATE}");
        };
        let declared_type = attribute(body, "type").expect("every variable has a type");
        assert_eq!(
            squeezed(kind.trim_matches('`')),
            squeezed(&declared_type),
            "{directory}/README.md: the type of {name}: {REGENERATE}"
        );
        match attribute(body, "default") {
            None => assert_eq!(
                default, "required",
                "{directory}/README.md: {name} has no default: {REGENERATE}"
            ),
            Some(value) => assert_eq!(
                squeezed(default.trim_matches('`')),
                squeezed(&value),
                "{directory}/README.md: the default of {name}: {REGENERATE}"
            ),
        }
        let declared_description =
            text_of(&attribute(body, "description").expect("every variable is described"));
        assert_eq!(
            squeezed(description),
            squeezed(&declared_description),
            "{directory}/README.md: the description of {name}: {REGENERATE}"
        );
    }

    let outputs = blocks(&read(&format!("{directory}/outputs.tf")), "output");
    let rows = table(&readme, "OUTPUTS");
    let mut declared: Vec<&String> = outputs.iter().map(|(name, _)| name).collect();
    declared.sort();
    assert_eq!(
        rows.keys().collect::<Vec<_>>(),
        declared,
        "{directory}/README.md documents these outputs, outputs.tf declares those: {REGENERATE}"
    );
    for (name, body) in &outputs {
        let description =
            text_of(&attribute(body, "description").expect("every output is described"));
        let sensitive = attribute(body, "sensitive").as_deref() == Some("true");
        let expected = if sensitive {
            format!("{description} (sensitive)")
        } else {
            description
        };
        assert_eq!(
            squeezed(&rows[name][0]),
            squeezed(&expected),
            "{directory}/README.md: the description of the output {name}: {REGENERATE}"
        );
    }
}

#[test]
fn the_modules_readme_lists_every_input_and_output() {
    check_module("terraform");
}

#[test]
fn the_session_guards_readme_lists_every_input_and_output() {
    check_module("terraform/modules/session-guard");
}

/// The checks above would pass on empty tables if the parsing found no
/// block: they must find what the files declare.
#[test]
fn the_docs_check_reads_every_block() {
    let variables = read("terraform/variables.tf");
    assert_eq!(
        blocks(&variables, "variable").len(),
        variables.matches("\nvariable \"").count()
            + usize::from(variables.starts_with("variable \"")),
    );
    let blocks = blocks(&variables, "variable");
    let (_, api_type) = blocks.iter().find(|(name, _)| name == "api_type").unwrap();
    assert_eq!(
        attribute(api_type, "default").as_deref(),
        Some("\"websocket\"")
    );
    assert_eq!(attribute(api_type, "type").as_deref(), Some("string"));
    assert!(attribute(api_type, "description")
        .unwrap()
        .starts_with("The kind of API the authorizer serves: \"websocket\""));
    let (_, issuers) = blocks
        .iter()
        .find(|(name, _)| name == "trusted_issuers")
        .unwrap();
    assert_eq!(
        squeezed(&attribute(issuers, "type").unwrap()),
        "list(object({issuer=stringjwks_uri=optional(string)jwks=optional(string)kms_key_ids=optional(list(string))audiences=optional(list(string))}))"
    );
    let (_, api_id) = blocks.iter().find(|(name, _)| name == "api_id").unwrap();
    assert_eq!(attribute(api_id, "default"), None);
}
