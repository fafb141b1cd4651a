//! The layering rule of the README, checked over the source: `domain` imports no front end
//! and no terminal crate, `app` imports no front end, and the front ends (`cli`, `tui`) never
//! import each other (`cli`, `tui` and `agent` reach the agent through `app`). Also keeps every source file small enough to read in one sitting.

use std::path::{Path, PathBuf};

const MAX_LINES: usize = 500;

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(sources(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
    found
}

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level module a file belongs to: `domain`, `app`, `cli`, `tui`, or `` for lib/main.
fn layer(path: &Path) -> String {
    let relative = path.strip_prefix(src()).unwrap();
    let mut parts = relative.components();
    match (parts.next(), parts.next()) {
        (Some(first), Some(_)) => first.as_os_str().to_string_lossy().into_owned(),
        _ => String::new(),
    }
}

/// What a layer must not name, in `use` lines or paths.
fn forbidden(layer: &str) -> &'static [&'static str] {
    match layer {
        "domain" => &["crate::app", "crate::cli", "crate::tui", "ratatui", "crossterm"],
        "app" => &["crate::cli", "crate::tui", "crate::agent", "ratatui"],
        "cli" => &["crate::tui", "crate::agent", "ratatui"],
        "tui" => &["crate::cli", "crate::agent"],
        "agent" => &["crate::cli", "crate::tui", "ratatui", "crossterm"],
        _ => &[],
    }
}

/// A line that is code: comments and doc comments may name other layers.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter(|(_, line)| !line.trim_start().starts_with("//")).map(|(at, line)| (at + 1, line))
}

#[test]
fn no_layer_imports_what_the_rule_forbids() {
    let mut breaches = Vec::new();
    for path in sources(&src()) {
        let layer = layer(&path);
        let text = std::fs::read_to_string(&path).unwrap();
        for (number, line) in code_lines(&text) {
            for name in forbidden(&layer) {
                let named = line.contains(&format!("{name}::")) || line.contains(&format!("use {name}"));
                if named {
                    breaches.push(format!("{}:{number}: {layer} names {name}: {}", path.display(), line.trim()));
                }
            }
            // `super::super` out of a top-level module would hide a crossing from the check above.
            if line.contains("super::super::super") {
                breaches
                    .push(format!("{}:{number}: reaches three modules up; name the path from `crate`", path.display()));
            }
        }
    }
    assert!(breaches.is_empty(), "layering rule broken:\n{}", breaches.join("\n"));
}

#[test]
fn the_check_sees_every_layer() {
    let layers: std::collections::BTreeSet<String> = sources(&src()).iter().map(|path| layer(path)).collect();
    for expected in ["domain", "app", "cli", "tui", "agent"] {
        assert!(layers.contains(expected), "no files found for {expected}: the layout changed, update this test");
    }
}

#[test]
fn no_source_file_is_too_long_to_read_in_one_sitting() {
    let mut long = Vec::new();
    for path in sources(&src()) {
        let name = path.file_name().unwrap().to_string_lossy();
        if name == "tests.rs" || name.ends_with("_tests.rs") {
            continue;
        }
        let lines = std::fs::read_to_string(&path).unwrap().lines().count();
        if lines > MAX_LINES {
            long.push(format!("{}: {lines} lines (at most {MAX_LINES})", path.display()));
        }
    }
    assert!(long.is_empty(), "split these by responsibility:\n{}", long.join("\n"));
}
