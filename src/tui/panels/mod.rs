//! Per-account panels that work through the role's session. A panel is one module that
//! implements `Panel` (what the screen draws) and `PanelUpdate` (its keys, jobs and their
//! results, with its own `Message` type and command set), registered by one line in the
//! `panels!` call at the end of this file. The registration generates the panel list, the
//! message enum and every `match` that routes to a panel; jobs are closures the executor
//! runs with `Services` built from the role's (renewed if needed) session.

pub mod panel;
pub mod services;

use std::sync::Arc;

use crossterm::event::KeyEvent;
use futures::future::BoxFuture;

use crate::app::keys::{KeySection, Keymaps};

use panel::Work;
pub use panel::{Fire, Job, KeyOutcome, Panel, PanelContext, PanelUpdate, Progress, Reply, job};
pub use services::{NoSession, Services};

/// A panel's job as the executor sees it: every answer, even "no session", is a `PanelMessage`.
pub struct PanelJob {
    work: Work<PanelMessage>,
    no_session: Box<dyn FnOnce(NoSession) -> PanelMessage + Send>,
}

impl PanelJob {
    /// A panel's job whose every answer is wrapped by `wrap` (a `PanelMessage` variant, or a
    /// closure that also says which role answered, as the fleet view needs).
    pub fn of<M: Send + 'static>(
        job: Job<M>,
        wrap: impl Fn(Reply<M>) -> PanelMessage + Send + Sync + 'static,
    ) -> PanelJob {
        let wrap = Arc::new(wrap);
        let for_work = Arc::clone(&wrap);
        PanelJob {
            work: Box::new(move |services, progress: Progress<PanelMessage>| {
                let for_progress = Arc::clone(&for_work);
                let inner: Progress<M> = Arc::new(move |message| progress(for_progress(Ok(message))));
                let answer = (job.0)(services, inner);
                Box::pin(async move { for_work(Ok(answer.await)) })
            }),
            no_session: Box::new(move |why| wrap(Err(why))),
        }
    }

    pub fn run(self, services: Arc<Services>, progress: Progress<PanelMessage>) -> BoxFuture<'static, PanelMessage> {
        (self.work)(services, progress)
    }

    /// The answer when no session could be had for the job.
    pub fn without_session(self, why: NoSession) -> PanelMessage {
        (self.no_session)(why)
    }
}

impl std::fmt::Debug for PanelJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PanelJob")
    }
}

/// What the screen asks of a panel; `Panels::ask` turns it into a typed call of that panel
/// and its jobs into `PanelJob`s.
#[derive(Debug, Clone, Copy)]
pub enum Request<'k> {
    Open,
    Reload,
    Key(KeyEvent),
    Tick,
    Paste(&'k str),
}

/// The answer to a `Request`: jobs to run, and whether the panel used the key or paste.
pub struct Answer {
    pub jobs: Vec<PanelJob>,
    pub used: bool,
}

pub fn lift<M: Send + 'static>(jobs: Vec<Job<M>>, wrap: fn(Reply<M>) -> PanelMessage) -> Vec<PanelJob> {
    jobs.into_iter().map(|job| PanelJob::of(job, wrap)).collect()
}

fn answer<P: PanelUpdate>(
    panel: &mut P,
    request: Request,
    context: &PanelContext,
    wrap: fn(Reply<P::Message>) -> PanelMessage,
) -> Answer {
    let (jobs, used) = match request {
        Request::Open => (panel.open(context), true),
        Request::Reload => (panel.reload(context), true),
        Request::Tick => (panel.on_tick(context), true),
        Request::Paste(text) => (Vec::new(), panel.on_paste(text)),
        Request::Key(key) => match panel.on_key(key, context) {
            KeyOutcome::Handled(jobs) => (jobs, true),
            KeyOutcome::Ignored => (Vec::new(), false),
        },
    };
    Answer { jobs: lift(jobs, wrap), used }
}

