//! Key bindings as data: defaults here, partial overrides from the inventory's `[ui.keys]`.
//! The help overlay and the README's keys table are generated from (or checked against) this.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Open,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Refresh,
    RefreshExpiring,
    Copy,
    Exports,
    Filter,
    Sort,
    Chain,
    Log,
    Help,
    Quit,
}

impl Command {
    pub const ALL: [Command; 17] = [
        Command::Open,
        Command::Up,
        Command::Down,
        Command::PageUp,
        Command::PageDown,
        Command::Top,
        Command::Bottom,
        Command::Refresh,
        Command::RefreshExpiring,
        Command::Copy,
        Command::Exports,
        Command::Filter,
        Command::Sort,
        Command::Chain,
        Command::Log,
        Command::Help,
        Command::Quit,
    ];

    /// The name used in `[ui.keys]`.
    pub fn name(self) -> &'static str {
        match self {
            Command::Open => "open",
            Command::Up => "up",
            Command::Down => "down",
            Command::PageUp => "page_up",
            Command::PageDown => "page_down",
            Command::Top => "top",
            Command::Bottom => "bottom",
            Command::Refresh => "refresh",
            Command::RefreshExpiring => "refresh_expiring",
            Command::Copy => "copy",
            Command::Exports => "exports",
            Command::Filter => "filter",
            Command::Sort => "sort",
            Command::Chain => "chain",
            Command::Log => "log",
            Command::Help => "help",
            Command::Quit => "quit",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Command::Open => "open the account's panels (SQS, identity)",
            Command::Up => "select the previous role",
            Command::Down => "select the next role",
            Command::PageUp => "a page up",
            Command::PageDown => "a page down",
            Command::Top => "the first role",
            Command::Bottom => "the last role",
            Command::Refresh => "refresh the selected role (asks for an MFA code if needed)",
            Command::RefreshExpiring => "refresh every expiring or expired role",
            Command::Copy => "copy the selected role's exports in your shell's format",
            Command::Exports => "pick an export format, preview (masked) and copy",
            Command::Filter => "filter as you type (Enter keeps it, Esc clears it)",
            Command::Sort => "sort by name or by time left",
            Command::Chain => "show or hide the chain of the selected role",
            Command::Log => "show or hide the log",
            Command::Help => "show or hide this help",
            Command::Quit => "quit",
        }
    }

    fn from_name(name: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|command| command.name() == name)
    }
}

/// A key as written in the config: "r", "R", "ctrl-c", "pgdn", "f5", "enter".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl KeySpec {
    pub fn parse(text: &str) -> Result<KeySpec, String> {
        let (ctrl, name) = match text.strip_prefix("ctrl-").or_else(|| text.strip_prefix("C-")) {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let code = match name.to_ascii_lowercase().as_str() {
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "space" => KeyCode::Char(' '),
            lower if lower.len() > 1 && lower.starts_with('f') => lower[1..]
                .parse::<u8>()
                .ok()
                .filter(|n| (1..=12).contains(n))
                .map(KeyCode::F)
                .ok_or_else(|| unknown(text))?,
            _ => {
                let mut chars = name.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyCode::Char(c),
                    _ => return Err(unknown(text)),
                }
            }
        };
        Ok(KeySpec { code, ctrl })
    }

    pub fn matches(&self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let code = key.code;
        code == self.code && ctrl == self.ctrl
    }

    pub fn label(&self) -> String {
        let name = match self.code {
            KeyCode::Up => "↑".to_owned(),
            KeyCode::Down => "↓".to_owned(),
            KeyCode::Left => "←".to_owned(),
            KeyCode::Right => "→".to_owned(),
            KeyCode::PageUp => "PgUp".to_owned(),
            KeyCode::PageDown => "PgDn".to_owned(),
            KeyCode::Home => "Home".to_owned(),
            KeyCode::End => "End".to_owned(),
            KeyCode::Enter => "Enter".to_owned(),
            KeyCode::Esc => "Esc".to_owned(),
            KeyCode::Tab => "Tab".to_owned(),
            KeyCode::F(n) => format!("F{n}"),
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(c) => c.to_string(),
            _ => "?".to_owned(),
        };
        if self.ctrl { format!("Ctrl-{name}") } else { name }
    }
}

fn unknown(text: &str) -> String {
    format!("\"{text}\" is not a key; write keys like \"r\", \"R\", \"ctrl-r\", \"f5\", \"pgdn\", \"enter\"")
}

#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub command: Command,
    pub keys: Vec<KeySpec>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

/// One override that could not be applied, with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct OverrideProblem {
    pub command: String,
    pub message: String,
}

impl Default for Keymap {
    fn default() -> Self {
        let keys = |specs: &[&str]| specs.iter().filter_map(|spec| KeySpec::parse(spec).ok()).collect();
        let bindings = Command::ALL
            .into_iter()
            .map(|command| Binding {
                command,
                keys: keys(match command {
                    Command::Open => &["enter"],
                    Command::Up => &["k", "up"],
                    Command::Down => &["j", "down"],
                    Command::PageUp => &["pgup", "ctrl-b"],
                    Command::PageDown => &["pgdn", "ctrl-f"],
                    Command::Top => &["home", "g"],
                    Command::Bottom => &["end", "G"],
                    Command::Refresh => &["r"],
                    Command::RefreshExpiring => &["R"],
                    Command::Copy => &["c"],
                    Command::Exports => &["e"],
                    Command::Filter => &["/"],
                    Command::Sort => &["s"],
                    Command::Chain => &["v"],
                    Command::Log => &["L"],
                    Command::Help => &["?"],
                    Command::Quit => &["q", "ctrl-c"],
                }),
            })
            .collect();
        Keymap { bindings }
    }
}

