//! The command line's fault matrix: `env`, `credential-process`, `refresh --all` and
//! `sqs list` against an STS/SQS that is down, hung, failing (5xx), throttling, resetting
//! connections, answering garbage or AccessDenied, or whose clock is ten minutes off ours.
//! Each case is the real binary through a fault proxy of its own in front of one shared
//! moto, with sessions in the real (gnome-keyring sealed) store. For each: no panic, an exit
//! within the documented timeout, a one-line error naming the role and what to do, the
//! attempts the README promises counted at the proxy (3 on a 5xx, a reset, a body cut short;
//! one on a refusal), and the sessions cached before are still there, valid, afterwards.
//! Cases run in parallel.

use std::process::{Command, Output};
use std::time::Duration;

use jiff::SignedDuration;

use crate::support::fault_proxy::{Fault, FaultProxy, dead_endpoint};
use crate::support::store::Keyring;
use crate::support::{Sandbox, run_with_deadline, stderr, stdout};

/// STS and SQS calls time out after 30 s (retries included); a command gets a margin on top.
const DEADLINE: Duration = Duration::from_secs(45);
/// Cases started at once (each is three short processes, or one 30 s wait).
const CASES_AT_ONCE: usize = 4;

struct Bench {
    sandbox: Sandbox,
    keyring: Keyring,
}

impl Bench {
    fn new() -> Bench {
        let sandbox = Sandbox::with_fixture("faults.toml");
        let keyring = Keyring::start(sandbox.home.path());
        Bench { sandbox, keyring }
    }

    /// The binary with the sealed store, talking to `endpoint` for STS and SQS.
    fn command(&self, endpoint: &str, args: &[&str]) -> Command {
        let mut command = self.keyring.command(&self.sandbox, args);
        command.env("AWS_ENDPOINT_URL", endpoint);
        command
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cli {
    Env,
    CredentialProcess,
    RefreshAll,
    SqsList,
}

impl Cli {
    fn args(self) -> Vec<&'static str> {
        match self {
            // staging/viewer has no session yet: these two must call STS.
            Cli::Env => vec!["env", "staging/viewer", "--format", "json"],
            Cli::CredentialProcess => vec!["credential-process", "staging/viewer"],
            Cli::RefreshAll => vec!["refresh", "--all"],
            Cli::SqsList => vec!["sqs", "list", "prod/viewer"],
        }
    }

    /// The action a fault is put on: the STS call the command needs, or SQS's listing.
    fn action(self) -> &'static str {
        match self {
            Cli::SqsList => "ListQueues",
            _ => "AssumeRole",
        }
    }

    /// The role its error must name.
    fn role(self) -> &'static str {
        match self {
            Cli::Env | Cli::CredentialProcess => "staging/viewer",
            Cli::RefreshAll => "prod/viewer",
            Cli::SqsList => "prod",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Case {
    Down,
    Hung,
    ServerError,
    Throttled,
    Reset,
    Garbage,
    Truncated,
    Slow,
    AccessDenied,
    ClockAhead,
    ClockBehind,
}

/// What the operator must read: a line on stderr naming the role (for `sqs list`, the
/// account's row on stdout: the other accounts still print).
fn expected(case: Case, cli: Cli) -> &'static str {
    let sqs = cli == Cli::SqsList;
    match case {
        Case::Down if sqs => "error: ListQueues: cannot reach SQS",
        Case::Down => "cannot reach STS: http://127.0.0.1:",
        Case::Hung if sqs => "error: ListQueues: cannot reach SQS: request has timed out",
        Case::Hung => "STS did not answer within 30s; check the network",
        Case::ServerError if sqs => "error: ListQueues: InternalFailure",
        Case::ServerError => "InternalFailure: the fault proxy failed this request; a failure on AWS's side: retry",
        Case::Reset if sqs => "error: ListQueues: cannot reach SQS",
        Case::Reset => "Connection reset by peer (os error 104); check the network",
        Case::Garbage if sqs => "error: ListQueues: HTTP 200",
        Case::Garbage => "STS gave an unreadable answer",
        Case::Truncated if sqs => "error: ListQueues: cannot reach SQS: response error",
        Case::Truncated => "STS gave an unreadable answer (end of file before message length reached)",
        Case::Slow => "",
        Case::AccessDenied if sqs => "error: ListQueues: access denied",
        Case::AccessDenied => "access denied: User is not authorized",
        Case::Throttled => "",
        // The session was cached: no STS call, nothing to measure (SQS answers are not used).
        Case::ClockAhead | Case::ClockBehind if sqs => "",
        Case::ClockAhead => "clock 10m ahead of AWS",
        Case::ClockBehind => "clock 10m behind AWS",
    }
}

struct Outcome {
    case: Case,
    cli: Cli,
    output: Output,
    took: Duration,
    proxy_count: usize,
    list_after: String,
}

fn run_case(bench: &Bench, case: Case, cli: Cli, code: &str) -> Outcome {
    let proxy = FaultProxy::start(&bench.sandbox.moto.endpoint);
    let seeded = bench.command(&proxy.endpoint, &["refresh", "prod/admin", "prod/viewer", "--mfa-code", code]).output();
    let seeded = seeded.unwrap();
    assert!(seeded.status.success(), "{case:?}/{cli:?}: seeding failed: {}", stderr(&seeded));
    proxy.reset_counts();
    let action = Some(cli.action());
    let mut command = bench.command(&proxy.endpoint, &cli.args());
    match case {
        // SQS down while STS works; STS down (on the address its sessions were cached under).
        Case::Down if cli == Cli::SqsList => {
            command.env("AWS_ENDPOINT_URL_SQS", dead_endpoint());
        }
        Case::Down => proxy.go_down(),
        Case::Hung => proxy.always(action, Fault::Hang),
        Case::ServerError => proxy.always(action, Fault::Status(500)),
        Case::Throttled => proxy.next(action, 2, Fault::Throttling),
        Case::Reset => proxy.always(action, Fault::Reset),
        Case::Garbage => proxy.always(action, Fault::Garble),
        Case::Truncated => proxy.always(action, Fault::Truncate),
        Case::Slow => proxy.always(action, Fault::Delay(Duration::from_secs(2))),
        Case::AccessDenied => proxy.always(action, Fault::AccessDenied),
        Case::ClockAhead => proxy.always(None, Fault::ShiftClock(SignedDuration::from_mins(-10))),
        Case::ClockBehind => proxy.always(None, Fault::ShiftClock(SignedDuration::from_mins(10))),
    }
    let (output, took) = run_with_deadline(command, DEADLINE).unwrap_or_else(|stuck| panic!("{stuck}"));
    let proxy_count = proxy.count(cli.action());
    proxy.clear();
    let list = bench.command(&proxy.endpoint, &["list"]).output().unwrap();
    Outcome { case, cli, output, took, proxy_count, list_after: stdout(&list) }
}

fn state_of(list: &str, account: &str, role: &str) -> String {
    list.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|words| words.first() == Some(&account) && words.get(2) == Some(&role))
        .and_then(|words| words.get(3).map(|state| state.to_string()))
        .unwrap_or_else(|| format!("no row for {account}/{role} in:\n{list}"))
}

