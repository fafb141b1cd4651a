//! A sandbox with an agent: STS calls counted at a proxy, a runtime directory of its own for
//! the socket, and the agent's log lines readable as events.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::Sandbox;
use super::store::{CountingProxy, set_inventory_endpoint};

pub struct AgentSandbox {
    pub sandbox: Sandbox,
    pub proxy: CountingProxy,
}

impl AgentSandbox {
    pub fn new() -> AgentSandbox {
        let sandbox = Sandbox::new();
        let proxy = CountingProxy::start(&sandbox.moto.endpoint);
        set_inventory_endpoint(&sandbox, Some(&proxy.endpoint));
        AgentSandbox { sandbox, proxy }
    }

    pub fn runtime_dir(&self) -> PathBuf {
        self.sandbox.home.path().join("run")
    }

    pub fn socket(&self) -> PathBuf {
        self.runtime_dir().join("switchboard/agent.sock")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = self.sandbox.command(args);
        command.env("XDG_RUNTIME_DIR", self.runtime_dir()).env("SWITCHBOARD_NOTIFY", "off");
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Starts the agent and waits for it to say it serves.
    pub fn start_agent(&self) -> Agent {
        self.start_agent_with(|_| {})
    }

    /// `start_agent` with the agent's command adjusted first (its environment).
    pub fn start_agent_with(&self, adjust: impl FnOnce(&mut Command)) -> Agent {
        let mut command = self.command(&["agent"]);
        adjust(&mut command);
        start_agent(command)
    }
}

/// Runs `command` (`switchboard agent` with a sandbox's environment) and waits for it to say
/// it serves.
pub fn start_agent(mut command: Command) -> Agent {
    let mut child = command.stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let serving = line.contains("switchboard agent: pid");
        seen.push(line);
        if serving {
            break;
        }
    }
    assert!(seen.iter().any(|line| line.contains("serving")), "the agent did not start:\n{}", seen.join("\n"));
    // Keep draining so the agent never blocks on a full pipe; the lines are events for tests.
    let (send, log) = mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let _ = send.send(line);
        }
    });
    Agent { child, log, started: seen, stopped: false }
}

pub struct Agent {
    pub child: Child,
    log: mpsc::Receiver<String>,
    /// What it logged until it said it serves.
    pub started: Vec<String>,
    stopped: bool,
}

impl Agent {
    /// Every line the agent logged since the last look (or since it started), without waiting.
    pub fn lines_so_far(&self) -> Vec<String> {
        self.log.try_iter().collect()
    }

    /// Waits for the agent to log a line containing `text` (at most `within`).
    pub fn wait_for_log(&self, text: &str, within: Duration) -> String {
        let deadline = std::time::Instant::now() + within;
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.log.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(line) => seen.push(line),
                Err(_) => break,
            }
        }
        panic!("the agent never logged {text:?}; it logged:\n{}", seen.join("\n"))
    }
}

impl Agent {
    /// Ends the agent (SIGTERM) and waits for it: every line it logged that was not read yet,
    /// to the last one.
    pub fn stop(&mut self) -> Vec<String> {
        // SAFETY: a signal to the agent this test started and has not reaped.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let status = self.child.wait().unwrap();
        self.stopped = true;
        assert!(status.success(), "the agent ended with {status:?} on SIGTERM");
        // Its stderr closed with it: the reader ends and so does this.
        self.log.iter().collect()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        // SAFETY: a signal to the agent this test started and has not reaped.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

/// Makes `command` run in a new session: no controlling terminal, as under an SDK or an IDE.
pub fn without_terminal(command: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: setsid is async-signal-safe and touches nothing of the parent's.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        })
    }
}
