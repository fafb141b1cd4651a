//! While the screen is up nothing may write to the terminal: diagnostics go to a log file
//! and, line by line, to the in-app log pane (`L`). Both pass the ceiling of `app::logging`
//! (no secret-printing SDK internals); the file is 0600 and rotated at 5 MiB.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

use crate::app::logging::{LOG_ROTATE_BYTES, LogFile, filtered};

struct PaneLayer {
    lines: mpsc::UnboundedSender<String>,
    file: Option<Mutex<LogFile>>,
}

#[derive(Default)]
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0.insert_str(0, &format!("{value:?}"));
        } else {
            self.0.push_str(&format!(" {}={value:?}", field.name()));
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for PaneLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut message = Message::default();
        event.record(&mut message);
        let now = jiff::Zoned::now().strftime("%H:%M:%S");
        let line = format!("{now} {:<5} {}", event.metadata().level(), message.0);
        if let Some(file) = &self.file {
            let mut file = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let _ = writeln!(file, "{line}");
        }
        let _ = self.lines.send(line);
    }
}

/// `~/.local/state/switchboard/switchboard.log` on Linux (the platform's equivalent elsewhere).
pub fn log_path() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "switchboard")?;
    Some(dirs.state_dir().unwrap_or_else(|| dirs.cache_dir()).join("switchboard.log"))
}

pub fn init(verbose: u8) -> (mpsc::UnboundedReceiver<String>, Option<PathBuf>) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let path = log_path();
    let opened = path.as_ref().map(|path| LogFile::open(path, LOG_ROTATE_BYTES));
    let level = if verbose > 1 { "debug" } else { "info" };
    let (file, problem) = match opened {
        Some(Ok(file)) => (Some(file), None),
        Some(Err(error)) => (None, Some(error)),
        None => (None, None),
    };
    let layer = PaneLayer { lines: sender, file: file.map(Mutex::new) };
    let _ = tracing_subscriber::registry().with(filtered(layer, level)).try_init();
    if let Some(problem) = crate::app::logging::filter_problem() {
        tracing::warn!("{problem}");
    }
    if let (Some(path), Some(error)) = (&path, problem) {
        let symlink = std::fs::symlink_metadata(path).is_ok_and(|found| found.file_type().is_symlink());
        let why = if symlink { " (a symlink, never followed)" } else { "" };
        tracing::warn!("no log file: cannot open {}{why}: {error}; remove it or fix its directory", path.display());
    }
    crate::app::logging::trace_started();
    (receiver, path)
}
