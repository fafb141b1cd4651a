//! Identity: GetCallerIdentity through the session, with its expiry and the chain behind it.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::domain::sts::CallerIdentity;
use crate::domain::duration::{format_countdown, time_left};

use super::panel::{Job, KeyOutcome, Panel, PanelContext, PanelUpdate, Reply, job};
use crate::app::keys::Keymap;
use crate::domain::sts::StsService;
use crate::tui::base::theme::Theme;

crate::command_set! {
    pub enum IdentityCommand in Some("identity"), "the identity panel" {
        Reload = "reload", ["r"], "ask STS again who the session is";
    }
}

/// The identity panel's results.
#[derive(Debug)]
pub enum Message {
    Identified(Result<CallerIdentity, String>),
}

#[derive(Debug, Default)]
pub struct IdentityPanel {
    identity: Option<Result<CallerIdentity, String>>,
    loading: bool,
    /// Defaults with `[ui.keys.identity]` applied.
    keys: Keymap<IdentityCommand>,
}

fn load() -> Job<Message> {
    job(|services, _| async move {
        let found = services.client::<StsService>().caller_identity(&services.credentials, &services.region).await;
        Message::Identified(found.map_err(|error| error.to_string()))
    })
}

impl PanelUpdate for IdentityPanel {
    type Message = Message;
    type Commands = IdentityCommand;

    fn new(keys: Keymap<IdentityCommand>) -> Self {
        Self { keys, ..Self::default() }
    }

    fn open(&mut self, _context: &PanelContext) -> Vec<Job<Message>> {
        if self.identity.is_some() || self.loading {
            return Vec::new();
        }
        self.loading = true;
        vec![load()]
    }

    fn on_key(&mut self, key: KeyEvent, _context: &PanelContext) -> KeyOutcome<Message> {
        match self.keys.command_for(&key) {
            Some(IdentityCommand::Reload) => {
                self.loading = true;
                KeyOutcome::Handled(vec![load()])
            }
            None => KeyOutcome::Ignored,
        }
    }

    fn on_result(&mut self, reply: Reply<Message>, _context: &PanelContext) -> Vec<Job<Message>> {
        self.loading = false;
        self.identity = Some(match reply {
            Ok(Message::Identified(found)) => found,
            Err(no_session) => Err(no_session.to_string()),
        });
        Vec::new()
    }
}

impl Panel for IdentityPanel {
    fn title(&self) -> &'static str {
        "identity"
    }

    fn render(&self, frame: &mut Frame, area: Rect, context: &PanelContext, theme: Theme) {
        let row = context.row;
        let expiry = match row.expires_at {
            Some(until) if until > context.now => {
                format!("{} left (until {})", format_countdown(time_left(context.now, until)), until)
            }
            Some(until) => format!("expired at {until}"),
            None => "no session yet".to_owned(),
        };
        let field = |name: &str, value: String| {
            Line::from(vec![Span::styled(format!("{name:<10}"), theme.dim()), Span::raw(value)])
        };
        let mut lines = match &self.identity {
            None => vec![Line::from(Span::styled("asking STS who this session is…", theme.dim()))],
            Some(Err(message)) => {
                vec![Line::from(Span::styled(format!("GetCallerIdentity as {}: {message}", row.key), theme.error()))]
            }
            Some(Ok(identity)) => vec![
                field("account", identity.account.clone()),
                field("arn", identity.arn.clone()),
                field("user id", identity.user_id.clone()),
            ],
        };
        lines.push(field("region", row.region.to_string()));
        lines.push(field("session", expiry));
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled("chain", theme.accent())));
        for (number, layer) in row.layers.iter().enumerate() {
            lines.push(Line::from(vec![
                Span::raw(format!("{}. {:<13} ", number + 1, layer.layer.label())),
                Span::styled(layer.layer.why(), theme.dim()),
            ]));
        }
        let block = Block::default().borders(Borders::ALL).title(" identity ");
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }).block(block), area);
    }

    fn commands(&self) -> Vec<(String, &'static str)> {
        self.keys.help()
    }

    fn hints(&self) -> String {
        // Tab and Esc are the screen's keys around every panel.
        format!("{} · Tab next panel · Esc back", self.keys.hints(&[(IdentityCommand::Reload, "reload")]))
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyModifiers};

    use super::*;

    #[test]
    fn reload_is_a_command_with_a_key_and_its_hint_comes_from_it() {
        let keys = Keymap::<IdentityCommand>::default();
        let command = |code, modifiers| keys.command_for(&KeyEvent::new(code, modifiers));
        assert_eq!(command(KeyCode::Char('r'), KeyModifiers::NONE), Some(IdentityCommand::Reload));
        assert_eq!(command(KeyCode::Char('r'), KeyModifiers::CONTROL), None);
        assert_eq!(command(KeyCode::Char('R'), KeyModifiers::SHIFT), None);
        assert_eq!(IdentityPanel::default().hints(), "r reload · Tab next panel · Esc back");
    }
}