fn check(outcome: &Outcome) -> Vec<String> {
    let Outcome { case, cli, output, took, proxy_count, list_after } = outcome;
    let (case, cli) = (*case, *cli);
    let message = stderr(output);
    let mut problems = Vec::new();
    let mut problem = |what: String| problems.push(format!("{case:?} × {cli:?}: {what}\nstderr:\n{message}"));
    if message.contains("panicked") {
        problem("panicked".into());
    }
    if *took > Duration::from_secs(40) {
        problem(format!("took {took:?}"));
    }
    let succeeds = matches!(case, Case::Throttled | Case::Slow | Case::ClockAhead | Case::ClockBehind);
    if output.status.success() != succeeds {
        problem(format!("exit {:?}, expected success: {succeeds}", output.status.code()));
    }
    let ours: Vec<&str> = message.lines().filter(|line| line.starts_with("switchboard: ")).collect();
    let printed = stdout(output);
    let rows: Vec<&str> = printed.lines().collect();
    let told = if cli == Cli::SqsList { &rows } else { &ours };
    let wanted = expected(case, cli);
    if !succeeds {
        let error = told.iter().find(|line| line.contains(wanted) && line.contains(cli.role()));
        if error.is_none() {
            problem(format!("no line naming {} and saying {wanted:?}", cli.role()));
        }
    } else if !wanted.is_empty() && !ours.iter().any(|line| line.contains(wanted)) {
        problem(format!("no notice {wanted:?}"));
    }
    // `refresh --all` renews three roles, one call each; the others make one call.
    let calls = if cli == Cli::RefreshAll { 3 } else { 1 };
    match case {
        // Retried with backoff: two throttled answers, then the one that succeeds.
        Case::Throttled if *proxy_count != calls + 2 => problem(format!("{proxy_count} calls, expected {}", calls + 2)),
        // The README's retries: 3 attempts per call on a 5xx, a reset connection, a body cut short.
        Case::ServerError | Case::Reset | Case::Truncated if *proxy_count != 3 * calls => {
            problem(format!("{proxy_count} attempts at the proxy, expected 3 for each of {calls} calls"))
        }
        // A refusal is final: asked once per role.
        Case::AccessDenied if *proxy_count != calls => problem(format!("{proxy_count} calls, expected {calls}")),
        // Countdowns in AWS time: a fresh hour, not 50 or 70 minutes.
        Case::ClockAhead | Case::ClockBehind
            if cli == Cli::RefreshAll
                && printed.matches("valid, 59:").count() + printed.matches("valid, 1:00:00").count() != 3 =>
        {
            problem(format!("countdowns not in AWS time:\n{printed}"))
        }
        _ => {}
    }
    for (account, role) in [("prod", "admin"), ("prod", "viewer")] {
        let state = state_of(list_after, account, role);
        if state != "valid" {
            problem(format!("{account}/{role} is {state} afterwards"));
        }
    }
    problems
}

