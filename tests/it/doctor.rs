//! `switchboard doctor` on real parts: moto for STS, a private gnome-keyring (or none, or a
//! D-Bus that never answers), a real agent, a fake `tmux` first on PATH (tmux itself would
//! need a server), and AWS config files written for each case.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use crate::support::agent::AgentSandbox;
use crate::support::store::{Keyring, silent_bus};
use crate::support::{Sandbox, run_with_deadline, stderr, stdout};

const BINARY: &str = env!("CARGO_BIN_EXE_switchboard");
const DEADLINE: Duration = Duration::from_secs(10);

/// The doctor's line for `check` with `status` (its columns as printed), or a failure
/// showing the whole report.
#[track_caller]
fn line<'a>(report: &'a str, status: &str, check: &str) -> &'a str {
    let start = format!("{status:<8} {check:<14} ");
    report
        .lines()
        .find(|line| line.starts_with(&start))
        .unwrap_or_else(|| panic!("no `{status} {check}` line in:\n{report}"))
}

/// An AWS config file in the sandbox's HOME with these profiles, named by AWS_CONFIG_FILE.
fn aws_config(sandbox: &Sandbox, text: &str) -> PathBuf {
    let path = sandbox.home.path().join(".aws/config");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs a doctor `command` with this AWS config, outside tmux unless `tmux` names a session.
fn doctor_in(mut command: Command, config: &Path, tmux: Option<&str>) -> (Output, Duration) {
    command.env("AWS_CONFIG_FILE", config).env_remove("TMUX").env("SHELL", "/bin/bash");
    if let Some(session) = tmux {
        command.env("TMUX", session);
    }
    run_with_deadline(command, DEADLINE).unwrap_or_else(|stuck| panic!("{stuck}"))
}

fn doctor(command: Command, config: &Path) -> (Output, Duration) {
    doctor_in(command, config, None)
}

/// Lines that every report has, one per check, whatever their status.
#[track_caller]
fn assert_every_check_reported(report: &str) {
    for check in ["inventory", "keyring", "session store", "agent", "clock", "clipboard", "aws config", "completions"] {
        assert!(
            report.lines().any(|line| line.get(9..).is_some_and(|rest| rest.starts_with(&format!("{check:<14} ")))),
            "no line for {check}:\n{report}"
        );
    }
}

#[test]
fn a_healthy_sandbox_is_all_ok_and_exits_0() {
    let sandbox = Sandbox::new();
    let keyring = Keyring::start(sandbox.home.path());
    // A kept session, so the session file exists (sealed, 0600) and the clock offset is kept.
    let mut env = keyring.command(&sandbox, &["env", "prod/viewer", "--format", "json"]);
    let kept = env.output().unwrap();
    assert!(kept.status.success(), "{}", stderr(&kept));
    // The bash completion where bash-completion loads it from, written by the command.
    let completions = sandbox.home.path().join(".local/share/bash-completion/completions");
    std::fs::create_dir_all(&completions).unwrap();
    let script = sandbox.run(&["completions", "bash"]);
    std::fs::write(completions.join("switchboard"), &script.stdout).unwrap();
    let config = aws_config(
        &sandbox,
        &format!(
            "[profile prod-admin]\ncredential_process = {BINARY} credential-process prod/admin\nregion = eu-west-1\n"
        ),
    );

    let (output, _) = doctor(keyring.command(&sandbox, &["doctor", "--online"]), &config);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{report}\n{}", stderr(&output));
    assert_every_check_reported(&report);
    assert!(report.lines().all(|line| line.is_empty() || line.starts_with("ok ") || line == "all good"), "{report}");
    assert!(line(&report, "ok", "inventory").contains("valid, 3 sources"), "{report}");
    assert!(line(&report, "ok", "keyring").contains("reachable and unlocked; the session store's key is there"));
    let store = line(&report, "ok", "session store");
    assert!(store.contains("readable, 1 session, ") && store.contains("mode 0600"), "{store}");
    assert!(line(&report, "ok", "sts").contains(&format!("{} answered", sandbox.moto.endpoint)), "{report}");
    assert!(line(&report, "ok", "clock").contains("(measured now)"), "{report}");
    assert!(line(&report, "ok", "aws config").contains("profile prod-admin (") && report.contains("prod/admin is in"));
    assert!(line(&report, "ok", "completions").contains("found for bash ("), "{report}");
    // No secret: neither the kept session's keys nor the store's key (read from the keyring).
    let exports: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&kept.stdout).unwrap();
    for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
        let secret = exports[name].as_str().unwrap();
        assert!(!report.contains(secret) && !stderr(&output).contains(secret), "{name} printed:\n{report}");
    }
}

