//! The fleet view: every queue of the marked roles in one table, with an account column,
//! sorted by dead-letter depth first (what is on fire across the fleet).
//!
//! Each marked role gets the panels of its own that work in the fleet (`PanelUpdate::IN_FLEET`:
//! the SQS panel, the alarms panel), driven through `Panels` as in the account view, so
//! listing, counting, generations and errors work exactly as there. The queues come from the
//! SQS panel; what other panels find on fire (`Panel::fires`: alarms in ALARM) joins the
//! table above them. The view only decides when each account works: at most
//! `ACCOUNTS_AT_ONCE` accounts list or count at a time, and the others wait for their turn,
//! first opened, then due to recount.

use std::cmp::{Ordering, Reverse};

use crate::domain::inventory::RoleKey;
use crate::domain::sqs::QueueAttributes;

use crate::app::keys::Keymaps;
use crate::tui::panels::sqs::QueueRow;
use crate::tui::panels::{Fire, PanelContext, PanelId, PanelJob, PanelMessage, Panels, Request};

/// Accounts listing or counting at once: enough to fill the screen quickly, few enough
/// that a hundred marked accounts do not all call at the same moment.
pub const ACCOUNTS_AT_ONCE: usize = 4;

/// How the fleet table is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FleetSort {
    /// Dead-letter queues by depth, then every other queue by depth.
    OnFire,
    Account,
    Name,
    Visible,
    InFlight,
    Delayed,
}

impl FleetSort {
    pub fn label(self) -> &'static str {
        match self {
            FleetSort::OnFire => "DLQ depth",
            FleetSort::Account => "account",
            FleetSort::Name => "name",
            FleetSort::Visible => "visible",
            FleetSort::InFlight => "in flight",
            FleetSort::Delayed => "delayed",
        }
    }
}

/// One marked role: its own panels, and how many of their jobs are out.
#[derive(Debug)]
pub struct FleetAccount {
    pub role: RoleKey,
    pub panels: Panels,
    /// Opened once: later turns reload.
    pub opened: bool,
    /// Listed (or asked to) since the view opened or was refreshed.
    pub started: bool,
    pub pending: usize,
    /// Why no session could be had for the role, when its jobs were refused.
    pub error: Option<String>,
}

impl FleetAccount {
    pub fn new(role: RoleKey, keymaps: &Keymaps) -> FleetAccount {
        FleetAccount { role, panels: Panels::new(keymaps), opened: false, started: false, pending: 0, error: None }
    }

    pub fn busy(&self) -> bool {
        self.pending > 0
    }
}

/// A line of the fleet table: an account that could not be listed, something on fire in
/// it, or one of its queues.
#[derive(Debug, Clone)]
pub enum FleetRow<'a> {
    Failed {
        account: usize,
        error: &'a str,
    },
    /// Found by the panel `panel` (Enter opens the account on it).
    Fire {
        account: usize,
        panel: PanelId,
        fire: Fire,
    },
    Queue {
        account: usize,
        queue: &'a QueueRow,
        dead_letter: bool,
    },
}

#[derive(Debug)]
pub struct FleetView {
    /// Tells apart results for this view from those of one closed before.
    pub id: u64,
    pub accounts: Vec<FleetAccount>,
    pub sort: FleetSort,
    pub descending: bool,
    /// The selected row's place, until the operator moves: then `pinned` holds the queue.
    pub selected: usize,
    /// The queue the operator moved to (account, URL): it stays selected wherever counts
    /// arriving or a new sort move it.
    pub pinned: Option<(usize, String)>,
}

fn count(queue: &QueueRow, pick: fn(&QueueAttributes) -> Option<u64>) -> Option<u64> {
    queue.attributes.as_ref().and_then(pick)
}

impl FleetView {
    pub fn new(id: u64, roles: impl IntoIterator<Item = RoleKey>, keymaps: &Keymaps) -> FleetView {
        FleetView {
            id,
            accounts: roles.into_iter().map(|role| FleetAccount::new(role, keymaps)).collect(),
            sort: FleetSort::OnFire,
            descending: false,
            selected: 0,
            pinned: None,
        }
    }

    pub fn queue_count(&self) -> usize {
        self.accounts.iter().map(|account| account.panels.sqs.queues.len()).sum()
    }

    /// What the accounts' panels found on fire (alarms in ALARM).
    pub fn fire_count(&self) -> usize {
        self.accounts.iter().map(|account| account.panels.fires().len()).sum()
    }

    /// Accounts not listed yet or with work out.
    pub fn loading(&self) -> usize {
        self.accounts.iter().filter(|account| account.busy() || !account.started).count()
    }

