//! `switchboard agent` with the real binary and moto behind a counting proxy: commands are
//! served by the agent when it listens (one STS call for many callers), fall back to their own
//! engine when it does not, and the socket is private and held by one agent at a time.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Output, Stdio};

use crate::support::agent::AgentSandbox;
use crate::support::{assert_success, stderr, stdout};

fn credential_process(sandbox: &AgentSandbox, role: &str) -> Output {
    sandbox.run(&["-vv", "credential-process", role])
}

#[test]
fn the_agent_serves_credential_process_from_one_sts_call() {
    let sandbox = AgentSandbox::new();
    let _agent = sandbox.start_agent();
    let modes = |path: &PathBuf| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(modes(&sandbox.socket().parent().unwrap().to_path_buf()), 0o700);
    assert_eq!(modes(&sandbox.socket()), 0o600);

    let first = credential_process(&sandbox, "prod/viewer");
    assert_success(&first);
    assert!(stderr(&first).contains("served by the agent"), "{}", stderr(&first));
    let second = credential_process(&sandbox, "prod/viewer");
    assert_success(&second);
    let key =
        |output: &Output| serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()["AccessKeyId"].clone();
    assert_eq!(key(&first), key(&second), "the second call is served from the agent's memory");
    // Each process has its own memory cache here: without the agent there would be two calls.
    assert_eq!(sandbox.proxy.count("AssumeRole"), 1);

    let status = sandbox.run(&["agent", "--status"]);
    assert_success(&status);
    assert!(stdout(&status).starts_with("agent pid "), "{}", stdout(&status));
}

