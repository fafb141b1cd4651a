//! The alarms panel: every CloudWatch alarm of the account and region, those in ALARM first,
//! then INSUFFICIENT_DATA, then OK, with since when, what each watches, when it fires and why
//! it is in its state. Enter shows one alarm whole; `/` filters; the list is read again every
//! `panel_refresh`, like the SQS panel's counts. In the fleet view, the alarms in ALARM of
//! every marked account join the table (`fires`).

mod commands;

use crossterm::event::{KeyCode, KeyEvent};
use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::panel::{Fire, Job, KeyOutcome, Panel, PanelContext, PanelUpdate, Reply, job};
use super::services::NoSession;
use crate::app::keys::Keymap;
use crate::domain::cloudwatch::{Alarm, AlarmState, CloudWatchError, CloudWatchService};
use crate::tui::base::row::RowState;
use crate::tui::base::theme::Theme;
use crate::tui::base::widgets::cell;

pub use commands::AlarmsCommand;

/// What the panel's one job answers.
#[derive(Debug)]
pub enum Message {
    Read { generation: u64, result: Result<Vec<Alarm>, CloudWatchError> },
}

#[derive(Debug, Default)]
pub struct AlarmsPanel {
    keys: Keymap<AlarmsCommand>,
    /// As CloudWatch gave them, most urgent first (see `cloudwatch::sort`).
    pub alarms: Vec<Alarm>,
    pub error: Option<String>,
    loading: bool,
    /// Answers to an older read are dropped.
    generation: u64,
    /// When the alarms were last asked for (the next read is due `refresh_every` after).
    asked_at: Option<Timestamp>,
    read_at: Option<Timestamp>,
    /// The selected alarm, by name: kept when a read or the filter moves it.
    selected: Option<String>,
    filter: String,
    filtering: bool,
    detail: bool,
    /// The role's session needs a code: `r` goes to the screen, which may ask for it.
    needs_mfa: bool,
    /// The last error was "no session" (the fleet's row for the account says so already).
    no_session: bool,
}

/// Rows a page key moves.
const PAGE: usize = 15;

impl AlarmsPanel {
    fn read(&mut self, now: Timestamp) -> Vec<Job<Message>> {
        self.generation += 1;
        self.loading = true;
        self.asked_at = Some(now);
        let generation = self.generation;
        vec![job(move |services, _| async move {
            Message::Read { generation, result: services.client::<CloudWatchService>().alarms().await }
        })]
    }

    /// The alarms the filter shows, in order: every word must be in the name, the state, the
    /// metric or the reason.
    pub fn shown(&self) -> Vec<&Alarm> {
        let words: Vec<String> = self.filter.to_lowercase().split_whitespace().map(str::to_owned).collect();
        self.alarms
            .iter()
            .filter(|alarm| {
                let text = format!("{} {} {} {}", alarm.name, alarm.state.label(), alarm.watches, alarm.reason);
                let text = text.to_lowercase();
                words.iter().all(|word| text.contains(word.as_str()))
            })
            .collect()
    }

    fn place(&self, shown: &[&Alarm]) -> usize {
        let found = self.selected.as_ref().and_then(|name| shown.iter().position(|alarm| &alarm.name == name));
        found.unwrap_or(0)
    }

    fn select(&mut self, by: isize) {
        let shown = self.shown();
        if shown.is_empty() {
            return;
        }
        let place = (self.place(&shown) as isize).saturating_add(by).clamp(0, shown.len() as isize - 1);
        self.selected = Some(shown[place as usize].name.clone());
    }

    fn on_filter_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Char(typed) => self.filter.push(typed),
            KeyCode::Backspace => {
                self.filter.pop();
            }
            KeyCode::Enter => self.filtering = false,
            KeyCode::Esc => {
                self.filter.clear();
                self.filtering = false;
            }
            _ => {}
        }
    }
}

impl PanelUpdate for AlarmsPanel {
    type Message = Message;
    type Commands = AlarmsCommand;
    const IN_FLEET: bool = true;

    fn new(keys: Keymap<AlarmsCommand>) -> Self {
        Self { keys, ..Self::default() }
    }

    fn open(&mut self, context: &PanelContext) -> Vec<Job<Message>> {
        if self.generation > 0 { Vec::new() } else { self.read(context.now) }
    }

    fn reload(&mut self, context: &PanelContext) -> Vec<Job<Message>> {
        self.read(context.now)
    }

