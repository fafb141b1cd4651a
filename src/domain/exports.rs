//! Shell exports of a session, named as `aws configure export-credentials` names them, with
//! values quoted for each shell so a value with quotes or spaces stays one value.

use std::fmt::Write as _;

use jiff::Timestamp;
use shell_quote::{Bash, Sh};

use super::credentials::Credentials;

/// Variables that would override or confuse the exported session if left set.
pub const CONFLICTING: [&str; 4] =
    ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN", "AWS_SESSION_EXPIRATION"];

/// Every variable `--unset` clears: the exported ones and the conflicting ones.
pub const ALL_VARIABLES: [&str; 11] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SECURITY_TOKEN",
    "AWS_SESSION_EXPIRATION",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
pub enum ExportFormat {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Cmd,
    Dotenv,
    Json,
}

impl ExportFormat {
    /// The operator's shell, from a `$SHELL` such as `/usr/bin/fish`.
    pub fn from_shell_path(shell: &str) -> Self {
        let name = shell.rsplit(['/', '\\']).next().unwrap_or(shell).trim_end_matches(".exe");
        match name {
            "zsh" => ExportFormat::Zsh,
            "fish" => ExportFormat::Fish,
            "pwsh" | "powershell" => ExportFormat::Powershell,
            "cmd" => ExportFormat::Cmd,
            _ => ExportFormat::Bash,
        }
    }

    pub fn all() -> [ExportFormat; 7] {
        [
            ExportFormat::Bash,
            ExportFormat::Zsh,
            ExportFormat::Fish,
            ExportFormat::Powershell,
            ExportFormat::Cmd,
            ExportFormat::Dotenv,
            ExportFormat::Json,
        ]
    }

    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Bash => "bash",
            ExportFormat::Zsh => "zsh",
            ExportFormat::Fish => "fish",
            ExportFormat::Powershell => "powershell",
            ExportFormat::Cmd => "cmd",
            ExportFormat::Dotenv => "dotenv",
            ExportFormat::Json => "json",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ExportError {
    #[error("{0} files cannot unset variables; use a shell format with --unset")]
    CannotUnset(&'static str),
    #[error("{name} holds a line break, which cmd cannot set")]
    Unrepresentable { name: String },
}

/// The variables of a session, in a fixed order.
pub fn variables(credentials: &Credentials, region: &str, endpoint_url: Option<&str>) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("AWS_ACCESS_KEY_ID", credentials.access_key_id.clone()),
        ("AWS_SECRET_ACCESS_KEY", credentials.secret_access_key().to_owned()),
    ];
    if let Some(token) = credentials.session_token() {
        vars.push(("AWS_SESSION_TOKEN", token.to_owned()));
    }
    if let Some(expiration) = credentials.expiration {
        vars.push(("AWS_CREDENTIAL_EXPIRATION", rfc3339(expiration)));
    }
    vars.push(("AWS_REGION", region.to_owned()));
    vars.push(("AWS_DEFAULT_REGION", region.to_owned()));
    // An emulator's sessions are worthless against AWS: point tools at the emulator too.
    if let Some(url) = endpoint_url {
        vars.push(("AWS_ENDPOINT_URL", url.to_owned()));
    }
    vars
}