#[test]
fn no_keyring_a_wrong_role_and_tmux_without_set_clipboard_are_each_named_and_exit_1() {
    let sandbox = Sandbox::new();
    let bin = sandbox.home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let tmux = bin.join("tmux");
    std::fs::write(
        &tmux,
        "#!/bin/sh\ncase \"$*\" in\n  'show -gv set-clipboard') echo off ;;\n  'show -gv allow-passthrough') echo off ;;\n  *) exit 1 ;;\nesac\n",
    )
    .unwrap();
    std::fs::set_permissions(&tmux, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let config = aws_config(
        &sandbox,
        &format!(
            "[profile good]\ncredential_process = {BINARY} credential-process prod/admin\n\n\
             [profile gone]\ncredential_process = \"{BINARY}\" credential-process prod/retired\n"
        ),
    );
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let command = |args: &[&str]| {
        let mut command = sandbox.command(args);
        command
            .env_remove("SWITCHBOARD_CACHE")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env("SWITCHBOARD_STATE_DIR", sandbox.home.path().join("state"))
            .env("PATH", &path);
        command
    };
    let session = Some("/tmp/tmux-1000/default,1234,0");
    let (output, _) = doctor_in(command(&["doctor"]), &config, session);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}\n{}", stderr(&output));
    assert_every_check_reported(&report);
    assert!(line(&report, "problem", "keyring").contains("no keyring reachable"), "{report}");
    let wrong = line(&report, "problem", "aws config");
    assert!(wrong.contains("profile gone (") && wrong.contains(":5)"), "names the profile and its line: {wrong}");
    assert!(wrong.contains("prod/retired") && wrong.contains("→ "), "names the role and what to do: {wrong}");
    assert!(line(&report, "ok", "aws config").contains("profile good"), "{report}");
    let clipboard = line(&report, "problem", "clipboard");
    assert!(
        clipboard.contains("set-clipboard off") && clipboard.contains("tmux set -g set-clipboard on"),
        "{clipboard}"
    );
    assert!(report.ends_with("3 problems, 1 warning\n"), "{report}");

    // The same as JSON, for scripts.
    let (output, _) = doctor_in(command(&["doctor", "--json"]), &config, session);
    assert_eq!(output.status.code(), Some(1));
    let parsed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(parsed["ok"], false);
    assert_eq!(parsed["problems"], 3);
    let checks = parsed["checks"].as_array().unwrap();
    let problems: Vec<&str> = checks
        .iter()
        .filter(|check| check["status"] == "problem")
        .map(|check| check["check"].as_str().unwrap())
        .collect();
    assert_eq!(problems, ["keyring", "clipboard", "aws config"], "{parsed:#}");
    assert!(checks.iter().all(|check| check["summary"].is_string()), "{parsed:#}");
}

#[test]
fn a_hung_keyring_costs_its_own_timeout_and_is_named() {
    let sandbox = Sandbox::new();
    let bus = silent_bus(sandbox.home.path());
    let mut command = sandbox.command(&["doctor"]);
    command
        .env_remove("SWITCHBOARD_CACHE")
        .env("DBUS_SESSION_BUS_ADDRESS", &bus)
        .env("SWITCHBOARD_STATE_DIR", sandbox.home.path().join("state"));
    let (output, took) = doctor(command, &sandbox.home.path().join("no-aws-config"));
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(line(&report, "problem", "keyring").contains("timed out: no answer within 5s"), "{report}");
    assert!(took < DEADLINE, "took {took:?}");
    // The others answered meanwhile.
    line(&report, "ok", "inventory");
    line(&report, "ok", "clipboard");
}

#[test]
fn without_an_inventory_it_says_where_it_looked_and_checks_the_rest() {
    let sandbox = Sandbox::new();
    std::fs::remove_file(sandbox.inventory()).unwrap();
    let (output, _) = doctor(sandbox.command(&["doctor"]), &sandbox.home.path().join("no-aws-config"));
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    let missing = line(&report, "problem", "inventory");
    assert!(missing.contains(&format!("no inventory at {}", sandbox.inventory().display())), "{missing}");
    assert!(missing.contains("from $SWITCHBOARD_INVENTORY"), "{missing}");
    assert_every_check_reported(&report);
    line(&report, "warning", "clock");
}

#[test]
fn an_invalid_inventory_is_named_by_file_line_and_column() {
    let sandbox = Sandbox::new();
    let text =
        format!("{}\n[ui.keys]\nnot_a_command = [\"x\"]\n", std::fs::read_to_string(sandbox.inventory()).unwrap());
    std::fs::write(sandbox.inventory(), &text).unwrap();
    let line_number = text.lines().position(|line| line.starts_with("not_a_command")).unwrap() + 1;
    let (output, _) = doctor(sandbox.command(&["doctor"]), &sandbox.home.path().join("no-aws-config"));
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    let invalid = line(&report, "problem", "inventory");
    let position = format!("accounts.toml:{line_number}:17: ui.keys.not_a_command");
    assert!(invalid.contains(&position), "expected {position:?} in {invalid}");
    assert!(invalid.contains("switchboard check"), "{invalid}");
}