    fn on_key(&mut self, key: KeyEvent, context: &PanelContext) -> KeyOutcome<Message> {
        if self.filtering {
            self.on_filter_key(key);
            return KeyOutcome::Handled(Vec::new());
        }
        let Some(command) = self.keys.command_for(&key) else { return KeyOutcome::Ignored };
        match command {
            // The panel never asks for a code itself: r lets the screen renew (and ask).
            AlarmsCommand::Refresh if self.needs_mfa => {
                self.needs_mfa = false;
                return KeyOutcome::Ignored;
            }
            AlarmsCommand::Refresh => return KeyOutcome::Handled(self.read(context.now)),
            AlarmsCommand::Back if self.detail => self.detail = false,
            AlarmsCommand::Back if !self.filter.is_empty() => self.filter.clear(),
            AlarmsCommand::Back => return KeyOutcome::Ignored,
            AlarmsCommand::Open => self.detail = !self.shown().is_empty(),
            AlarmsCommand::Filter => {
                self.detail = false;
                self.filtering = true;
            }
            AlarmsCommand::Up => self.select(-1),
            AlarmsCommand::Down => self.select(1),
            AlarmsCommand::PageUp => self.select(-(PAGE as isize)),
            AlarmsCommand::PageDown => self.select(PAGE as isize),
            AlarmsCommand::Top => self.select(isize::MIN / 2),
            AlarmsCommand::Bottom => self.select(isize::MAX / 2),
        }
        KeyOutcome::Handled(Vec::new())
    }

    fn on_paste(&mut self, text: &str) -> bool {
        if self.filtering {
            self.filter.push_str(text.trim());
        }
        self.filtering
    }

    fn on_result(&mut self, reply: Reply<Message>, context: &PanelContext) -> Vec<Job<Message>> {
        match reply {
            Ok(Message::Read { generation, .. }) if generation != self.generation => {}
            Ok(Message::Read { result: Ok(alarms), .. }) => {
                self.loading = false;
                self.error = None;
                self.no_session = false;
                self.read_at = Some(context.now);
                self.alarms = alarms;
                if self.selected.as_ref().is_none_or(|name| !self.alarms.iter().any(|alarm| &alarm.name == name)) {
                    self.selected = self.alarms.first().map(|alarm| alarm.name.clone());
                }
            }
            // What was read before stays on screen under the error.
            Ok(Message::Read { result: Err(error), .. }) => {
                self.loading = false;
                self.no_session = false;
                self.error = Some(format!("{}: {error}", context.row.key));
            }
            Err(no_session) => {
                self.loading = false;
                self.needs_mfa = matches!(no_session, NoSession::NeedsMfa { .. });
                self.no_session = true;
                self.error = Some(no_session.to_string());
            }
        }
        Vec::new()
    }

    fn on_tick(&mut self, context: &PanelContext) -> Vec<Job<Message>> {
        let due = self
            .asked_at
            .is_some_and(|at| context.now.duration_since(at).as_secs() >= context.refresh_every.as_secs() as i64);
        if due && !self.loading && !self.needs_mfa { self.read(context.now) } else { Vec::new() }
    }
}

fn state_style(state: AlarmState, theme: Theme) -> Style {
    match state {
        AlarmState::Alarm => theme.error(),
        AlarmState::InsufficientData => theme.state(RowState::Expiring),
        AlarmState::Ok => theme.state(RowState::Valid),
    }
}

/// How long ago: `45s`, `12m`, `3h05m`, `4d`.
fn age(now: Timestamp, since: Option<Timestamp>) -> String {
    let Some(since) = since else { return "-".to_owned() };
    let seconds = now.duration_since(since).as_secs().max(0);
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m", seconds / 60),
        3600..172_800 => format!("{}h{:02}m", seconds / 3600, seconds % 3600 / 60),
        _ => format!("{}d", seconds / 86_400),
    }
}

