//! The alarms panel driven directly: keys, ticks and its job's answers in, its screen and
//! jobs out, against the in-memory CloudWatch (calls counted at the fake).

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::{SignedDuration, Timestamp};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use switchboard::app::keys::Keymap;
use switchboard::domain::cloudwatch::fake::FakeCloudWatch;
use switchboard::domain::cloudwatch::{AlarmState, CloudWatch, CloudWatchService};
use switchboard::domain::credentials::Credentials;
use switchboard::domain::inventory::Inventory;
use switchboard::tui::base::row::RoleRow;
use switchboard::tui::base::theme::Theme;
use switchboard::tui::panels::alarms::{AlarmsPanel, Message};
use switchboard::tui::panels::{Job, KeyOutcome, NoSession, Panel, PanelContext, PanelUpdate, Progress, Services};

const INVENTORY: &str = include_str!("../fixtures/panels.toml");

struct Harness {
    panel: AlarmsPanel,
    row: RoleRow,
    now: Timestamp,
    cloudwatch: Arc<FakeCloudWatch>,
    services: Arc<Services>,
}

impl Harness {
    fn new(cloudwatch: FakeCloudWatch) -> Harness {
        let inventory = Inventory::parse(std::path::Path::new("accounts.toml"), INVENTORY).unwrap();
        let row =
            switchboard::tui::rows(&inventory).into_iter().find(|row| row.key.to_string() == "prod/admin").unwrap();
        let cloudwatch = Arc::new(cloudwatch);
        let credentials = Credentials::new("ASIATEST", "secret", Some("token".to_owned()), None);
        let services = Services::builder(row.key.clone(), credentials, &row.region)
            .with::<CloudWatchService>(Arc::clone(&cloudwatch) as Arc<dyn CloudWatch>)
            .offline()
            .build();
        Harness {
            panel: AlarmsPanel::new(Keymap::default()),
            row,
            now: "2026-11-21T09:00:00Z".parse().unwrap(),
            cloudwatch,
            services: Arc::new(services),
        }
    }

