//! What the operator (or a script) hands the commands that no inventory or role should be: a
//! device or a FIFO as the inventory, a huge one, a 100 KB role address, an endpoint on port
//! 0, a log filter that does not parse. Each is one line on stderr naming what was wrong, in
//! well under the deadline, and never a hang, a flood or a silent default.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use crate::support::run_with_deadline;

const DEADLINE: Duration = Duration::from_secs(20);
const MINIMAL: &str = include_str!("../fixtures/minimal.toml");

fn inventory(dir: &Path, extra: &str) -> PathBuf {
    let path = dir.join("accounts.toml");
    std::fs::write(&path, format!("{MINIMAL}\n{extra}")).unwrap();
    path
}

fn switchboard(dir: &Path, inventory: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command.arg("--inventory").arg(inventory).args(args);
    crate::support::clean_env(&mut command, dir);
    command.env("SWITCHBOARD_CACHE", "memory");
    command
}

fn run(command: Command) -> Output {
    run_with_deadline(command, DEADLINE).unwrap_or_else(|stuck| panic!("{stuck}")).0
}

fn stderr_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr).lines().map(str::to_owned).collect()
}

#[test]
fn an_inventory_that_is_no_file_or_too_large_is_refused_in_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("accounts.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let huge = dir.path().join("huge.toml");
    std::fs::File::create(&huge).unwrap().set_len(65 * 1024 * 1024).unwrap();

    for (path, says) in [
        (PathBuf::from("/dev/zero"), "is a pipe, socket or device, not a file"),
        (fifo, "is a pipe, socket or device, not a file"),
        (huge.clone(), "is larger than 64 MiB"),
    ] {
        let mut command = switchboard(dir.path(), &path, &["check"]);
        // Were /dev/zero read whole, the memory it may take is bounded: the test fails, the
        // machine lives.
        limit_memory(&mut command);
        let output = run(command);
        let lines = stderr_lines(&output);
        assert_eq!(output.status.code(), Some(2), "{}: {lines:?}", path.display());
        assert_eq!(lines.len(), 1, "{}: {lines:?}", path.display());
        assert!(lines[0].contains(&path.display().to_string()) && lines[0].contains(says), "{lines:?}");
    }
}

fn limit_memory(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit is async-signal-safe and touches only the child about to exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: 4 << 30, rlim_max: 4 << 30 };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
        });
    }
}

#[test]
fn a_huge_role_address_is_echoed_by_its_start_and_length_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = inventory(dir.path(), "");
    let long = "a".repeat(100_000);
    for address in [format!("{long}/admin"), format!("dev/{long}"), long.clone()] {
        let output = run(switchboard(dir.path(), &path, &["env", &address]));
        let lines: Vec<String> =
            stderr_lines(&output).into_iter().filter(|line| !line.contains("session cache: memory only")).collect();
        assert_eq!(output.status.code(), Some(2), "{lines:?}");
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].len() < 400, "{} bytes: {}…", lines[0].len(), &lines[0][..200]);
        assert!(lines[0].contains(&format!("{}… (", "a".repeat(80))) && lines[0].contains(" characters)"), "{lines:?}");
    }
}

#[test]
fn an_endpoint_on_port_0_is_an_inventory_error_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = inventory(dir.path(), "");
    let text = format!("[defaults]\nendpoint_url = \"http://127.0.0.1:0\"\n{MINIMAL}");
    std::fs::write(&path, text).unwrap();
    let output = run(switchboard(dir.path(), &path, &["check"]));
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(
        message.contains("accounts.toml:2:16: defaults.endpoint_url: \"http://127.0.0.1:0\" has a port that is not a number from 1 to 65535"),
        "{message}"
    );
}

#[test]
fn a_log_filter_that_does_not_parse_is_said_in_one_line_and_the_default_used() {
    let dir = tempfile::tempdir().unwrap();
    let path = inventory(dir.path(), "");
    let mut command = switchboard(dir.path(), &path, &["list"]);
    command.env("SWITCHBOARD_LOG", "switchboard=loud");
    let output = run(command);
    assert_eq!(output.status.code(), Some(0), "{:?}", stderr_lines(&output));
    let warnings: Vec<String> =
        stderr_lines(&output).into_iter().filter(|line| line.contains("SWITCHBOARD_LOG")).collect();
    assert_eq!(warnings.len(), 1, "{:?}", stderr_lines(&output));
    assert!(
        warnings[0].starts_with("switchboard: SWITCHBOARD_LOG=switchboard=loud is not a log filter (")
            && warnings[0].contains("using the default filter"),
        "{warnings:?}"
    );
}
