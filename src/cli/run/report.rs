//! What `run` prints: children's lines through one writer (so lines stay whole), blocks or
//! JSON objects as roles finish, and the summary table on stderr.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;

use super::child::Outcome;
use crate::domain::inventory::RoleKey;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OutputMode {
    /// Each line as it comes, prefixed with `ACCOUNT/ROLE`.
    Prefixed,
    /// Each role's output as one block when it finishes.
    Grouped,
    /// One JSON object per role (a line each) when it finishes.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stream {
    Out,
    Err,
}

pub enum Event {
    Line { role: Arc<str>, stream: Stream, bytes: Vec<u8> },
    Finished(RoleReport),
}

#[derive(Debug, Clone)]
pub struct RoleReport {
    pub role: RoleKey,
    pub account_id: String,
    pub outcome: Outcome,
    pub duration: Duration,
    /// The lines of both streams in the order they were read (kept for `--group` and `--json`).
    pub output: Vec<(Stream, Vec<u8>)>,
}

impl RoleReport {
    pub fn new(role: RoleKey, account_id: String, outcome: Outcome, duration: Duration) -> Self {
        Self { role, account_id, outcome, duration, output: Vec::new() }
    }

    pub fn succeeded(&self) -> bool {
        matches!(self.outcome, Outcome::Exited { code: Some(0), .. })
    }

    fn exit_code(&self) -> Option<i32> {
        match self.outcome {
            Outcome::Exited { code, .. } => code,
            _ => None,
        }
    }

    fn note(&self) -> String {
        match &self.outcome {
            Outcome::Exited { signal: Some(signal), .. } => format!("killed by signal {signal}"),
            Outcome::Exited { .. } => String::new(),
            Outcome::NoSession(error) => format!("no session: {error}"),
            Outcome::SpawnFailed(error) => error.clone(),
            Outcome::NotStarted => "not started (interrupted)".into(),
        }
    }

    fn text(&self, wanted: Stream) -> String {
        let mut text = String::new();
        for (stream, line) in &self.output {
            if *stream == wanted {
                text.push_str(&String::from_utf8_lossy(line));
                text.push('\n');
            }
        }
        text
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    role: String,
    account: &'a str,
    account_id: &'a str,
    exit_code: Option<i32>,
    duration_ms: u64,
    stdout: String,
    stderr: String,
    error: Option<String>,
}

fn json_line(report: &RoleReport) -> Vec<u8> {
    let note = report.note();
    let object = JsonReport {
        role: report.role.to_string(),
        account: &report.role.account,
        account_id: &report.account_id,
        exit_code: report.exit_code(),
        duration_ms: report.duration.as_millis() as u64,
        stdout: report.text(Stream::Out),
        stderr: report.text(Stream::Err),
        error: (!note.is_empty()).then_some(note),
    };
    let mut line = serde_json::to_vec(&object).unwrap_or_default();
    line.push(b'\n');
    line
}

/// The one writer of stdout and stderr while children run: each write is a whole line (or
/// a whole block), so nothing interleaves mid-line. Ends when every sender is gone.
pub fn write_output(mut events: mpsc::UnboundedReceiver<Event>, mode: OutputMode, width: usize) {
    while let Some(event) = events.blocking_recv() {
        // Errors writing (a closed pipe, `| head`) are the reader's choice, not a failure of
        // the children: keep draining so they never block.
        let _ = match event {
            Event::Line { role, stream, bytes } => {
                let mut line = format!("{role:<width$} ").into_bytes();
                line.extend_from_slice(&bytes);
                line.push(b'\n');
                write_to(stream, &line)
            }
            Event::Finished(report) => match mode {
                OutputMode::Json => write_to(Stream::Out, &json_line(&report)),
                OutputMode::Grouped => write_block(&report),
                OutputMode::Prefixed => Ok(()),
            },
        };
    }
}

fn write_to(stream: Stream, bytes: &[u8]) -> std::io::Result<()> {
    crate::app::progress::above(|| write_now(stream, bytes))
}

fn write_now(stream: Stream, bytes: &[u8]) -> std::io::Result<()> {
    match stream {
        Stream::Out => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()
        }
        Stream::Err => std::io::stderr().lock().write_all(bytes),
    }
}

fn write_block(report: &RoleReport) -> std::io::Result<()> {
    let status = match (report.exit_code(), report.note()) {
        (Some(code), note) if note.is_empty() => format!("exit {code}"),
        (_, note) => note,
    };
    write_to(Stream::Out, format!("=== {} ({status}, {}) ===\n", report.role, seconds(report.duration)).as_bytes())?;
    for (stream, line) in &report.output {
        let mut bytes = line.clone();
        bytes.push(b'\n');
        write_to(*stream, &bytes)?;
    }
    Ok(())
}

fn seconds(duration: Duration) -> String {
    format!("{:.2}s", duration.as_secs_f64())
}

/// ROLE, EXIT, DURATION and what went wrong, on stderr so stdout stays the children's.
pub fn print_summary(reports: &[RoleReport]) {
    let rows: Vec<[String; 4]> = reports
        .iter()
        .map(|report| {
            let exit = report.exit_code().map(|code| code.to_string()).unwrap_or_else(|| "-".into());
            let took =
                if matches!(report.outcome, Outcome::Exited { .. }) { seconds(report.duration) } else { "-".into() };
            [report.role.to_string(), exit, took, report.note()]
        })
        .collect();
    let header = ["ROLE", "EXIT", "DURATION", ""];
    let widths: Vec<usize> = (0..3)
        .map(|column| rows.iter().map(|row| row[column].len()).chain([header[column].len()]).max().unwrap_or(0))
        .collect();
    let line = |cells: [&str; 4]| {
        format!(
            "{:<w0$}  {:<w1$}  {:<w2$}  {}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        )
        .trim_end()
        .to_owned()
    };
    let mut text = line(header) + "\n";
    for row in &rows {
        text += &line([&row[0], &row[1], &row[2], &row[3]]);
        text.push('\n');
    }
    let failed = reports.iter().filter(|report| !report.succeeded()).count();
    text += &format!("{} roles, {} succeeded, {failed} failed\n", reports.len(), reports.len() - failed);
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}
