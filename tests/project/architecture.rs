//! The shape of `src/`, measured from its own text: the modules' imports
//! form no circle, so each module can be read (and tested) after the ones
//! it uses, and no module grows past what one sitting can read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module's code before its unit tests, without comments (a doc link is
/// not a use): what the library itself uses.
fn code_of(text: &str) -> String {
    let code = text.find("#[cfg(test)]").map_or(text, |at| &text[..at]);
    code.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The most lines of code (not blank, not comments, before the unit
/// tests) a module of `src/` may have.
const MAX_CODE_LINES: usize = 500;

/// Every module of `src/`, by name (a folder's `mod.rs` by the folder's),
/// with its text.
fn modules() -> BTreeMap<String, String> {
    modules_with_folders()
        .into_iter()
        .map(|(name, (_, text))| (name, text))
        .collect()
}

/// Every module of `src/` with its folder (`""` at the top) and its text.
fn modules_with_folders() -> BTreeMap<String, (String, String)> {
    fn walk(dir: &Path, folder: &str, texts: &mut BTreeMap<String, (String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                walk(&path, &name, texts);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let module = if name == "mod" {
                    folder.to_owned()
                } else {
                    name
                };
                let text = std::fs::read_to_string(&path).unwrap();
                texts.insert(module, (folder.to_owned(), text));
            }
        }
    }
    let mut texts = BTreeMap::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        "",
        &mut texts,
    );
    texts
}

/// The layers of `src/`, top first: a module may use its own layer's and
/// those below. Folders are parts of the pipeline; the files at the top
/// are the face, the decision and the configuration, which assembles every
/// part's settings and so sits above the parts, not among them.
const LAYERS: [&[&str]; 10] = [
    &["lib", "main", "cli", "explain"],
    &["authorizer", "decision_cache", "decision_log"],
    &["config", "environment"],
    &["answer"],
    &["rules"],
    &["key_sources"],
    &["verify", "request"],
    &["ops"],
    &["settings"],
    &["base"],
];

/// The layer of `module` in `folder`: its folder's, or its own name's at
/// the top.
fn layer_of(module: &str, folder: &str) -> usize {
    let name = if folder.is_empty() { module } else { folder };
    LAYERS
        .iter()
        .position(|layer| layer.contains(&name))
        .unwrap_or_else(|| panic!("src/{folder}/{module} is in no layer of LAYERS"))
}

/// Every `src/` module and the other modules its code names as `crate::x`.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let texts = modules();
    let names: BTreeSet<String> = texts.keys().cloned().collect();
    texts
        .iter()
        .map(|(module, text)| {
            let code = code_of(text);
            let mut uses = BTreeSet::new();
            for (at, _) in code.match_indices("crate::") {
                let rest = &code[at + "crate::".len()..];
                // `use crate::{a, b::c}` names several modules at once.
                let named: Vec<&str> = match rest.strip_prefix('{') {
                    Some(group) => group[..group.find('}').unwrap_or(group.len())]
                        .split(',')
                        .map(str::trim)
                        .collect(),
                    None => vec![rest],
                };
                for path in named {
                    let first: String = path
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if names.contains(&first) && first != *module {
                        uses.insert(first);
                    }
                }
            }
            (module.clone(), uses)
        })
        .collect()
}

/// A circle of modules, if the graph has one.
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        module: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|on_path| on_path == module) {
            let mut circle = path[start..].to_vec();
            circle.push(module.to_owned());
            return Some(circle);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_owned());
        for used in graph.get(module).into_iter().flatten() {
            if let Some(circle) = visit(used, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(module.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|module| visit(module, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_modules_import_no_circle() {
    let graph = module_graph();
    assert!(graph.len() > 10, "read the modules of src/: {graph:?}");
    assert!(
        graph["token"].contains("event"),
        "the reader sees imports: {:?}",
        graph["token"]
    );
    assert_eq!(find_circle(&graph), None);
}

/// #29.7: the folders are the pipeline's steps, and every import points
/// down (or within its layer): a new event or answer kind lands in its
/// folder without reaching up into the others.
#[test]
fn every_import_points_down_the_layers() {
    let modules = modules_with_folders();
    let graph = module_graph();
    assert!(
        modules.len() > 30,
        "read the modules of src/: {:?}",
        modules.keys()
    );
    let mut upward = Vec::new();
    for (module, uses) in &graph {
        let below = layer_of(module, &modules[module].0);
        for used in uses {
            let used_layer = layer_of(used, &modules[used].0);
            if used_layer < below {
                upward.push(format!("{module} -> {used}"));
            }
        }
    }
    assert!(upward.is_empty(), "imports that point up: {upward:?}");
    // The folders hold what their names say.
    for (module, folder) in [
        ("event", "request"),
        ("jws", "verify"),
        ("jwks", "key_sources"),
        ("route_scopes", "rules"),
        ("policy", "answer"),
    ] {
        assert_eq!(modules[module].0, folder, "{module}");
    }
}

#[test]
fn no_module_is_over_the_size_limit() {
    let sizes: BTreeMap<String, usize> = modules()
        .iter()
        .map(|(name, text)| {
            let lines = code_of(text)
                .lines()
                .filter(|line| !line.trim().is_empty())
                .count();
            (name.clone(), lines)
        })
        .collect();
    assert!(sizes["config"] > 100, "counted lines of code: {sizes:?}");
    let over: Vec<_> = sizes
        .iter()
        .filter(|(_, lines)| **lines > MAX_CODE_LINES)
        .collect();
    assert!(
        over.is_empty(),
        "over {MAX_CODE_LINES} lines of code: {over:?}"
    );
}

#[test]
fn only_jws_holds_the_unverified_reads() {
    let modules = modules();
    assert!(code_of(&modules["jws"]).contains("pub mod dangerous"));
    for (name, text) in &modules {
        assert!(
            name == "jws" || !code_of(text).contains("dangerous"),
            "{name} reads a payload whose signature it has not verified"
        );
    }
}

#[test]
fn a_circle_is_found_when_there_is_one() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(module, uses)| {
        (
            module.to_owned(),
            uses.into_iter().map(str::to_owned).collect(),
        )
    })
    .collect();
    assert_eq!(
        find_circle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}

/// Every Rust file of the workspace (not `target/`, not the fuzz crate's
/// own target), relative to the repository.
fn rust_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | "node_modules" | ".git") {
                rust_files(&path, found);
            }
        } else if name.ends_with(".rs") {
            found.push(path);
        }
    }
}

/// Tests, benches, the local gateway and the guard's tests share code
/// through the `testkit` crate, not by compiling each other's files: a
/// `#[path]` include compiles the same code into every binary that names
/// it, and needs `allow(dead_code)` to hide what each one leaves unused.
#[test]
fn no_file_is_compiled_into_another_crate_by_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(root, &mut files);
    assert!(files.len() > 50, "found only {} files", files.len());
    let includes: Vec<String> = files
        .iter()
        .filter(|path| {
            std::fs::read_to_string(path)
                .unwrap()
                .lines()
                .any(|line| line.trim_start().starts_with("#[path"))
        })
        .map(|path| path.strip_prefix(root).unwrap().display().to_string())
        .collect();
    assert_eq!(includes, Vec::<String>::new());
}
