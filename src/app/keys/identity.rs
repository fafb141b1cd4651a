//! The commands of the identity panel, rebound in `[ui.keys.identity]`.

use super::keymap::CommandSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentityCommand {
    Reload,
}

impl CommandSet for IdentityCommand {
    const SECTION: Option<&'static str> = Some("identity");
    const TITLE: &'static str = "the identity panel";

    fn all() -> &'static [Self] {
        &[IdentityCommand::Reload]
    }

    fn name(self) -> &'static str {
        match self {
            IdentityCommand::Reload => "reload",
        }
    }

    fn description(self) -> &'static str {
        match self {
            IdentityCommand::Reload => "ask STS again who the session is",
        }
    }

    fn default_keys(self) -> &'static [&'static str] {
        match self {
            IdentityCommand::Reload => &["r"],
        }
    }
}
