//! The build's git commit for `--version` (`0.1.0 (1a2b3c4d5e6f)`, `-dirty` when tracked
//! files differ from it), so a bug report says which build. Without git (a source tarball)
//! it says `unknown commit`.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Whether git's repository here is this crate's own: a source tarball unpacked inside some
/// other repository (a home directory kept in git) must not take that repository's commit.
fn in_own_repository() -> bool {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(std::path::PathBuf::from);
    let top = git(&["rev-parse", "--show-toplevel"]).map(std::path::PathBuf::from);
    match (manifest_dir.and_then(|dir| dir.canonicalize().ok()), top.and_then(|top| top.canonicalize().ok())) {
        (Some(dir), Some(top)) => dir == top,
        _ => false,
    }
}

fn main() {
    let commit = match git(&["rev-parse", "--short=12", "HEAD"]).filter(|_| in_own_repository()) {
        Some(commit) if !commit.is_empty() => {
            let dirty =
                git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|changes| !changes.is_empty());
            if dirty { format!("{commit}-dirty") } else { commit }
        }
        _ => "unknown commit".to_owned(),
    };
    println!("cargo:rustc-env=SWITCHBOARD_COMMIT={commit}");
    // A new commit or a changed file in the index builds the version again. Git names the
    // files: in a worktree `.git` is a file and HEAD, the index and the refs live elsewhere.
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    for name in ["HEAD", "index", "packed-refs"].into_iter().chain(branch.as_deref()) {
        if let Some(path) = git(&["rev-parse", "--git-path", name])
            && std::path::Path::new(&path).exists()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
