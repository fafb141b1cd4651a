//! Readers of what the export renderers write, one per format, as strict as the shell that
//! reads it: a character the shell would treat as syntax (`$`, `;`, a glob, a lone `%` for
//! cmd) outside quotes is an error, not a silently different value.

/// The words of a POSIX shell script (`$'…'` too when `ansi_c`, as bash and zsh read it).
/// Unquoted, only `[A-Za-z0-9,./_=-]`, bytes past ASCII and separators are accepted.
pub fn posix_words(script: &str, ansi_c: bool) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<Vec<u8>> = None;
    let bytes = script.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        match byte {
            b' ' | b'\t' | b'\n' => words.extend(word.take().map(into_string).transpose()?),
            b'\'' => {
                let end = find(bytes, at + 1, b'\'').ok_or("an unterminated '")?;
                word.get_or_insert_default().extend(&bytes[at + 1..end]);
                at = end;
            }
            b'$' if ansi_c && bytes.get(at + 1) == Some(&b'\'') => {
                at = ansi_c_quoted(bytes, at + 2, word.get_or_insert_default())?;
            }
            b'\\' => match bytes.get(at + 1) {
                Some(b'\n') => at += 1,
                Some(&escaped) => {
                    word.get_or_insert_default().push(escaped);
                    at += 1;
                }
                None => return Err("a trailing backslash".into()),
            },
            _ if byte.is_ascii_alphanumeric() || b",./_=-".contains(&byte) || byte >= 0x80 => {
                word.get_or_insert_default().push(byte);
            }
            _ => return Err(format!("an unquoted {:?} at byte {at}", byte as char)),
        }
        at += 1;
    }
    words.extend(word.map(into_string).transpose()?);
    Ok(words)
}

fn find(bytes: &[u8], from: usize, wanted: u8) -> Option<usize> {
    bytes.get(from..)?.iter().position(|&byte| byte == wanted).map(|offset| from + offset)
}

fn into_string(bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|_| "a word that is not UTF-8".to_owned())
}

/// Bash's `$'…'` from just after the opening quote; returns the index of the closing quote.
fn ansi_c_quoted(bytes: &[u8], mut at: usize, out: &mut Vec<u8>) -> Result<usize, String> {
    loop {
        match bytes.get(at) {
            None => return Err("an unterminated $'".into()),
            Some(b'\'') => return Ok(at),
            Some(b'\\') => {
                at += 1;
                let simple = match bytes.get(at) {
                    Some(b'a') => Some(0x07),
                    Some(b'b') => Some(0x08),
                    Some(b'e' | b'E') => Some(0x1b),
                    Some(b'f') => Some(0x0c),
                    Some(b'n') => Some(b'\n'),
                    Some(b'r') => Some(b'\r'),
                    Some(b't') => Some(b'\t'),
                    Some(b'v') => Some(0x0b),
                    Some(&quoted @ (b'\\' | b'\'' | b'"' | b'?')) => Some(quoted),
                    _ => None,
                };
                if let Some(byte) = simple {
                    out.push(byte);
                } else if bytes.get(at) == Some(&b'x') {
                    let digits: Vec<u8> =
                        bytes[at + 1..].iter().take(2).take_while(|byte| byte.is_ascii_hexdigit()).copied().collect();
                    let text = std::str::from_utf8(&digits).map_err(|_| "bad \\x")?;
                    out.push(u8::from_str_radix(text, 16).map_err(|_| "a \\x without digits")?);
                    at += digits.len();
                } else {
                    return Err(format!("an escape bash reads differently at byte {at}"));
                }
            }
            Some(&byte) => out.push(byte),
        }
        at += 1;
    }
}

