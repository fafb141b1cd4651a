//! Colours by meaning. With NO_COLOR set, only bold/reverse/dim remain.

use ratatui::style::{Color, Modifier, Style};

use super::row::RowState;

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn fg(self, color: Color) -> Style {
        if self.color { Style::new().fg(color) } else { Style::new() }
    }

    pub fn state(self, state: RowState) -> Style {
        match state {
            RowState::None => self.fg(Color::DarkGray),
            RowState::Valid => self.fg(Color::Green),
            RowState::Expiring => self.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            RowState::Expired => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            RowState::Refreshing => self.fg(Color::Cyan),
            RowState::NeedsMfa | RowState::NeedsSignIn => self.fg(Color::Magenta).add_modifier(Modifier::BOLD),
            RowState::Error => self.fg(Color::Red).add_modifier(Modifier::BOLD),
        }
    }

    pub fn environment(self, production: bool) -> Style {
        if production { self.fg(Color::Red).add_modifier(Modifier::BOLD) } else { self.fg(Color::Blue) }
    }

    pub fn account(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn dim(self) -> Style {
        if self.color { Style::new().fg(Color::DarkGray) } else { Style::new().add_modifier(Modifier::DIM) }
    }

    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn accent(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn border(self, production: bool) -> Style {
        if production { self.fg(Color::Red) } else { Style::new() }
    }
}