fn run_matrix(clis: &[Cli]) {
    let bench = Bench::new();
    let cases = [
        Case::Down,
        Case::Hung,
        Case::ServerError,
        Case::Throttled,
        Case::Reset,
        Case::Garbage,
        Case::Truncated,
        Case::Slow,
        Case::AccessDenied,
        Case::ClockAhead,
        Case::ClockBehind,
    ];
    let work: Vec<(Case, Cli)> = cases.iter().flat_map(|case| clis.iter().map(|cli| (*case, *cli))).collect();
    // Slow cases first, so they overlap with the quick ones.
    let (slow, quick): (Vec<_>, Vec<_>) = work.into_iter().partition(|(case, _)| *case == Case::Hung);
    let work: Vec<(usize, (Case, Cli))> = slow.into_iter().chain(quick).enumerate().collect();
    let queue = std::sync::Mutex::new(work.into_iter());
    let outcomes = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..CASES_AT_ONCE {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().unwrap().next();
                    let Some((index, (case, cli))) = next else { break };
                    let code = format!("{:06}", 100_000 + index);
                    let outcome = run_case(&bench, case, cli, &code);
                    outcomes.lock().unwrap().push(outcome);
                }
            });
        }
    });
    let outcomes = outcomes.into_inner().unwrap();
    if std::env::var_os("FAULT_MATRIX_SHOW").is_some() {
        for outcome in &outcomes {
            eprintln!(
                "=== {:?} × {:?}: exit {:?} in {:?}, {} calls\n{}{}",
                outcome.case,
                outcome.cli,
                outcome.output.status.code(),
                outcome.took,
                outcome.proxy_count,
                // `env` and `credential-process` print keys: not even fake ones are shown.
                if matches!(outcome.cli, Cli::RefreshAll | Cli::SqsList) {
                    stdout(&outcome.output)
                } else {
                    String::new()
                },
                stderr(&outcome.output)
            );
        }
    }
    let problems: Vec<String> = outcomes.iter().flat_map(check).collect();
    assert!(problems.is_empty(), "{} problems:\n\n{}", problems.len(), problems.join("\n\n"));
}

#[test]
fn sts_faults_under_env_and_credential_process() {
    run_matrix(&[Cli::Env, Cli::CredentialProcess]);
}

#[test]
fn sts_faults_under_refresh_all() {
    run_matrix(&[Cli::RefreshAll]);
}

#[test]
fn sqs_faults_under_sqs_list() {
    run_matrix(&[Cli::SqsList]);
}

/// A source without `session_duration`: its MFA role sends the code with AssumeRole itself.
const DIRECT_MFA_ROLE: &str = r#"
[sources.direct]
profile = "hub"
credentials_file = "aws/credentials"
mfa_serial = "arn:aws:iam::123456789012:mfa/direct"

[[accounts]]
name = "vault"
id = "444444444444"
  [[accounts.roles]]
  name = "break-glass"
  role_name = "BreakGlass"
  source = "direct"
  mfa = true
"#;

#[test]
fn a_call_carrying_an_mfa_code_reaches_sts_once_whatever_fails() {
    let bench = Bench::new();
    let inventory = std::fs::read_to_string(bench.sandbox.inventory()).unwrap();
    std::fs::write(bench.sandbox.inventory(), inventory + DIRECT_MFA_ROLE).unwrap();
    let cases = [
        ("prod/admin", "GetSessionToken", Fault::Status(500)),
        ("prod/admin", "GetSessionToken", Fault::Reset),
        ("prod/admin", "GetSessionToken", Fault::Throttling),
        ("vault/break-glass", "AssumeRole", Fault::Status(503)),
        ("vault/break-glass", "AssumeRole", Fault::Reset),
        ("vault/break-glass", "AssumeRole", Fault::RequestLimitExceeded),
    ];
    for (index, (role, action, fault)) in cases.into_iter().enumerate() {
        let proxy = FaultProxy::start(&bench.sandbox.moto.endpoint);
        proxy.always(Some(action), fault.clone());
        let code = format!("{:06}", 200_000 + index);
        let output = bench.command(&proxy.endpoint, &["env", role, "--format", "json", "--mfa-code", &code]).output();
        let output = output.unwrap();
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{role} {fault:?}: {message}");
        assert_eq!(proxy.count(action), 1, "{role} {fault:?}: the code went to STS once, never again:\n{message}");
        let line = message.lines().find(|line| line.starts_with("switchboard: ")).unwrap_or_default();
        assert!(line.starts_with(&format!("switchboard: {role}: {action} failed: ")), "{message}");
        assert!(
            line.ends_with("the MFA code was sent once and is not sent again: retry with the next code"),
            "{message}"
        );
        assert!(!message.contains("panicked"), "{message}");
    }
}