    fn context(&self) -> PanelContext<'_> {
        context(&self.row, self.now)
    }

    fn open(&mut self) -> Vec<Job<Message>> {
        self.panel.open(&context(&self.row, self.now))
    }

    fn tick(&mut self) -> Vec<Job<Message>> {
        self.panel.on_tick(&context(&self.row, self.now))
    }

    async fn run(&mut self, jobs: Vec<Job<Message>>) {
        for job in jobs {
            let progress: Progress<Message> = Arc::new(|_| {});
            let answer = job.run(Arc::clone(&self.services), progress).await;
            let more = self.panel.on_result(Ok(answer), &context(&self.row, self.now));
            assert!(more.is_empty());
        }
    }

    fn press(&mut self, code: KeyCode) -> KeyOutcome<Message> {
        self.panel.on_key(KeyEvent::new(code, KeyModifiers::NONE), &context(&self.row, self.now))
    }

    fn screen(&self) -> String {
        let mut terminal = Terminal::new(TestBackend::new(120, 20)).unwrap();
        terminal.draw(|frame| self.panel.render(frame, frame.area(), &self.context(), Theme { color: false })).unwrap();
        let buffer = terminal.backend().buffer();
        (0..buffer.area.height)
            .map(|y| (0..buffer.area.width).map(|x| buffer[(x, y)].symbol()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn context(row: &RoleRow, now: Timestamp) -> PanelContext<'_> {
    PanelContext { row, read_only: false, now, refresh_every: Duration::from_secs(5) }
}

fn three_alarms() -> FakeCloudWatch {
    FakeCloudWatch::new(vec![
        FakeCloudWatch::alarm("queue-ok", AlarmState::Ok, "fine"),
        FakeCloudWatch::alarm("queue-quiet", AlarmState::InsufficientData, "no datapoints"),
        FakeCloudWatch::alarm("queue-deep", AlarmState::Alarm, "42 > 10"),
    ])
}

fn position(screen: &str, text: &str) -> usize {
    screen.find(text).unwrap_or_else(|| panic!("{text} is not on screen:\n{screen}"))
}

#[tokio::test]
async fn alarms_in_alarm_come_first_and_only_they_are_on_fire() {
    let mut h = Harness::new(three_alarms());
    let jobs = h.open();
    assert_eq!(jobs.len(), 1);
    h.run(jobs).await;
    assert_eq!(h.cloudwatch.calls(), 1, "one DescribeAlarms");
    let screen = h.screen();
    assert!(position(&screen, "queue-deep") < position(&screen, "queue-quiet"), "{screen}");
    assert!(position(&screen, "queue-quiet") < position(&screen, "queue-ok"), "{screen}");
    assert!(screen.contains("3 alarms · 1 in ALARM · 1 insufficient data · 1 OK"), "{screen}");
    assert!(screen.contains("▸ ALARM"), "the first alarm is selected:\n{screen}");
    let fires = h.panel.fires();
    assert_eq!(fires.len(), 1);
    assert_eq!(
        (fires[0].name.as_str(), fires[0].state.as_str(), fires[0].detail.as_str()),
        ("queue-deep", "ALARM", "42 > 10")
    );
    assert!(h.open().is_empty(), "opened again (Tab back): no second read");
}

#[tokio::test]
async fn enter_shows_the_alarm_whole_and_the_filter_narrows_the_list() {
    let mut h = Harness::new(three_alarms());
    let jobs = h.open();
    h.run(jobs).await;
    h.press(KeyCode::Char('j'));
    h.press(KeyCode::Enter);
    let screen = h.screen();
    assert!(screen.contains("alarm      queue-quiet"), "{screen}");
    assert!(screen.contains("fires when > 10 for 1 of 1 × 60 s"), "{screen}");
    assert!(screen.contains("reason     no datapoints"), "{screen}");
    h.press(KeyCode::Esc);
    h.press(KeyCode::Char('/'));
    for typed in "ok".chars() {
        h.press(KeyCode::Char(typed));
    }
    let screen = h.screen();
    assert!(screen.contains("queue-ok") && !screen.contains("queue-deep"), "{screen}");
    assert_eq!(h.panel.hints(), "type to filter · Enter keeps · Esc clears");
    h.press(KeyCode::Enter);
    assert!(matches!(h.press(KeyCode::Esc), KeyOutcome::Handled(_)), "Esc clears the kept filter first");
    assert!(h.screen().contains("queue-deep"));
    assert!(matches!(h.press(KeyCode::Esc), KeyOutcome::Ignored), "then Esc is the screen's: back to the roles");
}

#[tokio::test]
async fn the_list_is_read_again_when_due_and_an_older_answer_is_dropped() {
    let mut h = Harness::new(three_alarms());
    let jobs = h.open();
    h.run(jobs).await;
    h.now = h.now.checked_add(SignedDuration::from_secs(3)).unwrap();
    assert!(h.tick().is_empty(), "not due yet");
    h.now = h.now.checked_add(SignedDuration::from_secs(3)).unwrap();
    let stale = h.tick();
    assert_eq!(stale.len(), 1, "due after refresh_every");
    h.cloudwatch.set_state("queue-ok", AlarmState::Alarm, "now deep too");
    let KeyOutcome::Handled(fresh) = h.press(KeyCode::Char('r')) else { panic!("r reads again") };
    h.run(fresh).await;
    assert_eq!(h.panel.fires().len(), 2, "the newer read: two in ALARM");
    h.cloudwatch.set_state("queue-ok", AlarmState::Ok, "fine again");
    h.run(stale).await;
    assert_eq!(h.panel.fires().len(), 2, "the older read's answer is dropped");
    assert_eq!(h.cloudwatch.calls(), 3);
}

#[tokio::test]
async fn an_error_keeps_what_was_read_and_says_why_and_a_missing_code_lets_r_renew() {
    let mut h = Harness::new(three_alarms());
    let jobs = h.open();
    h.run(jobs).await;
    h.cloudwatch.deny();
    let KeyOutcome::Handled(jobs) = h.press(KeyCode::Char('r')) else { panic!("r reads again") };
    h.run(jobs).await;
    let screen = h.screen();
    assert!(screen.contains("prod/admin: DescribeAlarms: access denied"), "{screen}");
    assert!(screen.contains("queue-deep"), "what was read stays:\n{screen}");
    assert!(h.panel.fires().iter().any(|fire| fire.state == "unread" && fire.detail.contains("access denied")));

    // No session without a code: the panel says so, and r goes to the screen to renew.
    let needs = NoSession::NeedsMfa { role: h.row.key.clone(), device: "arn:aws:iam::123456789012:mfa/alice".into() };
    h.panel.on_result(Err(needs), &context(&h.row, h.now));
    assert!(h.screen().contains("the session needs an MFA code"), "{}", h.screen());
    assert!(h.tick().is_empty(), "no retry while a code is needed");
    assert!(matches!(h.press(KeyCode::Char('r')), KeyOutcome::Ignored), "r: the screen renews the role");
    assert!(matches!(h.press(KeyCode::Char('r')), KeyOutcome::Handled(jobs) if jobs.len() == 1), "the next r reads");
}