impl AlarmsPanel {
    fn summary(&self, now: Timestamp, theme: Theme) -> Line<'static> {
        let count = |state| self.alarms.iter().filter(|alarm| alarm.state == state).count();
        let mut spans = vec![
            Span::raw(format!("{} alarms · ", self.alarms.len())),
            Span::styled(format!("{} in ALARM", count(AlarmState::Alarm)), theme.error()),
            Span::raw(format!(" · {} insufficient data · {} OK", count(AlarmState::InsufficientData), count(AlarmState::Ok))),
        ];
        let status = match (self.loading, self.read_at) {
            (true, _) => " · reading…".to_owned(),
            (false, Some(at)) => format!(" · read {} ago", age(now, Some(at))),
            (false, None) => String::new(),
        };
        spans.push(Span::styled(status, theme.dim()));
        if self.filtering || !self.filter.is_empty() {
            let cursor = if self.filtering { "▏" } else { "" };
            spans.push(Span::styled(format!("  /{}{cursor}", self.filter), theme.accent()));
        }
        Line::from(spans)
    }

    fn render_list(&self, lines: &mut Vec<Line<'static>>, area: Rect, now: Timestamp, theme: Theme) {
        let shown = self.shown();
        // Columns as wide as what they hold (within bounds); the reason takes what is left.
        let width = usize::from(area.width.saturating_sub(2));
        let widest = |pick: fn(&Alarm) -> usize, least: usize, most: usize| {
            shown.iter().map(|alarm| pick(alarm) + 1).max().unwrap_or(least).clamp(least, most.max(least))
        };
        let (state_width, since_width) = (20, 8);
        let name_width = widest(|alarm| alarm.name.chars().count(), 8, width / 4);
        let threshold_width = widest(|alarm| alarm.threshold.chars().count(), 10, 26);
        let rest = width.saturating_sub(state_width + since_width + name_width + threshold_width);
        let metric_width = widest(|alarm| alarm.watches.chars().count(), 8, rest * 2 / 5);
        let reason_width = rest.saturating_sub(metric_width);
        let heading: String = [
            ("  STATE", state_width),
            ("SINCE", since_width),
            ("ALARM", name_width),
            ("METRIC", metric_width),
            ("THRESHOLD", threshold_width),
            ("REASON", reason_width),
        ]
        .iter()
        .map(|(text, width)| cell(text, *width))
        .collect();
        lines.push(Line::from(Span::styled(heading, theme.dim())));
        let place = self.place(&shown);
        let capacity = usize::from(area.height.saturating_sub(5)).max(1);
        let scroll = place.saturating_sub(capacity - 1);
        for (index, alarm) in shown.iter().enumerate().skip(scroll).take(capacity) {
            let (base, marker) = if index == place { (theme.selected(), "▸ ") } else { (Style::new(), "  ") };
            let state = format!("{marker}{}", alarm.state.label());
            lines.push(Line::from(vec![
                Span::styled(cell(&state, state_width), base.patch(state_style(alarm.state, theme))),
                Span::styled(cell(&age(now, alarm.since), since_width), base),
                Span::styled(cell(&alarm.name, name_width), base),
                Span::styled(cell(&alarm.watches, metric_width), base.patch(theme.dim())),
                Span::styled(cell(&alarm.threshold, threshold_width), base),
                Span::styled(cell(&alarm.reason, reason_width), base),
            ]));
        }
        if shown.is_empty() && !self.loading {
            let empty = if self.alarms.is_empty() { "no alarms in this account and region" } else { "no alarm matches" };
            lines.push(Line::from(Span::styled(empty, theme.dim())));
        }
    }

    fn render_detail(&self, lines: &mut Vec<Line<'static>>, now: Timestamp, theme: Theme) {
        let shown = self.shown();
        let Some(alarm) = shown.get(self.place(&shown)) else { return };
        let field = |name: &str, value: String, style: Style| {
            Line::from(vec![Span::styled(format!("{name:<11}"), theme.dim()), Span::styled(value, style)])
        };
        let since = alarm.since.map(|at| format!("{} ago ({})", age(now, Some(at)), at.strftime("%Y-%m-%d %H:%M:%S UTC")));
        let since = since.unwrap_or_else(|| "-".into());
        lines.extend([
            field("alarm", alarm.name.clone(), theme.account()),
            field("state", alarm.state.label().to_owned(), state_style(alarm.state, theme)),
            field("since", since, Style::new()),
            field("reason", alarm.reason.clone(), Style::new()),
            field("watches", alarm.watches.clone(), Style::new()),
            field("fires when", alarm.threshold.clone(), Style::new()),
            field("actions", if alarm.actions_enabled { "enabled" } else { "disabled" }.to_owned(), Style::new()),
            field("arn", alarm.arn.clone(), theme.dim()),
        ]);
        if let Some(description) = &alarm.description {
            lines.push(field("about", description.clone(), Style::new()));
        }
    }
}

impl Panel for AlarmsPanel {
    fn title(&self) -> &'static str {
        "alarms"
    }

    fn render(&self, frame: &mut Frame, area: Rect, context: &PanelContext, theme: Theme) {
        let mut lines = vec![self.summary(context.now, theme)];
        if let Some(error) = &self.error {
            lines.push(Line::from(Span::styled(error.clone(), theme.error())));
        }
        lines.push(Line::raw(""));
        if self.detail {
            self.render_detail(&mut lines, context.now, theme);
        } else {
            self.render_list(&mut lines, area, context.now, theme);
        }
        let title = format!(" alarms of {} in {} ", context.row.key.account, context.row.region);
        let block = Block::default().borders(Borders::ALL).title(title);
        let paragraph = Paragraph::new(lines).block(block);
        let paragraph = if self.detail { paragraph.wrap(Wrap { trim: false }) } else { paragraph };
        frame.render_widget(paragraph, area);
    }

    fn hints(&self) -> String {
        if self.filtering {
            return "type to filter · Enter keeps · Esc clears".to_owned();
        }
        use AlarmsCommand as C;
        let keys = if self.detail {
            self.keys.hints(&[(C::Up, "previous"), (C::Down, "next"), (C::Refresh, "refresh"), (C::Back, "back")])
        } else {
            self.keys.hints(&[(C::Open, "detail"), (C::Filter, "filter"), (C::Refresh, "refresh"), (C::Back, "back")])
        };
        format!("{keys} · Tab next panel")
    }

    fn commands(&self) -> Vec<(String, &'static str)> {
        self.keys.help()
    }

    fn fires(&self) -> Vec<Fire> {
        let alarming = self.alarms.iter().filter(|alarm| alarm.state == AlarmState::Alarm);
        let mut fires: Vec<Fire> = alarming
            .map(|alarm| Fire { name: alarm.name.clone(), state: "ALARM".to_owned(), detail: alarm.reason.clone() })
            .collect();
        if let Some(error) = self.error.as_ref().filter(|_| !self.no_session) {
            fires.push(Fire { name: "(alarms)".to_owned(), state: "unread".to_owned(), detail: error.clone() });
        }
        fires
    }
}