/// Generates, from one line per panel, everything that lists the panels: the modules, the
/// `Panels` struct, `PanelId` (tab order), `PanelMessage`, routing by exhaustive `match`,
/// the fleet's calls and the panels' key sections.
macro_rules! panels {
    ($($module:ident::$panel:ident => $id:ident),+ $(,)?) => {
        $(pub mod $module;)+

        /// The panels every account gets.
        #[derive(Debug)]
        pub struct Panels {
            $(pub $module: $module::$panel,)+
        }

        /// A panel, in tab order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum PanelId {
            $($id,)+
        }

        impl PanelId {
            pub const ALL: &'static [PanelId] = &[$(PanelId::$id,)+];

            /// The next panel in tab order (`by` = -1: the previous), round the end.
            pub fn step(self, by: isize) -> PanelId {
                let count = Self::ALL.len() as isize;
                let at = Self::ALL.iter().position(|id| *id == self).unwrap_or(0) as isize;
                Self::ALL[(at + by).rem_euclid(count) as usize]
            }
        }

        /// A job's result, or its progress, addressed to the panel whose job it was.
        #[derive(Debug)]
        pub enum PanelMessage {
            $($id(Reply<<$module::$panel as PanelUpdate>::Message>),)+
        }

        /// The panels' key sections, for every front end's check of `[ui.keys.PANEL]`.
        pub fn key_sections() -> Vec<KeySection> {
            vec![$(KeySection::of::<<$module::$panel as PanelUpdate>::Commands>(),)+]
        }

        impl PanelMessage {
            /// Why the job could not run, when no session could be had for it.
            pub fn no_session(&self) -> Option<&NoSession> {
                match self {
                    $(PanelMessage::$id(Err(why)) => Some(why),)+
                    _ => None,
                }
            }
        }

        impl Panels {
            /// Fresh panels with the inventory's keys (`[ui.keys.SECTION]`).
            pub fn new(keymaps: &Keymaps) -> Self {
                Panels { $($module: <$module::$panel as PanelUpdate>::new(keymaps.panel()),)+ }
            }

            pub fn get(&self, id: PanelId) -> &dyn Panel {
                match id {
                    $(PanelId::$id => &self.$module,)+
                }
            }

            pub fn iter(&self) -> impl Iterator<Item = (PanelId, &dyn Panel)> {
                PanelId::ALL.iter().map(|id| (*id, self.get(*id)))
            }

            /// The request to one panel.
            pub fn ask(&mut self, id: PanelId, request: Request, context: &PanelContext) -> Answer {
                match id {
                    $(PanelId::$id => answer(&mut self.$module, request, context, PanelMessage::$id),)+
                }
            }

            /// The request to every panel that works in the fleet view.
            pub fn ask_fleet(&mut self, request: Request, context: &PanelContext) -> Vec<PanelJob> {
                let mut jobs = Vec::new();
                $(if <$module::$panel as PanelUpdate>::IN_FLEET {
                    jobs.extend(answer(&mut self.$module, request, context, PanelMessage::$id).jobs);
                })+
                jobs
            }

            /// What the panels in the fleet found on fire, each with the panel that found it.
            pub fn fires(&self) -> Vec<(PanelId, Fire)> {
                let mut fires = Vec::new();
                $(if <$module::$panel as PanelUpdate>::IN_FLEET {
                    fires.extend(self.$module.fires().into_iter().map(|fire| (PanelId::$id, fire)));
                })+
                fires
            }

            /// A job's result (or progress) to the panel whose job it was.
            pub fn on_result(&mut self, message: PanelMessage, context: &PanelContext) -> Vec<PanelJob> {
                match message {
                    $(PanelMessage::$id(reply) => lift(self.$module.on_result(reply, context), PanelMessage::$id),)+
                }
            }
        }

        #[cfg(test)]
        mod registered {
            use super::*;

            #[test]
            fn every_panel_key_set_is_free_of_clashes() {
                $(crate::app::keys::assert_free_of_clashes::<<$module::$panel as PanelUpdate>::Commands>();)+
            }
        }
    };
}

// The registration: one line per panel, in tab order. A new panel is a line here.
panels! {
    sqs::SqsPanel => Sqs,
    identity::IdentityPanel => Identity,
    alarms::AlarmsPanel => Alarms,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_keys_tables_match_the_command_sets() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        let start = readme.find("<!-- keys:start -->\n").map(|at| at + "<!-- keys:start -->\n".len());
        let end = readme.find("<!-- keys:end -->");
        let (Some(start), Some(end)) = (start, end) else {
            panic!("README.md lacks the <!-- keys:start/end --> markers")
        };
        let expected = Keymaps::markdown(&key_sections());
        assert_eq!(&readme[start..end], expected, "README keys tables are stale; replace them with:\n{expected}");
    }

    #[test]
    fn tab_goes_round_the_panels_in_their_registered_order() {
        assert_eq!(PanelId::ALL[0].step(-1), *PanelId::ALL.last().unwrap());
        for (at, id) in PanelId::ALL.iter().enumerate() {
            assert_eq!(id.step(1), PanelId::ALL[(at + 1) % PanelId::ALL.len()]);
            assert_eq!(id.step(1).step(-1), *id);
        }
    }
}