#[test]
fn a_malformed_aws_config_is_a_warning_with_its_line() {
    let sandbox = Sandbox::new();
    let config = aws_config(
        &sandbox,
        &format!(
            "[profile ok]\n\u{1b}[31mnot ini\n[profile broken\ncredential_process = {BINARY} credential-process prod/admin\nnor this\n"
        ),
    );
    let (output, _) = doctor(sandbox.command(&["doctor"]), &config);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "warnings only: {report}\n{}", stderr(&output));
    let warning = line(&report, "warning", "aws config");
    assert!(warning.contains(&format!("{}:2: ", config.display())), "{warning}");
    assert!(warning.contains("(and 2 more)"), "{warning}");
    assert!(warning.contains("\\x1b[31mnot ini"), "the escape is shown escaped: {warning}");
    assert!(!report.contains('\u{1b}'), "no control character reaches the terminal: {report:?}");
}

#[test]
fn an_agent_is_named_and_one_serving_another_inventory_is_a_warning() {
    let agents = AgentSandbox::new();
    let _agent = agents.start_agent();
    let no_config = agents.sandbox.home.path().join("no-aws-config");
    let (output, _) = doctor(agents.command(&["doctor"]), &no_config);
    let report = stdout(&output);
    let serving = line(&report, "ok", "agent");
    assert!(serving.contains("switchboard agent pid ") && serving.contains("serves "), "{serving}");

    let other = agents.sandbox.home.path().join("other.toml");
    std::fs::copy(agents.sandbox.inventory(), &other).unwrap();
    let mut command = agents.command(&["doctor"]);
    command.env("SWITCHBOARD_INVENTORY", &other);
    let (output, _) = doctor(command, &no_config);
    let report = stdout(&output);
    let warning = line(&report, "warning", "agent");
    assert!(warning.contains(&format!("not {}", other.display())) && warning.contains("work alone"), "{warning}");
    assert_ne!(output.status.code(), Some(2), "{report}");
}

#[test]
fn a_locked_keyring_and_a_session_file_open_to_others_are_problems() {
    let sandbox = Sandbox::new();
    let keyring = Keyring::start(sandbox.home.path());
    let kept = keyring.command(&sandbox, &["env", "prod/viewer", "--format", "json"]).output().unwrap();
    assert!(kept.status.success(), "{}", stderr(&kept));
    keyring.lock();
    let file = crate::support::store::state_dir(&sandbox).join("sessions.v3");
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let (output, _) = doctor(keyring.command(&sandbox, &["doctor"]), &sandbox.home.path().join("no-aws-config"));
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    let locked = line(&report, "problem", "keyring");
    assert!(locked.contains(": locked (") && locked.contains("unlock your login keyring"), "{locked}");
    let loose = line(&report, "problem", "session store");
    assert!(loose.contains("mode 0644") && loose.contains(&format!("chmod 600 {}", file.display())), "{loose}");
}

#[test]
fn an_agent_of_another_protocol_is_a_warning_with_what_to_do() {
    let sandbox = Sandbox::new();
    let socket = sandbox.home.path().join("run/switchboard/agent.sock");
    std::fs::create_dir_all(socket.parent().unwrap()).unwrap();
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    // An agent of a later build: it greets with its own protocol, then reads nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut stream in listener.incoming().map_while(Result::ok) {
            let _ = std::io::Write::write_all(&mut stream, b"{\"protocol\":99,\"pid\":4242,\"version\":\"9.9.9\"}\n");
            held.push(stream);
        }
    });
    let (output, _) = doctor(sandbox.command(&["doctor"]), &sandbox.home.path().join("no-aws-config"));
    let report = stdout(&output);
    let warning = line(&report, "warning", "agent");
    assert!(warning.contains("pid 4242") && warning.contains("9.9.9"), "names the agent and its build: {warning}");
    assert!(warning.contains("restart"), "says what to do: {warning}");
}

/// A real tmux server on a private socket, with the options the clipboard check reads.
struct PrivateTmux {
    socket: PathBuf,
}

