//! Everything the command line and the agent print goes through here, for two reasons:
//! - a closed stdout (`switchboard list | head -1`) ends the command quietly with exit 141
//!   (128 + SIGPIPE, what `ls | head` reports under `set -o pipefail`) instead of a panic;
//! - text that came from a server (ARNs, error messages, queue names) cannot drive the
//!   terminal: control characters (C0 but newline and tab, DEL, C1) are printed escaped as
//!   `\x1b`, so an escape sequence shows as harmless text.

use std::borrow::Cow;
use std::io::{ErrorKind, Write};

use super::AppError;

/// Writes `text` to stdout with control characters escaped (newlines and tabs kept).
pub fn print(text: &str) -> Result<(), AppError> {
    print_raw(&terminal_safe(text))
}

/// `print` with a newline after it.
pub fn println(text: &str) -> Result<(), AppError> {
    let mut line = terminal_safe(text).into_owned();
    line.push('\n');
    print_raw(&line)
}

/// Writes machine-readable JSON: serde already escapes C0 characters in strings; the C1 ones
/// it leaves raw are escaped as `\u0080`..`\u009f`, and the bidi controls as `\u202e` and
/// the like, which is the same JSON value.
pub fn print_json(json: &str) -> Result<(), AppError> {
    let mut escaped = json_with_c1_escaped(json);
    escaped.push('\n');
    print_raw(&escaped)
}

fn json_with_c1_escaped(json: &str) -> String {
    let mut escaped = String::with_capacity(json.len());
    for character in json.chars() {
        if is_c1(character) || is_bidi_control(character) {
            escaped.push_str(&format!("\\u{:04x}", u32::from(character)));
        } else {
            escaped.push(character);
        }
    }
    escaped
}

/// Writes `text` unchanged: shell exports (quoted for their shell by `exports`) and the
/// credential_process JSON, which a program reads, not a terminal.
pub fn print_raw(text: &str) -> Result<(), AppError> {
    let written = super::progress::above(|| {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes()).and_then(|()| out.flush())
    });
    written.map_err(|error| match error.kind() {
        ErrorKind::BrokenPipe => AppError::OutputClosed,
        _ => AppError::Failed(format!("cannot write to stdout: {error}")),
    })
}

/// A diagnostic line on stderr (`switchboard: ...`), escaped like `print`. A closed stderr
/// is ignored: there is nobody left to tell.
pub fn warn(text: &str) {
    let line = format!("switchboard: {}\n", terminal_safe(text));
    super::progress::above(|| {
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    });
}

/// `text` with every control character but newline and tab written as `\xNN` (`\u{NN}` for
/// C1), so escape sequences, bells and carriage returns from a server print as plain text.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    // Printable ASCII (the whole of most tables, thousands of rows of them): nothing to escape.
    let plain = |byte: &u8| (0x20..0x7f).contains(byte) || *byte == b'\n' || *byte == b'\t';
    if text.as_bytes().iter().all(plain) || !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut safe = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        if !is_unsafe(character) {
            safe.push(character);
        } else if character.is_ascii() {
            safe.push_str(&format!("\\x{:02x}", u32::from(character)));
        } else {
            safe.push_str(&format!("\\u{{{:02x}}}", u32::from(character)));
        }
    }
    Cow::Owned(safe)
}

fn is_unsafe(character: char) -> bool {
    (character.is_control() && character != '\n' && character != '\t') || is_bidi_control(character)
}

/// The characters that reorder text (right-to-left overrides and embeddings, isolates and
/// marks): a queue name `invoice\u{202e}fdp.exe` shows as `invoiceexe.pdf`. Escaped like controls.
fn is_bidi_control(character: char) -> bool {
    matches!(character, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn is_c1(character: char) -> bool {
    ('\u{80}'..='\u{9f}').contains(&character)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_bells_and_carriage_returns_print_as_text() {
        let arn = "arn:aws:iam::1:role/x\u{1b}]0;pwned\u{7}\r\u{1b}[2J";
        let safe = terminal_safe(arn);
        assert_eq!(safe, "arn:aws:iam::1:role/x\\x1b]0;pwned\\x07\\x0d\\x1b[2J");
        assert!(!safe.chars().any(char::is_control), "{safe:?}");
    }

    #[test]
    fn bidi_overrides_isolates_and_marks_are_escaped() {
        assert_eq!(terminal_safe("invoice\u{202e}fdp.exe"), "invoice\\u{202e}fdp.exe");
        for character in ['\u{061c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202d}', '\u{2066}', '\u{2069}'] {
            assert!(!terminal_safe(&character.to_string()).contains(character), "{character:?}");
        }
        assert_eq!(terminal_safe("مرحبا queue"), "مرحبا queue", "right-to-left letters themselves are text");
    }

    #[test]
    fn c1_controls_and_delete_are_escaped_too() {
        assert_eq!(terminal_safe("a\u{9b}31mb\u{7f}"), "a\\u{9b}31mb\\x7f");
        assert_eq!(terminal_safe("\u{85}"), "\\u{85}");
    }

    #[test]
    fn plain_text_newlines_tabs_and_other_scripts_pass_unchanged() {
        let text = "prod/admin\tvalid\nqueue-été 日本 ✓\n";
        assert!(matches!(terminal_safe(text), Cow::Borrowed(_)));
        assert_eq!(terminal_safe(text), text);
    }

    #[test]
    fn json_keeps_its_value_with_c1_escaped() {
        let value = serde_json::json!({ "name": "q\u{9b}\u{1b}x\u{202e}y" });
        let escaped = json_with_c1_escaped(&serde_json::to_string(&value).unwrap());
        assert!(!escaped.chars().any(|c| c.is_control() || is_bidi_control(c)), "{escaped:?}");
        assert!(escaped.contains("\\u202e"), "{escaped:?}");
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, value);
    }
}
