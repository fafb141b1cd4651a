//! `--version` names the git commit the binary was built from, so a bug report says which
//! build (`-dirty` when tracked files differed from it).

use crate::support::{assert_success, stdout};

#[test]
fn the_version_names_the_commit_it_was_built_from() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard")).arg("--version").output().unwrap();
    assert_success(&output);
    let text = stdout(&output);
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let head = String::from_utf8(head.stdout).unwrap();
    assert_eq!(head.trim().len(), 12, "the tests run in a git checkout");
    let expected = format!("switchboard {} ({}", env!("CARGO_PKG_VERSION"), head.trim());
    assert!(text.starts_with(&expected), "{text:?} does not start with {expected:?}");
    assert!(text.trim_end().ends_with(')'), "{text:?}");
}