#[test]
fn a_hundred_concurrent_callers_share_one_sts_call() {
    let sandbox = AgentSandbox::new();
    let _agent = sandbox.start_agent();
    let children: Vec<Child> = (0..100)
        .map(|_| {
            sandbox
                .command(&["credential-process", "prod/viewer"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children.into_iter().map(|child| child.wait_with_output().unwrap()).collect();
    let keys: std::collections::BTreeSet<String> = outputs
        .iter()
        .map(|output| {
            assert_success(output);
            let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            json["AccessKeyId"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(keys.len(), 1, "every caller got the one session");
    assert_eq!(sandbox.proxy.count("AssumeRole"), 1);
}

#[test]
fn a_stale_socket_makes_commands_fall_back_and_the_next_agent_replaces_it() {
    let sandbox = AgentSandbox::new();
    std::fs::create_dir_all(sandbox.socket().parent().unwrap()).unwrap();
    drop(std::os::unix::net::UnixListener::bind(sandbox.socket()).unwrap());

    let output = credential_process(&sandbox, "prod/viewer");
    assert_success(&output);
    assert!(stderr(&output).contains("no agent listens at"), "{}", stderr(&output));
    let status = sandbox.run(&["agent", "--status"]);
    assert_eq!(status.status.code(), Some(1));
    assert!(stdout(&status).contains("no agent listens"), "{}", stdout(&status));

    let _agent = sandbox.start_agent();
    let served = credential_process(&sandbox, "prod/viewer");
    assert_success(&served);
    assert!(stderr(&served).contains("served by the agent"), "{}", stderr(&served));
}

#[test]
fn a_second_agent_refuses_and_names_the_first() {
    let sandbox = AgentSandbox::new();
    let agent = sandbox.start_agent();
    let second = sandbox.run(&["agent"]);
    assert_eq!(second.status.code(), Some(1));
    let message = stderr(&second);
    assert!(
        message.contains(&format!(
            "another agent already serves on {} (pid {})",
            sandbox.socket().display(),
            agent.child.id()
        )),
        "{message}"
    );
}

#[test]
fn a_malformed_request_gets_an_error_reply_and_the_agent_keeps_serving() {
    let sandbox = AgentSandbox::new();
    let agent = sandbox.start_agent();
    let mut stream = UnixStream::connect(sandbox.socket()).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut greeting = String::new();
    reader.read_line(&mut greeting).unwrap();
    let greeting: serde_json::Value = serde_json::from_str(&greeting).unwrap();
    assert_eq!(greeting["protocol"], 2, "the agent greets first: {greeting}");
    stream.write_all(b"this is not json\n").unwrap();
    let mut reply = String::new();
    reader.read_line(&mut reply).unwrap();
    let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(reply["reply"], "error");
    assert_eq!(reply["kind"], "bad_request");
    // A line that is not UTF-8 gets its error reply too, on the same connection.
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    stream.write_all(b"{\"op\":\"status\xff\xfe\"}\n").unwrap();
    let mut reply = String::new();
    reader.read_line(&mut reply).unwrap();
    let reply: serde_json::Value = serde_json::from_str(&reply).unwrap_or_else(|_| panic!("no reply: {reply:?}"));
    assert_eq!(reply["reply"], "error");
    assert_eq!(reply["kind"], "bad_request");
    assert!(reply["message"].as_str().unwrap().contains("not UTF-8"), "{reply}");
    // A request of an older build (it names no protocol) is refused, naming this agent.
    stream.write_all(b"{\"op\":\"status\"}\n").unwrap();
    let mut reply = String::new();
    reader.read_line(&mut reply).unwrap();
    let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(reply["kind"], "other_protocol", "{reply}");
    let message = reply["message"].as_str().unwrap();
    assert!(message.contains(&format!("agent pid {} runs switchboard 0.1.0 (", agent.child.id())), "{message}");
    stream.write_all(b"{\"op\":\"status\",\"protocol\":2}\n").unwrap();
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    assert!(status.contains("\"reply\":\"status\""), "the connection goes on: {status:?}");
    assert_success(&credential_process(&sandbox, "prod/viewer"));
}

#[test]
fn a_role_needing_a_code_is_asked_by_the_caller_itself() {
    let sandbox = AgentSandbox::new();
    let _agent = sandbox.start_agent();
    let output = sandbox.run(&["-vv", "env", "prod/admin", "--format", "json", "--mfa-code", "123456"]);
    assert_success(&output);
    assert!(stderr(&output).contains("MfaNeeded"), "{}", stderr(&output));
    assert!(stdout(&output).contains("AWS_SECRET_ACCESS_KEY"));
}

#[test]
fn refresh_renews_in_the_agent_so_every_caller_gets_the_new_session() {
    let sandbox = AgentSandbox::new();
    let _agent = sandbox.start_agent();
    let key = |output: &Output| {
        assert_success(output);
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()["AccessKeyId"].as_str().unwrap().to_owned()
    };
    let before = key(&credential_process(&sandbox, "prod/viewer"));
    assert_success(&sandbox.run(&["refresh", "prod/viewer"]));
    let after = key(&credential_process(&sandbox, "prod/viewer"));
    assert_ne!(before, after, "the agent holds the renewed session");
    assert_eq!(sandbox.proxy.count("AssumeRole"), 2);
}

#[test]
fn an_agent_that_dies_mid_request_makes_callers_fall_back() {
    let sandbox = AgentSandbox::new();
    std::fs::create_dir_all(sandbox.socket().parent().unwrap()).unwrap();
    let listener = std::os::unix::net::UnixListener::bind(sandbox.socket()).unwrap();
    // Greets, reads the request, then hangs up without a reply, as an agent killed right then
    // would.
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            let _ = writeln!(stream, r#"{{"protocol":2,"pid":1,"version":"0.1.0"}}"#);
            let mut request = String::new();
            let _ = BufReader::new(&stream).read_line(&mut request);
        }
    });
    let output = credential_process(&sandbox, "prod/viewer");
    assert_success(&output);
    let log = stderr(&output);
    assert!(log.contains("did not answer: it closed the connection"), "{log}");
    assert_eq!(sandbox.proxy.count("AssumeRole"), 1, "the caller's own engine got the session");
}

#[test]
fn exec_with_an_ecs_server_serves_the_agents_session() {
    let sandbox = AgentSandbox::new();
    let _agent = sandbox.start_agent();
    let script = "echo \"$AWS_CONTAINER_CREDENTIALS_FULL_URI $AWS_CONTAINER_AUTHORIZATION_TOKEN\"; read line";
    let mut exec = sandbox
        .command(&["exec", "--ecs-server", "prod/viewer", "--", "sh", "-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(exec.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let (uri, token) = line.trim().split_once(' ').unwrap();
    let address = uri.trim_start_matches("http://").trim_end_matches("/credentials");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET /credentials HTTP/1.1\r\nHost: {address}\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    std::io::Read::read_to_string(&mut stream, &mut response).unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap();
    let served: serde_json::Value = serde_json::from_str(body).unwrap();

    let output = credential_process(&sandbox, "prod/viewer");
    let direct: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(served["AccessKeyId"], direct["AccessKeyId"], "one session, the agent's");
    assert_eq!(sandbox.proxy.count("AssumeRole"), 1);
    exec.stdin.take().unwrap().write_all(b"done\n").unwrap();
    assert!(exec.wait().unwrap().success());
}

#[test]
fn a_stopped_agent_makes_callers_fall_back_after_half_a_second() {
    let sandbox = AgentSandbox::new();
    let agent = sandbox.start_agent();
    let pid = agent.child.id() as libc::pid_t;
    // SAFETY: kill(2) on our own child, which is running.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
    let started = std::time::Instant::now();
    let output = credential_process(&sandbox, "prod/viewer");
    let took = started.elapsed();
    // SAFETY: as above; the agent is let go again before the sandbox ends it.
    unsafe { libc::kill(pid, libc::SIGCONT) };
    assert_success(&output);
    // The caller gives the agent 500 ms to greet, then gets its own session (a process start and
    // one STS call more); before, it waited out the 90 s reply timeout. The bound leaves room
    // for a loaded CI machine.
    assert!(took < std::time::Duration::from_secs(5), "the caller waited {took:?} on a stopped agent");
    let log = stderr(&output);
    assert!(log.contains("did not greet within 500 ms (stopped?"), "{log}");
    assert_eq!(sandbox.proxy.count("AssumeRole"), 1, "the caller's own engine got the session");
}

#[test]
fn an_agent_of_another_protocol_is_named_with_its_pid_and_what_to_do() {
    let sandbox = AgentSandbox::new();
    std::fs::create_dir_all(sandbox.socket().parent().unwrap()).unwrap();
    let listener = std::os::unix::net::UnixListener::bind(sandbox.socket()).unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            let _ = writeln!(stream, r#"{{"protocol":99,"pid":4242,"version":"9.9.9"}}"#);
        }
    });
    let output = credential_process(&sandbox, "prod/viewer");
    assert_success(&output);
    let log = stderr(&output);
    assert!(log.contains("agent pid 4242 runs switchboard 9.9.9 (protocol 99)"), "{log}");
    assert!(log.contains("restart it"), "{log}");
    assert_eq!(sandbox.proxy.count("AssumeRole"), 1, "the caller fell back to its own engine");
}
