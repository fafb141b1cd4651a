//! A table of commands with their keys: defaults from the command set, partial overrides
//! from the inventory. One generic type serves the main list and every panel.

use crossterm::event::KeyEvent;

use super::spec::KeySpec;

/// The commands of one part of the screen, as data: the `[ui.keys]` section they are
/// rebound in, and for each its name, default keys and what it does.
pub trait CommandSet: Copy + Eq + std::fmt::Debug + 'static {
    /// `None` for `[ui.keys]` itself, `Some("sqs")` for `[ui.keys.sqs]`.
    const SECTION: Option<&'static str>;
    /// Where the commands apply, for the help and the README ("the list", "the SQS panel").
    const TITLE: &'static str;
    fn all() -> &'static [Self];
    fn name(self) -> &'static str;
    fn description(self) -> &'static str;
    fn default_keys(self) -> &'static [&'static str];

    fn from_name(name: &str) -> Option<Self> {
        Self::all().iter().copied().find(|command| command.name() == name)
    }

    /// How an override of this set is written, for messages: `ui.keys.sqs.peek`.
    fn config_key(name: &str) -> String {
        match Self::SECTION {
            Some(section) => format!("ui.keys.{section}.{name}"),
            None => format!("ui.keys.{name}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Binding<C> {
    pub command: C,
    pub keys: Vec<KeySpec>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Keymap<C> {
    pub bindings: Vec<Binding<C>>,
}

/// One override that cannot be applied: which command (as written) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct OverrideProblem {
    pub command: String,
    pub message: String,
}

impl<C: CommandSet> Default for Keymap<C> {
    fn default() -> Self {
        let bindings = C::all()
            .iter()
            .map(|&command| Binding {
                command,
                keys: command.default_keys().iter().filter_map(|spec| KeySpec::parse(spec).ok()).collect(),
            })
            .collect();
        Keymap { bindings }
    }
}

impl<C: CommandSet> Keymap<C> {
    /// Defaults with the given commands rebound. Every problem is returned and none is
    /// applied half: unknown commands, keys that are not keys, and one key left bound to
    /// two commands of the same set.
    pub fn with_overrides<'a>(
        overrides: impl IntoIterator<Item = (&'a str, &'a [String])>,
    ) -> Result<Keymap<C>, Vec<OverrideProblem>> {
        let mut keymap = Keymap::default();
        let mut problems = Vec::new();
        let mut rebound = Vec::new();
        for (name, specs) in overrides {
            let Some(command) = C::from_name(name) else {
                let known: Vec<&str> = C::all().iter().map(|command| command.name()).collect();
                problems.push(OverrideProblem {
                    command: name.to_owned(),
                    message: format!("no command \"{name}\" here (commands: {})", known.join(", ")),
                });
                continue;
            };
            match specs.iter().map(|spec| KeySpec::parse(spec)).collect::<Result<Vec<_>, _>>() {
                Ok(keys) => {
                    if let Some(binding) = keymap.bindings.iter_mut().find(|binding| binding.command == command) {
                        binding.keys = keys;
                        rebound.push(command);
                    }
                }
                Err(message) => problems.push(OverrideProblem { command: name.to_owned(), message }),
            }
        }
        if problems.is_empty() {
            problems.extend(keymap.clashes(&rebound));
        }
        if problems.is_empty() { Ok(keymap) } else { Err(problems) }
    }

    /// Keys bound to two commands, reported at the rebound command that caused it.
    fn clashes(&self, rebound: &[C]) -> Vec<OverrideProblem> {
        let mut problems = Vec::new();
        for &command in rebound {
            let Some(binding) = self.bindings.iter().find(|binding| binding.command == command) else { continue };
            for key in &binding.keys {
                let other = self.bindings.iter().find(|other| other.command != command && other.keys.contains(key));
                if let Some(other) = other {
                    problems.push(OverrideProblem {
                        command: command.name().to_owned(),
                        message: format!(
                            "{} is also the key of \"{}\"; rebind that one too, or pick another key",
                            key.label(),
                            other.command.name()
                        ),
                    });
                }
            }
        }
        problems
    }

    pub fn command_for(&self, key: &KeyEvent) -> Option<C> {
        self.bindings
            .iter()
            .find(|binding| binding.keys.iter().any(|spec| spec.matches(key)))
            .map(|binding| binding.command)
    }

    /// The keys of a command as shown to the operator: "j ↓".
    pub fn keys_of(&self, command: C) -> String {
        self.bindings
            .iter()
            .find(|binding| binding.command == command)
            .map(|binding| binding.keys.iter().map(KeySpec::label).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    }

    /// The first key of a command, for short hints: "p".
    pub fn first_key_of(&self, command: C) -> String {
        self.bindings
            .iter()
            .find(|binding| binding.command == command)
            .and_then(|binding| binding.keys.first())
            .map(KeySpec::label)
            .unwrap_or_default()
    }

    /// Every command with its keys and what it does, for the help overlay.
    pub fn help(&self) -> Vec<(String, &'static str)> {
        C::all().iter().map(|&command| (self.keys_of(command), command.description())).collect()
    }

    /// A hint line from commands: "p peek · n send".
    pub fn hints(&self, commands: &[(C, &str)]) -> String {
        commands
            .iter()
            .filter_map(|&(command, words)| {
                let key = self.first_key_of(command);
                (!key.is_empty()).then(|| format!("{key} {words}"))
            })
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// The README's table of this set, from the defaults (a test keeps the README equal).
    pub fn markdown_table() -> String {
        let keymap = Self::default();
        let section = C::SECTION.map(|section| format!(".{section}")).unwrap_or_default();
        let mut table = format!("| keys | command (`[ui.keys{section}]` name) | what it does |\n|---|---|---|\n");
        for &command in C::all() {
            let keys: Vec<String> = keymap.keys_of(command).split(' ').map(|key| format!("`{key}`")).collect();
            table.push_str(&format!("| {} | `{}` | {} |\n", keys.join(" "), command.name(), command.description()));
        }
        table
    }
}

/// Checks a set's defaults: no key bound twice, every default a key (the panels' sets are
/// checked through their registration).
#[cfg(test)]
pub fn assert_free_of_clashes<C: CommandSet>() {
    let keymap = Keymap::<C>::default();
    for binding in &keymap.bindings {
        for key in &binding.keys {
            let owners: Vec<_> = keymap.bindings.iter().filter(|other| other.keys.contains(key)).collect();
            assert_eq!(owners.len(), 1, "{} is bound twice in {}", key.label(), C::TITLE);
        }
        assert_eq!(
            binding.keys.len(),
            binding.command.default_keys().len(),
            "{:?} has an unparsable default",
            binding.command
        );
    }
}

/// Declares a command set, one line per command: `Variant = "name", [default keys], "what it
/// does";`. The enum, its order, its names, keys and descriptions come from that one line.
#[macro_export]
macro_rules! command_set {
    ($(#[$meta:meta])* $vis:vis enum $name:ident in $section:expr, $title:literal {
        $($variant:ident = $command:literal, [$($key:literal),* $(,)?], $description:literal;)+
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($variant,)+
        }

        impl $crate::app::keys::CommandSet for $name {
            const SECTION: Option<&'static str> = $section;
            const TITLE: &'static str = $title;

            fn all() -> &'static [Self] {
                &[$($name::$variant,)+]
            }

            fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $command,)+
                }
            }

            fn description(self) -> &'static str {
                match self {
                    $($name::$variant => $description,)+
                }
            }

            fn default_keys(self) -> &'static [&'static str] {
                match self {
                    $($name::$variant => &[$($key),*],)+
                }
            }
        }
    };
}
