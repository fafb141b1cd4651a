//! The real binary in a pseudo-terminal of a fixed size, driven by keystrokes and read back
//! through a terminal emulator (vt100): the harness of `tests/it/tui_pty.rs`, shared by the
//! end-to-end tests of the account panels.

use std::io::{Read, Write};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

use super::Sandbox;

pub const ROWS: u16 = 36;
pub const COLS: u16 = 120;
/// Generous: a debug binary on a busy machine, and moto answering STS and SQS calls.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The binary running in a PTY: keystrokes go in, everything it writes is kept raw and fed
/// to a terminal emulator.
pub struct Tui {
    pub child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    // Kept open for the life of the session: the reader works on a clone of it.
    master: Box<dyn MasterPty + Send>,
    output: Receiver<Vec<u8>>,
    parser: vt100::Parser,
    pub raw: Vec<u8>,
    /// Every distinct screen seen.
    pub screens: Vec<String>,
    /// The terminal closed: the child and everything it started are gone.
    pub closed: bool,
}

impl Tui {
    pub fn start(sandbox: &Sandbox) -> Tui {
        Tui::start_with(sandbox, &[])
    }

    /// `start`, with a few more environment variables (e.g. `BROWSER`).
    pub fn start_with(sandbox: &Sandbox, more_env: &[(&str, &str)]) -> Tui {
        Tui::start_as(sandbox, more_env, None)
    }

    /// `start_with`, the app running as user (and group) `uid` when given (through `setpriv`,
    /// which becomes the app: the child's pid is the app's).
    pub fn start_as(sandbox: &Sandbox, more_env: &[(&str, &str)], uid: Option<u32>) -> Tui {
        Tui::spawn(sandbox, &[], more_env, uid)
    }

    /// A command of the CLI (`args`) on the terminal, as an operator types it.
    pub fn command(sandbox: &Sandbox, args: &[&str], more_env: &[(&str, &str)]) -> Tui {
        Tui::spawn(sandbox, args, more_env, None)
    }

    /// The terminal window resized: the program gets SIGWINCH, the emulator the new size.
    pub fn resize(&mut self, rows: u16, cols: u16) {
        self.master.resize(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).expect("resize the pty");
        self.parser.screen_mut().set_size(rows, cols);
    }

