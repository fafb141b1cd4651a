//! Identity: GetCallerIdentity through the session, with its expiry and the chain behind it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::domain::sts::CallerIdentity;
use crate::domain::time::{format_countdown, time_left};

use super::{Job, KeyOutcome, Panel, PanelContext, Payload, job};
use crate::tui::ui::theme::Theme;

#[derive(Debug, Default)]
pub struct IdentityPanel {
    identity: Option<Result<CallerIdentity, String>>,
    loading: bool,
}

fn load() -> Job {
    job(|services| async move {
        services.sts.caller_identity(&services.credentials, &services.region).await.map_err(|error| error.to_string())
    })
}

impl Panel for IdentityPanel {
    fn title(&self) -> &'static str {
        "identity"
    }

    fn open(&mut self, _context: &PanelContext) -> Vec<Job> {
        if self.identity.is_some() || self.loading {
            return Vec::new();
        }
        self.loading = true;
        vec![load()]
    }

    fn on_key(&mut self, key: crossterm::event::KeyEvent, _context: &PanelContext) -> KeyOutcome {
        match key.code {
            crossterm::event::KeyCode::Char('r') => {
                self.loading = true;
                KeyOutcome::Handled(vec![load()])
            }
            _ => KeyOutcome::Ignored,
        }
    }

    fn on_result(&mut self, result: Result<Payload, String>, _context: &PanelContext) -> Vec<Job> {
        self.loading = false;
        self.identity = Some(match result {
            Ok(payload) => match payload.downcast::<Result<CallerIdentity, String>>() {
                Ok(found) => *found,
                Err(_) => return Vec::new(),
            },
            Err(message) => Err(message),
        });
        Vec::new()
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
        lines.push(field("region", row.region.clone()));
        lines.push(field("session", expiry));
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled("chain", theme.accent())));
        for (number, layer) in row.layers.iter().enumerate() {
            lines.push(Line::from(vec![
                Span::raw(format!("{}. {:<13} ", number + 1, layer.label)),
                Span::styled(layer.why.clone(), theme.dim()),
            ]));
        }
        let block = Block::default().borders(Borders::ALL).title(" identity ");
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }).block(block), area);
    }

    fn hints(&self) -> String {
        "r reload · Tab next panel · Esc back".to_owned()
    }
}
