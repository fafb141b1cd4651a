//! What a test needs from the machine, and what happens when it is missing: a program the
//! test runs fails the test at once, naming its package (`scripts/install-test-deps.sh`, run
//! by `scripts/test.sh` and so by CI, installs every one). A case that needs root (a tmpfs of
//! its own) must run in CI (`.ci/run` sets `CI`) and as root: there a failed mount fails the
//! test; only a developer without root is told, loudly, that the case did not run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `tool` is on PATH, or the test fails saying which package has it.
#[track_caller]
pub fn require_tool(tool: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    assert!(
        found,
        "{tool} is missing: run scripts/test.sh (scripts/install-test-deps.sh installs it: apt-get install {package})"
    );
}

/// In CI or as root every case must run: a prerequisite missing there fails the test.
pub fn every_case_must_run() -> bool {
    let in_ci = std::env::var_os("CI").is_some_and(|value| !value.is_empty() && value != "false");
    // SAFETY: geteuid has no preconditions and cannot fail.
    in_ci || unsafe { libc::geteuid() } == 0
}

/// A tmpfs mounted at a directory, unmounted when dropped (however the test ends).
pub struct Tmpfs(pub PathBuf);

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Mounts a small tmpfs (256 KiB, mode 0700) at `dir`. When that fails: in CI or as root the
/// test fails with mount's own words; elsewhere `None`, and stderr says `case` was not run.
#[track_caller]
pub fn mount_tmpfs(dir: &Path, case: &str) -> Option<Tmpfs> {
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs"]).arg(dir).output();
    let why = match mounted {
        Ok(output) if output.status.success() => return Some(Tmpfs(dir.to_path_buf())),
        Ok(output) => String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        Err(error) => error.to_string(),
    };
    assert!(
        !every_case_must_run(),
        "{case}: cannot mount a tmpfs at {} ({why}); in CI and as root this case must run",
        dir.display()
    );
    eprintln!("NOT RUN: {case}: mounting a tmpfs needs root ({why}); CI runs it as root");
    None
}

/// Whether this process is root, which a case that runs something as another user needs. When
/// it is not: in CI the test fails; elsewhere stderr says `case` was not run.
#[track_caller]
pub fn running_as_root(case: &str) -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    assert!(!every_case_must_run(), "{case}: needs root, and in CI this case must run (CI runs as root)");
    eprintln!("NOT RUN: {case}: needs root; CI runs it as root");
    false
}