impl PrivateTmux {
    fn start(dir: &Path, options: &[(&str, &str)]) -> PrivateTmux {
        crate::support::prerequisites::require_tool("tmux", "tmux");
        let socket = dir.join("tmux.sock");
        let tmux = |args: &[&str]| {
            let output = Command::new("tmux").arg("-S").arg(&socket).args(args).output().unwrap();
            assert!(output.status.success(), "tmux {args:?}: {}", stderr(&output));
            stdout(&output)
        };
        tmux(&["-f", "/dev/null", "new-session", "-d", "-s", "doctor", "sleep 600"]);
        for (option, value) in options {
            tmux(&["set", "-g", option, value]);
        }
        PrivateTmux { socket }
    }

    /// `$TMUX` as tmux sets it inside a pane: the socket, the server's pid, the session.
    fn variable(&self) -> String {
        let output =
            Command::new("tmux").arg("-S").arg(&self.socket).args(["display", "-p", "#{pid}"]).output().unwrap();
        format!("{},{},0", self.socket.display(), stdout(&output).trim())
    }
}

impl Drop for PrivateTmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").arg("-S").arg(&self.socket).arg("kill-server").output();
    }
}

/// What the clipboard check says inside a real tmux with these options, with no display.
fn clipboard_line(options: &[(&str, &str)]) -> String {
    let sandbox = Sandbox::new();
    let tmux = PrivateTmux::start(sandbox.home.path(), options);
    let config = aws_config(&sandbox, "");
    let mut command = sandbox.command(&["doctor"]);
    command.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    let (output, _) = doctor_in(command, &config, Some(&tmux.variable()));
    let report = stdout(&output);
    report
        .lines()
        .find(|line| line.contains(" clipboard "))
        .unwrap_or_else(|| panic!("no clipboard line in:\n{report}"))
        .to_owned()
}

#[test]
fn inside_a_real_tmux_set_clipboard_on_or_the_passthrough_is_ok_and_external_is_a_warning() {
    let on = clipboard_line(&[("set-clipboard", "on")]);
    assert!(on.starts_with("ok ") && on.contains("set-clipboard on: copies reach the terminal by OSC 52"), "{on}");
    let passthrough = clipboard_line(&[("set-clipboard", "off"), ("allow-passthrough", "on")]);
    assert!(
        passthrough.starts_with("ok ") && passthrough.contains("allow-passthrough on: copies pass through"),
        "{passthrough}"
    );
    let external = clipboard_line(&[("set-clipboard", "external"), ("allow-passthrough", "off")]);
    assert!(
        external.starts_with("warning ") && external.contains("set-clipboard external") && external.contains("nowhere"),
        "{external}"
    );
    assert!(external.contains("tmux set -g set-clipboard on"), "says what to do: {external}");
}

#[test]
fn online_with_sts_unreachable_is_a_problem_naming_the_endpoint_and_the_clock_stays_as_kept() {
    let sandbox = Sandbox::new();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port())
    };
    let inventory = std::fs::read_to_string(sandbox.inventory()).unwrap();
    assert!(inventory.contains(&sandbox.moto.endpoint), "the sandbox's inventory names moto");
    std::fs::write(sandbox.inventory(), inventory.replace(&sandbox.moto.endpoint, &closed)).unwrap();
    let config = aws_config(&sandbox, "");

    let (output, took) = doctor(sandbox.command(&["doctor", "--online"]), &config);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}\n{}", stderr(&output));
    assert_every_check_reported(&report);
    let sts = line(&report, "problem", "sts");
    assert!(sts.contains(&closed) && sts.contains("→ check the network"), "names the endpoint and what to do: {sts}");
    let clock = report.lines().find(|line| line.contains(" clock ")).unwrap();
    assert!(!clock.contains("measured now"), "nothing was measured: {clock}");
    assert!(took < DEADLINE, "took {took:?}");
}

#[test]
fn a_completion_script_calling_a_binary_that_is_gone_is_a_warning_saying_to_write_it_again() {
    let sandbox = Sandbox::new();
    let script = stdout(&sandbox.run(&["completions", "bash"]));
    assert!(script.contains(BINARY), "the script calls the binary that wrote it:\n{script}");
    let gone = sandbox.home.path().join("old-install/switchboard");
    let completions = sandbox.home.path().join(".local/share/bash-completion/completions");
    std::fs::create_dir_all(&completions).unwrap();
    let written = completions.join("switchboard");
    std::fs::write(&written, script.replace(BINARY, gone.to_str().unwrap())).unwrap();
    let config = aws_config(&sandbox, "");

    let (output, _) = doctor(sandbox.command(&["doctor"]), &config);
    let report = stdout(&output);
    let warning = line(&report, "warning", "completions");
    assert!(
        warning.contains(&format!("bash: {} calls {}, which is gone", written.display(), gone.display())),
        "{warning}"
    );
    assert!(warning.contains("write it again"), "says what to do: {warning}");
}