impl Keymap {
    /// Defaults with the given commands rebound; every problem is returned, none applied half.
    pub fn with_overrides<'a>(
        overrides: impl IntoIterator<Item = (&'a str, &'a [String])>,
    ) -> Result<Keymap, Vec<OverrideProblem>> {
        let mut keymap = Keymap::default();
        let mut problems = Vec::new();
        for (name, specs) in overrides {
            let Some(command) = Command::from_name(name) else {
                let known: Vec<&str> = Command::ALL.iter().map(|command| command.name()).collect();
                problems.push(OverrideProblem {
                    command: name.to_owned(),
                    message: format!("no command \"{name}\" (commands: {})", known.join(", ")),
                });
                continue;
            };
            match specs.iter().map(|spec| KeySpec::parse(spec)).collect::<Result<Vec<_>, _>>() {
                Ok(keys) => {
                    if let Some(binding) = keymap.bindings.iter_mut().find(|binding| binding.command == command) {
                        binding.keys = keys;
                    }
                }
                Err(message) => problems.push(OverrideProblem { command: name.to_owned(), message }),
            }
        }
        if problems.is_empty() { Ok(keymap) } else { Err(problems) }
    }

    pub fn command_for(&self, key: &KeyEvent) -> Option<Command> {
        self.bindings
            .iter()
            .find(|binding| binding.keys.iter().any(|spec| spec.matches(key)))
            .map(|binding| binding.command)
    }

    pub fn keys_of(&self, command: Command) -> String {
        self.bindings
            .iter()
            .find(|binding| binding.command == command)
            .map(|binding| binding.keys.iter().map(KeySpec::label).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn defaults_cover_every_command_and_match_shifted_letters() {
        let keymap = Keymap::default();
        for command in Command::ALL {
            assert!(!keymap.keys_of(command).is_empty(), "{command:?} has no key");
        }
        assert_eq!(keymap.command_for(&key(KeyCode::Char('R'), KeyModifiers::SHIFT)), Some(Command::RefreshExpiring));
        assert_eq!(keymap.command_for(&key(KeyCode::Char('r'), KeyModifiers::NONE)), Some(Command::Refresh));
        assert_eq!(keymap.command_for(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Command::Quit));
        assert_eq!(keymap.command_for(&key(KeyCode::Char('c'), KeyModifiers::NONE)), Some(Command::Copy));
    }

    #[test]
    fn overrides_replace_only_the_named_commands() {
        let refresh = vec!["f5".to_owned(), "ctrl-r".to_owned()];
        let keymap = Keymap::with_overrides([("refresh", refresh.as_slice())]).unwrap();
        assert_eq!(keymap.command_for(&key(KeyCode::F(5), KeyModifiers::NONE)), Some(Command::Refresh));
        assert_eq!(keymap.command_for(&key(KeyCode::Char('r'), KeyModifiers::CONTROL)), Some(Command::Refresh));
        assert_eq!(keymap.command_for(&key(KeyCode::Char('r'), KeyModifiers::NONE)), None);
        assert_eq!(keymap.command_for(&key(KeyCode::Char('q'), KeyModifiers::NONE)), Some(Command::Quit));
    }

    #[test]
    fn bad_overrides_are_all_reported() {
        let bad = vec!["shift-banana".to_owned()];
        let problems = Keymap::with_overrides([("refresh", bad.as_slice()), ("fly", bad.as_slice())]).unwrap_err();
        assert_eq!(problems.len(), 2);
        assert!(problems[0].message.contains("is not a key"));
        assert!(problems[1].message.contains("no command \"fly\""));
    }
}

/// The README's keys table, generated from the default keymap (a test keeps them equal).
pub fn markdown_table() -> String {
    let keymap = Keymap::default();
    let mut table = String::from("| keys | command (`[ui.keys]` name) | what it does |\n|---|---|---|\n");
    for command in Command::ALL {
        let keys: Vec<String> = keymap.keys_of(command).split(' ').map(|key| format!("`{key}`")).collect();
        table.push_str(&format!("| {} | `{}` | {} |\n", keys.join(" "), command.name(), command.description()));
    }
    table
}

#[cfg(test)]
mod readme {
    #[test]
    fn the_readme_keys_table_matches_the_keymap() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        let start = readme.find("<!-- keys:start -->\n").map(|at| at + "<!-- keys:start -->\n".len());
        let end = readme.find("<!-- keys:end -->");
        let (Some(start), Some(end)) = (start, end) else {
            panic!("README.md lacks the <!-- keys:start/end --> markers")
        };
        let expected = super::markdown_table();
        assert_eq!(&readme[start..end], expected, "README keys table is stale; replace it with:\n{expected}");
    }
}