/// fish: words split on blanks; in `'…'` only `\\` and `\'` are escapes.
pub fn fish_words(script: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = script.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => words.extend(word.take()),
            '\'' => {
                let current = word.get_or_insert_default();
                loop {
                    match chars.next().ok_or("an unterminated '")? {
                        '\'' => break,
                        '\\' => match chars.next().ok_or("an unterminated '")? {
                            escaped @ ('\\' | '\'') => current.push(escaped),
                            other => {
                                current.push('\\');
                                current.push(other);
                            }
                        },
                        other => current.push(other),
                    }
                }
            }
            _ if c.is_ascii_alphanumeric() || "-_=,./".contains(c) => word.get_or_insert_default().push(c),
            _ => return Err(format!("an unquoted {c:?}")),
        }
    }
    words.extend(word);
    Ok(words)
}

/// The quote characters of a PowerShell single-quoted string: `'` and the typographic ones.
const POWERSHELL_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201a}', '\u{201b}'];

/// What a PowerShell export sets (name, value) and removes (names).
pub type PowershellEffect = (Vec<(String, String)>, Vec<String>);

/// PowerShell: `$Env:NAME = '…'` lines (a quote doubled inside), then `Remove-Item` lines.
pub fn powershell_assignments(script: &str) -> Result<PowershellEffect, String> {
    let mut assigned = Vec::new();
    let mut removed = Vec::new();
    let mut rest = script;
    while !rest.is_empty() {
        if let Some(line) = rest.strip_prefix("Remove-Item Env:") {
            let (name, after) = line.split_once(" -ErrorAction SilentlyContinue\n").ok_or("a bad Remove-Item")?;
            removed.push(name.to_owned());
            rest = after;
            continue;
        }
        let line = rest.strip_prefix("$Env:").ok_or("a line that is neither $Env: nor Remove-Item")?;
        let (name, quoted) = line.split_once(" = '").ok_or("no ' = '")?;
        let mut value = String::new();
        let mut chars = quoted.char_indices().peekable();
        let end = loop {
            let (at, c) = chars.next().ok_or("an unterminated '")?;
            if POWERSHELL_QUOTES.contains(&c) {
                match chars.peek() {
                    Some(&(_, next)) if POWERSHELL_QUOTES.contains(&next) => {
                        value.push(next);
                        chars.next();
                    }
                    _ => break at + c.len_utf8(),
                }
            } else {
                value.push(c);
            }
        };
        rest = quoted[end..].strip_prefix('\n').ok_or("text after the closing quote")?;
        assigned.push((name.to_owned(), value));
    }
    Ok((assigned, removed))
}

/// cmd: `set "NAME=value"` where, outside quotes, `^` escapes the next character and a bare
/// `& | < > ( )` would end the command; `%%` is one `%` and a lone `%` would expand.
pub fn cmd_assignment(line: &str) -> Result<(String, String), String> {
    let quoted = line.strip_prefix("set ").ok_or("no set")?;
    let mut read = String::new();
    let mut inside = false;
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                inside = !inside;
                read.push(c);
            }
            '%' => match chars.next() {
                Some('%') => read.push('%'),
                _ => return Err("a lone % (cmd would expand it)".into()),
            },
            '^' if !inside => read.push(chars.next().ok_or("a trailing ^")?),
            '&' | '|' | '<' | '>' | '(' | ')' if !inside => return Err(format!("an unescaped {c} outside quotes")),
            _ => read.push(c),
        }
    }
    // `set "…"` keeps what lies between the first and the last quote.
    let inner = read.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')).ok_or("not set \"…\"")?;
    let (name, value) = inner.split_once('=').ok_or("no =")?;
    Ok((name.to_owned(), value.to_owned()))
}

/// dotenv: `NAME="…"` lines with `\" \\ \$ \n` escapes.
pub fn dotenv_assignment(line: &str) -> Result<(String, String), String> {
    let (name, quoted) = line.split_once('=').ok_or("no =")?;
    let inner = quoted.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')).ok_or("not quoted")?;
    let mut value = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => value.push('\n'),
                Some(escaped @ ('"' | '\\' | '$')) => value.push(escaped),
                _ => return Err("an unknown escape".into()),
            },
            '"' => return Err("an unescaped quote".into()),
            _ => value.push(c),
        }
    }
    Ok((name.to_owned(), value))
}
