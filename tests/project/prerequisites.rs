//! `scripts/prerequisites.sh`, which the README's test command runs first:
//! on a machine without a C compiler or Node.js (and no apt to install
//! them), it stops at once and names each one, rather than letting cargo
//! fail deep in a build script.

use std::path::Path;
use std::process::Command;

/// Runs the script with `PATH` holding only the named commands.
fn run_with_only(commands: &[&str], scope: &str) -> (bool, String) {
    let bin = std::env::temp_dir().join(format!(
        "prerequisites-{}-{}",
        std::process::id(),
        commands.join("-")
    ));
    std::fs::create_dir_all(&bin).unwrap();
    for command in commands {
        let real = which(command).unwrap_or_else(|| panic!("{command} is needed for this test"));
        let link = bin.join(command);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(real, link).unwrap();
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/prerequisites.sh");
    let output = Command::new(which("bash").unwrap())
        .arg(script)
        .arg(scope)
        .env_clear()
        .env("PATH", &bin)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&bin).unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn which(command: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join(command))
        .find(|candidate| candidate.is_file())
}

#[test]
fn a_missing_compiler_or_node_is_named_before_anything_is_built() {
    let (ok, stderr) = run_with_only(&["cargo", "python3"], "test");
    assert!(!ok, "{stderr}");
    assert!(stderr.starts_with("Missing prerequisites:\n"), "{stderr}");
    for says in [
        "a C compiler (cc), for AWS-LC: apt install build-essential",
        "Node.js 20 or newer, with npm",
        "npm (apt install npm",
    ] {
        assert!(stderr.contains(says), "{says} not in:\n{stderr}");
    }
    assert!(!stderr.contains("cargo"), "{stderr}");
    assert!(
        !stderr.contains("OpenSSL") && !stderr.contains("pkg-config"),
        "{stderr}"
    );

    let (ok, stderr) = run_with_only(&["cc", "python3"], "build");
    assert!(!ok);
    assert_eq!(
        stderr,
        "Missing prerequisites:\n  - cargo: install Rust with rustup (https://rustup.rs), then open a new shell\n"
    );
}

#[test]
fn the_build_needs_only_cargo_and_a_c_compiler() {
    let (ok, stderr) = run_with_only(&["cargo", "cc"], "build");
    assert!(ok, "{stderr}");
    assert_eq!(stderr, "");
}