    /// The table in display order: accounts that failed first, then what is on fire (alarms
    /// in ALARM, by account), then the queues, sorted.
    pub fn rows(&self) -> Vec<FleetRow<'_>> {
        let mut failed = Vec::new();
        let mut fires = Vec::new();
        let mut queues = Vec::with_capacity(self.queue_count());
        for (index, account) in self.accounts.iter().enumerate() {
            if let Some(error) = account.error.as_ref().or(account.panels.sqs.list_error.as_ref()) {
                failed.push(FleetRow::Failed { account: index, error });
            }
            let found = account.panels.fires().into_iter();
            fires.extend(found.map(|(panel, fire)| FleetRow::Fire { account: index, panel, fire }));
            for queue in &account.panels.sqs.queues {
                let dead_letter = account.panels.sqs.is_dead_letter(queue);
                queues.push((index, queue, dead_letter));
            }
        }
        queues.sort_by(|a, b| self.compare(a, b));
        if self.descending {
            queues.reverse();
        }
        failed.extend(fires);
        failed.extend(queues.into_iter().map(|(account, queue, dead_letter)| FleetRow::Queue {
            account,
            queue,
            dead_letter,
        }));
        failed
    }

    fn compare(&self, a: &(usize, &QueueRow, bool), b: &(usize, &QueueRow, bool)) -> Ordering {
        let then = |a: &(usize, &QueueRow, bool), b: &(usize, &QueueRow, bool)| {
            (a.0, &a.1.summary.name).cmp(&(b.0, &b.1.summary.name))
        };
        let by = |pick: fn(&QueueAttributes) -> Option<u64>| {
            count(a.1, pick).cmp(&count(b.1, pick)).then_with(|| then(a, b))
        };
        match self.sort {
            FleetSort::OnFire => {
                let fire = |row: &(usize, &QueueRow, bool)| {
                    let depth = count(row.1, QueueAttributes::visible).unwrap_or(0);
                    (Reverse(if row.2 { depth } else { 0 }), !row.2, Reverse(depth))
                };
                fire(a).cmp(&fire(b)).then_with(|| then(a, b))
            }
            FleetSort::Account => then(a, b),
            FleetSort::Name => (&a.1.summary.name, a.0).cmp(&(&b.1.summary.name, b.0)),
            FleetSort::Visible => by(QueueAttributes::visible),
            FleetSort::InFlight => by(QueueAttributes::in_flight),
            FleetSort::Delayed => by(QueueAttributes::delayed),
        }
    }

    /// The selected row's place in `rows` (as `rows()` gave them).
    pub fn place(&self, rows: &[FleetRow]) -> usize {
        let pinned = self.pinned.as_ref().and_then(|(account, url)| {
            rows.iter().position(|row| {
                matches!(row, FleetRow::Queue { account: at, queue, .. } if at == account && &queue.summary.url == url)
            })
        });
        pinned.unwrap_or(self.selected).min(rows.len().saturating_sub(1))
    }

    /// Selects the row at `place` (clamped), and pins its queue.
    pub fn select(&mut self, place: usize) {
        let rows = self.rows();
        let place = place.min(rows.len().saturating_sub(1));
        let pinned = match rows.get(place) {
            Some(FleetRow::Queue { account, queue, .. }) => Some((*account, queue.summary.url.clone())),
            _ => None,
        };
        self.selected = place;
        self.pinned = pinned;
    }

    /// The same sort again flips its direction, as in the account panel.
    pub fn sort_by(&mut self, sort: FleetSort) {
        self.descending = sort == self.sort && !self.descending;
        self.sort = sort;
    }

    /// Lists every account again (their turns come as for opening).
    pub fn refresh(&mut self) {
        for account in &mut self.accounts {
            account.started = false;
        }
    }

    /// Gives accounts their turn: the ones never listed first, then the ones due to recount,
    /// while fewer than `ACCOUNTS_AT_ONCE` are busy. `context` is each role's context.
    pub fn fill<'r>(
        &mut self,
        context: impl Fn(&RoleKey) -> Option<PanelContext<'r>>,
    ) -> Vec<(RoleKey, Vec<PanelJob>)> {
        let mut busy = self.accounts.iter().filter(|account| account.busy()).count();
        let mut started = Vec::new();
        let mut never_listed = 0;
        for account in self.accounts.iter_mut().filter(|account| !account.started) {
            never_listed += 1;
            if busy >= ACCOUNTS_AT_ONCE {
                break;
            }
            if account.busy() {
                continue;
            }
            let Some(context) = context(&account.role) else { continue };
            account.started = true;
            let request = if account.opened { Request::Reload } else { Request::Open };
            account.opened = true;
            account.error = None;
            let jobs = account.panels.ask_fleet(request, &context);
            account.pending += jobs.len();
            busy += 1;
            started.push((account.role.clone(), jobs));
        }
        if never_listed == 0 {
            for account in self.accounts.iter_mut().filter(|account| !account.busy()) {
                if busy >= ACCOUNTS_AT_ONCE {
                    break;
                }
                let Some(context) = context(&account.role) else { continue };
                let jobs = account.panels.ask_fleet(Request::Tick, &context);
                if !jobs.is_empty() {
                    account.pending += jobs.len();
                    busy += 1;
                    started.push((account.role.clone(), jobs));
                }
            }
        }
        started
    }

    /// A job's answer for `role`: to its panel, whose follow-up jobs (counts after a listing)
    /// run at once, as the account is already taking its turn.
    pub fn on_result(&mut self, role: &RoleKey, message: PanelMessage, context: &PanelContext) -> Vec<PanelJob> {
        let Some(account) = self.accounts.iter_mut().find(|account| &account.role == role) else { return Vec::new() };
        account.pending = account.pending.saturating_sub(1);
        // No session for the role: its row in the table says why (the panels only note it).
        if let Some(why) = message.no_session() {
            account.error = Some(why.to_string());
        }
        let jobs = account.panels.on_result(message, context);
        account.pending += jobs.len();
        jobs
    }
}