    fn spawn(sandbox: &Sandbox, args: &[&str], more_env: &[(&str, &str)], uid: Option<u32>) -> Tui {
        let pair = native_pty_system()
            .openpty(PtySize { rows: ROWS, cols: COLS, pixel_width: 0, pixel_height: 0 })
            .expect("open a pty");
        let mut command = match uid {
            None => CommandBuilder::new(env!("CARGO_BIN_EXE_switchboard")),
            Some(uid) => {
                let mut command = CommandBuilder::new("setpriv");
                command.args([format!("--reuid={uid}"), format!("--regid={uid}"), "--clear-groups".to_owned()]);
                command.args(["--", env!("CARGO_BIN_EXE_switchboard")]);
                command
            }
        };
        command.args(args);
        // Nothing from the test's own environment: only what the sandbox sets, and what a
        // terminal session has.
        command.env_clear();
        for (name, value) in sandbox.command(&[]).get_envs() {
            if let Some(value) = value {
                command.env(name, value);
            }
        }
        command.env("PATH", std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()));
        command.env("TERM", "xterm-256color");
        command.env("SHELL", "/bin/bash");
        command.env("LANG", "C.UTF-8");
        for (name, value) in more_env {
            command.env(name, value);
        }
        command.cwd(sandbox.home.path());
        let child = pair.slave.spawn_command(command).expect("start switchboard in the pty");
        // Only the child holds the terminal's slave side now: when it exits, reads end.
        drop(pair.slave);

        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let (chunks, output) = channel();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            loop {
                match reader.read(&mut buffer) {
                    // EOF, or EIO once the child has exited and closed the slave side.
                    Ok(0) | Err(_) => break,
                    Ok(read) => {
                        if chunks.send(buffer[..read].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Tui {
            child,
            writer,
            master: pair.master,
            output,
            parser: vt100::Parser::new(ROWS, COLS, 0),
            raw: Vec::new(),
            screens: Vec::new(),
            closed: false,
        }
    }

    pub fn screen_text(&self) -> String {
        self.parser.screen().contents()
    }

    fn take(&mut self, chunk: Vec<u8>) {
        self.parser.process(&chunk);
        self.raw.extend_from_slice(&chunk);
        let text = self.screen_text();
        if self.screens.last() != Some(&text) {
            self.screens.push(text);
        }
    }

    /// Reads the terminal until `ready` holds on what it shows; the screen it held on.
    #[track_caller]
    pub fn wait_for(&mut self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        self.wait_until(what, |tui| ready(&tui.screen_text()).then(|| tui.screen_text()))
    }

    /// Reads the terminal until `ready` gives a value, looking at the whole session (screen
    /// and raw bytes); fails with the screen as it is after `TIMEOUT`.
    #[track_caller]
    pub fn wait_until<T>(&mut self, what: &str, ready: impl Fn(&Tui) -> Option<T>) -> T {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(found) = ready(self) {
                return found;
            }
            if self.closed {
                self.fail(what, "the terminal closed (the app exited)");
            }
            match self.output.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(chunk) => self.take(chunk),
                Err(RecvTimeoutError::Timeout) => self.fail(what, &format!("nothing after {TIMEOUT:?}")),
                Err(RecvTimeoutError::Disconnected) => self.closed = true,
            }
        }
    }

    #[track_caller]
    pub fn fail(&mut self, what: &str, why: &str) -> ! {
        let status = self.child.try_wait().ok().flatten();
        panic!(
            "waiting for {what}: {why}\nchild exit status: {status:?}\nscreen ({COLS}x{ROWS}):\n{}\n{}\n{}",
            "-".repeat(usize::from(COLS)),
            self.screen_text(),
            "-".repeat(usize::from(COLS))
        );
    }

    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).expect("write to the pty");
        self.writer.flush().expect("flush the pty");
    }

    /// Reads until the terminal closes, then reaps the child: its exit status.
    pub fn wait_for_exit(&mut self) -> portable_pty::ExitStatus {
        self.wait_until("the app to exit", |tui| tui.closed.then_some(()));
        // The terminal closes when the child's last descriptor does; reap it with a deadline
        // in case it lingers.
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.child.try_wait().expect("wait for switchboard") {
                Some(status) => return status,
                None if Instant::now() < deadline => std::thread::yield_now(),
                None => {
                    let _ = self.child.kill();
                    panic!("switchboard closed its terminal but did not exit within {TIMEOUT:?}");
                }
            }
        }
    }

    /// After the app has gone: the modes it turned on are off again.
    #[track_caller]
    pub fn assert_terminal_restored(&self) {
        let screen = self.parser.screen();
        let tail = String::from_utf8_lossy(&self.raw[self.raw.len().saturating_sub(200)..]).into_owned();
        assert!(!screen.alternate_screen(), "still on the alternate screen; last output: {tail:?}");
        assert!(!screen.hide_cursor(), "the cursor is still hidden; last output: {tail:?}");
        assert_eq!(
            screen.mouse_protocol_mode(),
            vt100::MouseProtocolMode::None,
            "mouse reporting is still on; last output: {tail:?}"
        );
        assert_eq!(
            screen.mouse_protocol_encoding(),
            vt100::MouseProtocolEncoding::Default,
            "the SGR mouse encoding is still on; last output: {tail:?}"
        );
        assert!(!screen.bracketed_paste(), "bracketed paste is still on; last output: {tail:?}");
        // What an emulator cannot see: the line discipline. A pty's master reads the termios the
        // app set on its side; raw mode left on means no echo and no line editing.
        let fd = self.master.as_raw_fd().expect("the pty master's descriptor");
        // SAFETY: tcgetattr fills a zeroed termios from an open descriptor we own.
        let mut termios: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::tcgetattr(fd, &mut termios) }, 0, "tcgetattr: {}", std::io::Error::last_os_error());
        for (flag, name) in [(libc::ECHO, "ECHO"), (libc::ICANON, "ICANON"), (libc::ISIG, "ISIG")] {
            assert_ne!(termios.c_lflag & flag, 0, "{name} is still off: the terminal was left in raw mode");
        }
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        // A failed test must not leave the app running.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The list of roles, with its header (not an account's panels).
pub fn roles_are_shown(screen: &str) -> bool {
    // The list's header ("7 roles · sort: name"), not any screen with a STATE column (the
    // alarms panel has one too) and "roles" somewhere in its hints.
    screen.contains("STATE") && screen.contains(" roles · sort: ")
}

/// The last line of the screen: the filter, the status or the key hints.
pub fn footer(screen: &str) -> &str {
    screen.lines().last().unwrap_or_default()
}

/// The words of a screen line, without the box-drawing borders around them.
pub fn words(line: &str) -> Vec<&str> {
    line.split(|c: char| c.is_whitespace() || c == '│').filter(|word| !word.is_empty()).collect()
}

/// The cells of the queue `name`'s row in the SQS panel's list (NAME, TYPE, VISIBLE,
/// IN FLIGHT, DELAYED, then the DLQ column's words), once its counts have arrived ("…" until
/// then).
pub fn queue_row(screen: &str, name: &str) -> Option<Vec<String>> {
    let line = screen.lines().find(|line| words(line).first() == Some(&name))?;
    let cells: Vec<String> = words(line).into_iter().map(str::to_owned).collect();
    (cells.len() >= 5 && cells[2..5].iter().all(|count| count.parse::<u64>().is_ok())).then_some(cells)
}

/// The counts (visible, in flight, delayed) of the queue `name` in the SQS panel's list.
pub fn queue_counts(screen: &str, name: &str) -> Option<[u64; 3]> {
    let cells = queue_row(screen, name)?;
    Some([cells[2].parse().ok()?, cells[3].parse().ok()?, cells[4].parse().ok()?])
}

/// From the list of roles: filter down to `filter` and open the one role left, `role`.
pub fn open_panels(tui: &mut Tui, filter: &str, role: &str) {
    tui.wait_for("the list of roles", roles_are_shown);
    tui.send(&format!("/{filter}"));
    tui.wait_for("the filter being typed", |screen| footer(screen).contains(&format!("/ {filter}▏")));
    tui.send("\r");
    tui.wait_for("the filter to be kept", |screen| {
        screen.contains(&format!("roles matching \"{filter}\" (1)")) && screen.contains(role)
    });
    tui.send("\r");
    tui.wait_for("the account's panels", |screen| {
        screen.contains(&format!("as {role}")) && screen.contains(" sqs ") && screen.contains(" identity ")
    });
}