/// RFC 3339 in UTC with whole seconds, as AWS tools print expirations.
pub fn rfc3339(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The exports, then the unsets of conflicting variables, in `format`.
pub fn render(format: ExportFormat, vars: &[(&str, String)]) -> Result<String, ExportError> {
    let mut out = String::new();
    match format {
        ExportFormat::Json => {
            let object: serde_json::Map<String, serde_json::Value> = vars
                .iter()
                .map(|(name, value)| ((*name).to_owned(), serde_json::Value::String(value.clone())))
                .collect();
            out = serde_json::to_string_pretty(&object).unwrap_or_default();
            out.push('\n');
        }
        ExportFormat::Dotenv => {
            for (name, value) in vars {
                let _ = writeln!(out, "{name}={}", dotenv_quote(value));
            }
        }
        _ => {
            for (name, value) in vars {
                out.push_str(&set_line(format, name, value)?);
                out.push('\n');
            }
            out.push_str(&unset(format, &CONFLICTING)?);
        }
    }
    Ok(out)
}

/// Lines that clear `names` in `format`.
pub fn unset(format: ExportFormat, names: &[&str]) -> Result<String, ExportError> {
    let mut out = String::new();
    match format {
        ExportFormat::Bash | ExportFormat::Zsh => {
            let _ = writeln!(out, "unset {}", names.join(" "));
        }
        ExportFormat::Fish => {
            for name in names {
                let _ = writeln!(out, "set -e {name}");
            }
        }
        ExportFormat::Powershell => {
            for name in names {
                let _ = writeln!(out, "Remove-Item Env:{name} -ErrorAction SilentlyContinue");
            }
        }
        ExportFormat::Cmd => {
            for name in names {
                let _ = writeln!(out, "set {name}=");
            }
        }
        ExportFormat::Dotenv => return Err(ExportError::CannotUnset("dotenv")),
        ExportFormat::Json => return Err(ExportError::CannotUnset("json")),
    }
    Ok(out)
}

fn set_line(format: ExportFormat, name: &str, value: &str) -> Result<String, ExportError> {
    Ok(match format {
        ExportFormat::Bash => format!("export {name}={}", quoted::<Bash>(value)),
        ExportFormat::Zsh => format!("export {name}={}", quoted::<Sh>(value)),
        ExportFormat::Fish => format!("set -gx {name} {}", fish_quote(value)),
        ExportFormat::Powershell => format!("$Env:{name} = '{}'", powershell_escape(value)),
        ExportFormat::Cmd => format!("set \"{name}={}\"", cmd_escape(name, value)?),
        ExportFormat::Dotenv | ExportFormat::Json => format!("{name}={value}"),
    })
}

fn quoted<Q: shell_quote::Quote<Vec<u8>>>(value: &str) -> String {
    String::from_utf8_lossy(&Q::quote(value)).into_owned()
}

/// Inside `set "NAME=value"` cmd keeps inner quotes, but a quote also flips its parsing, so
/// metacharacters after an odd number of quotes are escaped with `^`; `%` is doubled.
fn cmd_escape(name: &str, value: &str) -> Result<String, ExportError> {
    if value.contains(['\n', '\r']) {
        return Err(ExportError::Unrepresentable { name: name.to_owned() });
    }
    let mut out = String::new();
    let mut inside_quotes = true;
    for c in value.chars() {
        match c {
            '"' => {
                inside_quotes = !inside_quotes;
                out.push('"');
            }
            '%' => out.push_str("%%"),
            '^' | '&' | '|' | '<' | '>' | '(' | ')' if !inside_quotes => {
                out.push('^');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// PowerShell ends a single-quoted string at `'` and at the typographic quotes too (found by
/// the `exports` fuzz target); each is doubled to stand for itself.
fn powershell_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}') {
            out.push(c);
        }
        out.push(c);
    }
    out
}

/// Fish single quotes: only `\` and `'` are special inside them.
fn fish_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn dotenv_quote(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRICKY: &str = r#"it's a "quoted" value $HOME %PATH% & more"#;

    fn tricky_vars() -> Vec<(&'static str, String)> {
        vec![("AWS_SESSION_TOKEN", TRICKY.to_owned())]
    }

    #[test]
    fn session_variables_have_the_aws_cli_names_and_utc_expiry() {
        let creds = Credentials::new(
            "ASIAX",
            "s3cret",
            Some("tok".into()),
            Some("2026-11-21T10:00:00+01:00".parse::<Timestamp>().unwrap()),
        );
        let vars = variables(&creds, "eu-west-1", None);
        let names: Vec<&str> = vars.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            names,
            [
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN",
                "AWS_CREDENTIAL_EXPIRATION",
                "AWS_REGION",
                "AWS_DEFAULT_REGION"
            ]
        );
        assert_eq!(vars[3].1, "2026-11-21T09:00:00Z");
        let with_endpoint = variables(&creds, "eu-west-1", Some("http://127.0.0.1:5000"));
        assert_eq!(with_endpoint.last().unwrap(), &("AWS_ENDPOINT_URL", "http://127.0.0.1:5000".to_owned()));
    }

    /// Runs the rendered line in the real shell when it is installed, and reads the value back.
    fn shell_round_trip(shell: &str, script: String, read: &str) -> Option<String> {
        let output = std::process::Command::new(shell).arg("-c").arg(format!("{script}\n{read}")).output().ok()?;
        Some(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    #[test]
    fn bash_and_zsh_quote_values_so_the_shell_reads_them_back_unchanged() {
        let bash = render(ExportFormat::Bash, &tricky_vars()).unwrap();
        assert!(bash.starts_with("export AWS_SESSION_TOKEN="), "{bash}");
        assert!(bash.contains("unset AWS_PROFILE AWS_DEFAULT_PROFILE"), "{bash}");
        let echoed = shell_round_trip("bash", bash, "printf '%s' \"$AWS_SESSION_TOKEN\"").expect("bash is installed");
        assert_eq!(echoed, TRICKY);
        let zsh = render(ExportFormat::Zsh, &tricky_vars()).unwrap();
        let echoed = shell_round_trip("sh", zsh, "printf '%s' \"$AWS_SESSION_TOKEN\"").expect("sh is installed");
        assert_eq!(echoed, TRICKY, "the zsh form is POSIX sh quoting");
    }

    #[test]
    fn fish_quotes_and_erases() {
        let fish = render(ExportFormat::Fish, &tricky_vars()).unwrap();
        let first = fish.lines().next().unwrap();
        assert_eq!(first, r#"set -gx AWS_SESSION_TOKEN 'it\'s a "quoted" value $HOME %PATH% & more'"#);
        let slashes = render(ExportFormat::Fish, &[("X", r"a\b".to_owned())]).unwrap();
        assert!(slashes.starts_with(r"set -gx X 'a\\b'"), "{slashes}");
        assert!(fish.contains("set -e AWS_PROFILE"), "{fish}");
    }

    #[test]
    fn powershell_doubles_single_quotes() {
        let ps = render(ExportFormat::Powershell, &tricky_vars()).unwrap();
        assert!(ps.starts_with(r#"$Env:AWS_SESSION_TOKEN = 'it''s a "quoted" value $HOME %PATH% & more'"#), "{ps}");
        assert!(ps.contains("Remove-Item Env:AWS_PROFILE -ErrorAction SilentlyContinue"), "{ps}");
        let typographic = render(ExportFormat::Powershell, &[("X", "it\u{2019}s".to_owned())]).unwrap();
        assert!(typographic.starts_with("$Env:X = 'it\u{2019}\u{2019}s'"), "{typographic}");
    }

    #[test]
    fn cmd_escapes_percent_and_metacharacters_outside_quotes() {
        let cmd = render(ExportFormat::Cmd, &tricky_vars()).unwrap();
        assert!(cmd.starts_with(r#"set "AWS_SESSION_TOKEN=it's a "quoted" value $HOME %%PATH%% & more""#), "{cmd}");
        let odd = render(ExportFormat::Cmd, &[("X", r#"a"b & c"#.to_owned())]).unwrap();
        assert!(odd.starts_with(r#"set "X=a"b ^& c""#), "{odd}");
        assert!(cmd.contains("set AWS_PROFILE="), "{cmd}");
        assert_eq!(
            render(ExportFormat::Cmd, &[("X", "a\nb".to_owned())]),
            Err(ExportError::Unrepresentable { name: "X".into() })
        );
    }

    #[test]
    fn dotenv_escapes_quotes_backslashes_and_dollars() {
        let dotenv = render(ExportFormat::Dotenv, &tricky_vars()).unwrap();
        assert_eq!(dotenv, "AWS_SESSION_TOKEN=\"it's a \\\"quoted\\\" value \\$HOME %PATH% & more\"\n");
    }

    #[test]
    fn json_is_an_object_of_variables() {
        let json = render(ExportFormat::Json, &tricky_vars()).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["AWS_SESSION_TOKEN"], TRICKY);
    }

    #[test]
    fn unset_lines_cover_every_variable_and_refuse_file_formats() {
        let bash = unset(ExportFormat::Bash, &ALL_VARIABLES).unwrap();
        for name in ALL_VARIABLES {
            assert!(bash.contains(name), "{name} missing from {bash}");
        }
        assert_eq!(unset(ExportFormat::Dotenv, &ALL_VARIABLES), Err(ExportError::CannotUnset("dotenv")));
    }

    #[test]
    fn shell_is_recognised_from_its_path() {
        assert_eq!(ExportFormat::from_shell_path("/usr/bin/fish"), ExportFormat::Fish);
        assert_eq!(ExportFormat::from_shell_path("/bin/zsh"), ExportFormat::Zsh);
        assert_eq!(
            ExportFormat::from_shell_path("C:\\Program Files\\PowerShell\\7\\pwsh.exe"),
            ExportFormat::Powershell
        );
        assert_eq!(ExportFormat::from_shell_path("/bin/bash"), ExportFormat::Bash);
    }
}
