//! The fleet table: what is on fire in the marked roles' accounts (alarms in ALARM) and every
//! queue of theirs, with the role it was listed through.
//! Only the rows on screen are formatted, so thousands of queues draw in a few milliseconds.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::view::{FleetRow, FleetView};
use crate::domain::sqs::QueueAttributes;
use crate::tui::base::theme::Theme;
use crate::tui::base::widgets::cell;
use crate::tui::panels::sqs::SqsCommand;
use crate::tui::state::State;

const COUNT_WIDTH: usize = 10;
const DEAD_LETTER_WIDTH: usize = 24;

pub fn render(frame: &mut Frame, area: Rect, state: &State, fleet: &FleetView, theme: Theme) {
    let [header, body, status] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)]).areas(area);
    let rows = fleet.rows();
    let loading = fleet.loading();
    let mut title = vec![
        Span::styled(" fleet ", theme.accent()),
        Span::raw(format!(
            " {} roles{} · {} queues · sort: {}{}",
            fleet.accounts.len(),
            match fleet.fire_count() {
                0 => String::new(),
                fires => format!(" · {fires} on fire"),
            },
            fleet.queue_count(),
            fleet.sort.label(),
            if fleet.descending { " (reversed)" } else { "" }
        )),
    ];
    if loading > 0 {
        title.push(Span::styled(format!(" · {loading} accounts loading…"), theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(title)), header);

    let inner_width = usize::from(body.width.saturating_sub(2));
    let widest_role = fleet.accounts.iter().map(|account| account.role.to_string().chars().count()).max();
    let role_width = (widest_role.unwrap_or(10) + 3).clamp(12, (inner_width / 3).max(12));
    let name_width = inner_width.saturating_sub(role_width + 3 * COUNT_WIDTH + DEAD_LETTER_WIDTH).max(10);
    let capacity = usize::from(body.height.saturating_sub(3)).max(1);
    let selected_place = fleet.place(&rows);
    let scroll = selected_place.saturating_sub(capacity - 1);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{}{}{}{}{}{}",
            cell("ROLE", role_width),
            cell("ALARM OR QUEUE", name_width),
            cell("VISIBLE", COUNT_WIDTH),
            cell("IN FLIGHT", COUNT_WIDTH),
            cell("DELAYED", COUNT_WIDTH),
            cell("DLQ", DEAD_LETTER_WIDTH)
        ),
        theme.dim(),
    ))];
    for (index, row) in rows.iter().enumerate().skip(scroll).take(capacity) {
        let selected = index == selected_place;
        let base = if selected { theme.selected() } else { Style::new() };
        let marker = if selected { "▸ " } else { "  " };
        let role = |account: usize| fleet.accounts.get(account).map(|account| account.role.to_string());
        lines.push(match row {
            FleetRow::Failed { account, error } => Line::from(vec![
                Span::styled(cell(&format!("{marker}{}", role(*account).unwrap_or_default()), role_width), base),
                Span::styled(error.to_string(), base.patch(theme.error())),
            ]),
            FleetRow::Fire { account, fire, .. } => Line::from(vec![
                Span::styled(cell(&format!("{marker}{}", role(*account).unwrap_or_default()), role_width), base),
                Span::styled(cell(&fire.name, name_width), base),
                Span::styled(cell(&fire.state, COUNT_WIDTH), base.patch(theme.error())),
                Span::styled(fire.detail.clone(), base.patch(theme.dim())),
            ]),
            FleetRow::Queue { account, queue, dead_letter } => {
                let panel = fleet.accounts.get(*account).map(|account| &account.panels.sqs);
                let number = |pick: fn(&QueueAttributes) -> Option<u64>| match (&queue.attributes, &queue.error) {
                    (_, Some(_)) => "error".to_owned(),
                    (Some(attributes), None) => pick(attributes).map_or_else(|| "-".to_owned(), |n| n.to_string()),
                    (None, None) => "…".to_owned(),
                };
                let visible = number(QueueAttributes::visible);
                let on_fire = *dead_letter && !matches!(visible.as_str(), "0" | "-" | "…" | "error");
                let dead_letter_text = if *dead_letter {
                    "(dead-letter queue)".to_owned()
                } else {
                    panel
                        .and_then(|panel| panel.dead_letter_of(queue))
                        .map_or_else(String::new, |name| format!("→ {name}"))
                };
                Line::from(vec![
                    Span::styled(cell(&format!("{marker}{}", role(*account).unwrap_or_default()), role_width), base),
                    Span::styled(cell(&queue.summary.name, name_width), base),
                    Span::styled(cell(&visible, COUNT_WIDTH), if on_fire { base.patch(theme.error()) } else { base }),
                    Span::styled(cell(&number(QueueAttributes::in_flight), COUNT_WIDTH), base),
                    Span::styled(cell(&number(QueueAttributes::delayed), COUNT_WIDTH), base),
                    Span::styled(cell(&dead_letter_text, DEAD_LETTER_WIDTH), base.patch(theme.dim())),
                ])
            }
        });
    }
    if rows.is_empty() {
        let message = if loading > 0 { "listing queues…" } else { "no queues in the marked accounts" };
        lines.push(Line::from(Span::styled(message, theme.dim())));
    }
    let block = Block::default().borders(Borders::ALL).title(" what is on fire, and every queue, in the marked roles ");
    frame.render_widget(Paragraph::new(lines).block(block), body);

    let keys = &state.keymaps.panel::<SqsCommand>();
    let key = |command: SqsCommand| keys.keys_of(command).split(' ').next().unwrap_or("").to_owned();
    let hints = format!(
        " {} open in its account · {} DLQ depth · {} account · {} name · {} visible · {} refresh · Esc back to the roles",
        key(SqsCommand::Open),
        key(SqsCommand::SortByDeadLetter),
        key(SqsCommand::SortByType),
        key(SqsCommand::SortByName),
        key(SqsCommand::SortByVisible),
        key(SqsCommand::Refresh),
    );
    let line = match &state.status {
        Some(status) if status.error => Line::from(Span::styled(format!(" {}", status.text), theme.error())),
        _ => Line::from(Span::styled(hints, theme.dim())),
    };
    frame.render_widget(Paragraph::new(line), status);
}
