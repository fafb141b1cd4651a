//! What every front end's diagnostics share: the operator's filter (`SWITCHBOARD_LOG`) with a
//! ceiling no filter can lift, and the log file (private, rotated).
//!
//! Why a ceiling: at `trace` the SDK's signer prints the canonical request (with
//! `x-amz-security-token`), the orchestrator prints whole requests and responses (the STS body
//! with the MFA `TokenCode`, the answer with `SecretAccessKey`), and hyper/h2 print headers; at
//! `debug` the orchestrator prints failed responses raw. None of that may reach a terminal or a
//! file. A directive appended to the operator's filter would not do: a more specific one (say
//! `aws_sigv4::http_request::sign=trace`) would still win. So the ceiling is a second filter
//! every event must also pass: code outside switchboard never logs above `info`.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tracing::{Level, Metadata};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{FilterExt, FilterFn, Filtered};
use tracing_subscriber::layer::{Filter, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// The operator's filter, in `EnvFilter` syntax.
pub const LOG_VARIABLE: &str = "SWITCHBOARD_LOG";
/// The most any target outside switchboard's own code may log, whatever the filter says.
pub const OTHER_CRATES_CEILING: Level = Level::INFO;
/// The log file is moved to `<name>.1` (replacing the previous one) when it reaches this size.
pub const LOG_ROTATE_BYTES: u64 = 5 * 1024 * 1024;

const OWN_TARGET: &str = "switchboard";

/// Whether an event or span of this target and level may be recorded at all.
pub fn below_ceiling(target: &str, level: &Level) -> bool {
    let own = target == OWN_TARGET || target.strip_prefix(OWN_TARGET).is_some_and(|rest| rest.starts_with("::"));
    own || *level <= OTHER_CRATES_CEILING
}

fn under_ceiling(metadata: &Metadata<'_>) -> bool {
    below_ceiling(metadata.target(), metadata.level())
}

fn ceiling() -> FilterFn<fn(&Metadata<'_>) -> bool> {
    FilterFn::new(under_ceiling as fn(&Metadata<'_>) -> bool)
}

/// `SWITCHBOARD_LOG` when set and valid, else warnings and switchboard's own events at
/// `own_level`; always under the ceiling of `below_ceiling`.
pub fn filter<S>(own_level: &str) -> impl Filter<S> + 'static
where
    S: tracing::Subscriber + for<'lookup> tracing_subscriber::registry::LookupSpan<'lookup>,
{
    let operator = EnvFilter::try_from_env(LOG_VARIABLE)
        .unwrap_or_else(|_| EnvFilter::new(format!("warn,{OWN_TARGET}={own_level}")));
    operator.and(ceiling())
}

/// What is wrong with `SWITCHBOARD_LOG`, in one line, when it is set and cannot be read as a
/// filter (the default is used instead); `None` when it is unset or fine.
pub fn filter_problem() -> Option<String> {
    let value = std::env::var_os(LOG_VARIABLE)?;
    let Some(text) = value.to_str() else {
        return Some(format!("{LOG_VARIABLE} is not UTF-8 text; using the default filter"));
    };
    let problem = EnvFilter::builder().parse(text).err()?;
    let problem = problem.to_string().replace('\n', " ");
    Some(format!(
        "{LOG_VARIABLE}={} is not a log filter ({problem}); using the default filter (write e.g. {LOG_VARIABLE}=debug or {LOG_VARIABLE}=switchboard=trace)",
        crate::domain::text::echoed(text)
    ))
}

/// `layer` behind the operator's filter and the ceiling.
pub fn filtered<S, L>(layer: L, own_level: &str) -> Filtered<L, impl Filter<S> + 'static, S>
where
    S: tracing::Subscriber + for<'lookup> tracing_subscriber::registry::LookupSpan<'lookup>,
    L: Layer<S>,
{
    layer.with_filter(filter::<S>(own_level))
}

/// stderr, each event written above a progress bar being drawn (`progress::above`).
struct AboveProgress;

impl Write for AboveProgress {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        super::progress::above(|| io::stderr().lock().write_all(bytes))?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

/// Diagnostics to stderr (the commands, the agent): quiet by default, `-v` raises only
/// switchboard's own events.
pub fn init_stderr(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    // Colours only for a terminal: stderr redirected to a file or a CI log stays plain text.
    let colours = io::IsTerminal::is_terminal(&io::stderr()) && std::env::var_os("NO_COLOR").is_none();
    let layer = tracing_subscriber::fmt::layer().with_writer(|| AboveProgress).with_target(false).with_ansi(colours);
    let _ = tracing_subscriber::registry().with(filtered(layer, level)).try_init();
    if let Some(problem) = filter_problem() {
        super::output::warn(&problem);
    }
    trace_started();
}

/// Once logging is set up: a trace-level line naming the build and the process, so a log
/// taken at `trace` shows that it was (the secret scan at trace checks for it).
pub fn trace_started() {
    tracing::trace!("switchboard {} started, pid {}", env!("CARGO_PKG_VERSION"), std::process::id());
}

/// An append-only log file created 0600 (and made 0600 if an older one was looser), moved
/// to `<name>.1` when it reaches `limit` bytes.
pub struct LogFile {
    path: PathBuf,
    file: File,
    written: u64,
    limit: u64,
}

impl LogFile {
    pub fn open(path: &Path, limit: u64) -> io::Result<Self> {
        if let Some(parent) = path.parent() {
            // Private like the rest of the state directory, which this may be the first to make.
            let mut private = std::fs::DirBuilder::new();
            private.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut private, 0o700);
            private.create(parent)?;
        }
        let file = open_private(path)?;
        let written = file.metadata()?.len();
        let mut log = Self { path: path.to_owned(), file, written, limit };
        if written >= limit {
            log.rotate()?;
        }
        Ok(log)
    }

    pub fn rotated_path(&self) -> PathBuf {
        let mut name = self.path.file_name().map(|name| name.to_os_string()).unwrap_or_default();
        name.push(".1");
        self.path.with_file_name(name)
    }

    fn rotate(&mut self) -> io::Result<()> {
        std::fs::rename(&self.path, self.rotated_path())?;
        self.file = open_private(&self.path)?;
        self.written = 0;
        Ok(())
    }
}

impl Write for LogFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.written > 0 && self.written + bytes.len() as u64 > self.limit {
            self.rotate()?;
        }
        let written = self.file.write(bytes)?;
        self.written += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Never through a symlink: one planted where the log goes is refused (ELOOP), so nothing is
/// appended to (or made 0600) whatever it points at.
fn open_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        let file = options.open(path)?;
        // `mode` applies only when the file is created; one left by an older version may be 0644.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_crates_never_pass_info_and_switchboard_passes_everything() {
        for target in ["aws_sigv4::http_request::sign", "aws_smithy_runtime::client::orchestrator", "hyper", "h2"] {
            assert!(!below_ceiling(target, &Level::TRACE), "{target} at trace");
            assert!(!below_ceiling(target, &Level::DEBUG), "{target} at debug");
            assert!(below_ceiling(target, &Level::INFO), "{target} at info");
        }
        assert!(below_ceiling("switchboard", &Level::TRACE));
        assert!(below_ceiling("switchboard::domain::engine", &Level::TRACE));
        assert!(!below_ceiling("switchboard_evil", &Level::TRACE), "a crate named like ours is not ours");
    }

    /// The operator's most specific `trace` directive for the signer still meets the ceiling.
    #[test]
    fn a_trace_filter_for_the_signer_cannot_lift_the_ceiling() {
        use std::sync::{Arc, Mutex};
        let seen = Arc::new(Mutex::new(Vec::<String>::new()));
        let writer = {
            let seen = seen.clone();
            move || Collect(seen.clone())
        };
        let operator = EnvFilter::new("trace,aws_sigv4::http_request::sign=trace");
        let layer = tracing_subscriber::fmt::layer().with_writer(writer).with_ansi(false);
        let subscriber = tracing_subscriber::registry().with(layer.with_filter(operator.and(ceiling())));
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(target: "aws_sigv4::http_request::sign", canonical_request = "x-amz-security-token:SECRET");
            tracing::debug!(target: "aws_smithy_runtime::client::orchestrator", "raw response SECRET");
            tracing::info!(target: "aws_smithy_runtime::client::orchestrator", "retrying");
            tracing::trace!(target: "switchboard::domain::engine", "own trace");
        });
        let seen = seen.lock().unwrap().concat();
        assert!(!seen.contains("SECRET"), "{seen}");
        assert!(seen.contains("retrying") && seen.contains("own trace"), "{seen}");
    }

    /// Why the ceiling is a second filter: a cap appended to the operator's directives does not
    /// hold against a more specific directive of theirs.
    #[test]
    fn an_appended_cap_would_not_hold_against_a_more_specific_directive() {
        use std::sync::{Arc, Mutex};
        let seen = Arc::new(Mutex::new(Vec::<String>::new()));
        let writer = {
            let seen = seen.clone();
            move || Collect(seen.clone())
        };
        let appended = EnvFilter::new("aws_sigv4::http_request::sign=trace,aws_sigv4=info");
        let layer = tracing_subscriber::fmt::layer().with_writer(writer).with_ansi(false);
        let subscriber = tracing_subscriber::registry().with(layer.with_filter(appended));
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(target: "aws_sigv4::http_request::sign", "canonical request");
        });
        assert!(seen.lock().unwrap().concat().contains("canonical request"));
    }

    struct Collect(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

    impl Write for Collect {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().push(String::from_utf8_lossy(bytes).into_owned());
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_log_file_is_private_and_rotates_at_its_limit() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join("switchboard.log");
        let mut log = LogFile::open(&path, 100).unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        writeln!(log, "{}", "a".repeat(60)).unwrap();
        writeln!(log, "{}", "b".repeat(60)).unwrap();
        let rotated = log.rotated_path();
        assert_eq!(rotated.file_name().unwrap(), "switchboard.log.1");
        assert!(std::fs::read_to_string(&rotated).unwrap().starts_with("aaa"));
        assert!(std::fs::read_to_string(&path).unwrap().starts_with("bbb"));
        assert_eq!(mode(&path), 0o600, "the new file after rotation");
        assert_eq!(mode(&rotated), 0o600);
        drop(log);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let _reopened = LogFile::open(&path, 100).unwrap();
        assert_eq!(mode(&path), 0o600, "an older, looser file is made private");
    }
}
