//! Runs effects: each in its own task, each sending back exactly one action. Nothing here
//! blocks the loop; a hung endpoint only delays its own task.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::sync::mpsc::UnboundedSender;

use crate::domain::console;
use crate::domain::engine::{Engine, EngineError, Renewal};
use crate::domain::exports;
use crate::domain::inventory::RoleKey;
use crate::domain::mfa::MfaError;

use super::action::{Action, ExportsText, RenewFailure, Snapshot};
use super::effect::{Effect, PanelView, RenewMode};
use super::panels::services::{ClientCache, session_for_panel};
use super::panels::{PanelJob, PanelMessage, Progress, Services};
use super::store_status::{self, StoreWatch};
use crate::domain::aws::Endpoints;

#[derive(Clone)]
pub struct Executor {
    pub engine: Arc<Engine>,
    pub actions: UnboundedSender<Action>,
    /// Where each service's clients call (an emulator's endpoint, or AWS).
    pub endpoints: Endpoints,
    /// Shared by every panel job: bounds background requests.
    pub slots: Arc<Semaphore>,
    /// Panel jobs' SDK clients, one set per role session and region.
    pub clients: ClientCache,
    /// What the last status reload saw of the store.
    pub store_watch: Arc<StoreWatch>,
}

fn failure(error: EngineError) -> RenewFailure {
    match error {
        EngineError::Mfa { error: MfaError::Cancelled, .. } => RenewFailure::Cancelled,
        EngineError::SignIn { error, .. } if *error == crate::domain::sso::SsoError::Cancelled => {
            RenewFailure::Cancelled
        }
        other => RenewFailure::Failed(other.to_string()),
    }
}

pub async fn snapshot(engine: &Engine, role: &RoleKey) -> Snapshot {
    let mut layers = Vec::new();
    let mut expires_at = None;
    if let Some(plan) = engine.plan(role) {
        for layer in &plan.layers {
            let status = engine.layer_status(layer).await;
            layers.push((layer.clone(), status.expires_at));
        }
        expires_at = layers.last().and_then(|(_, until)| *until);
    }
    Snapshot { expires_at, layers }
}

impl Executor {
    /// Spawns the effect's task. Copying needs the terminal, so its text is handed back for
    /// the caller to copy.
    pub fn spawn(&self, effect: Effect) -> Option<ExportsText> {
        let engine = self.engine.clone();
        let actions = self.actions.clone();
        match effect {
            Effect::AnswerMfa { reply, answer } => reply.send(answer),
            Effect::LoadStatus => {
                let watch = self.store_watch.clone();
                tokio::spawn(async move {
                    if let Some(snapshots) = store_status::reload(&engine, &watch).await {
                        let _ = actions.send(Action::StatusLoaded(snapshots));
                    }
                });
            }
            Effect::LoadLayers(role) => {
                tokio::spawn(async move {
                    let snapshot = snapshot(&engine, &role).await;
                    let _ = actions.send(Action::StatusLoaded(vec![(role, snapshot)]));
                });
            }
            Effect::Renew { role, request, mode } => {
                tokio::spawn(async move {
                    let result = renew(&engine, &role, mode).await;
                    let _ = actions.send(Action::Renewed { role, request, result });
                });
            }
            Effect::PrepareExports { role, request, format } => {
                tokio::spawn(async move {
                    let result = match engine.session(&role, Renewal::IfNeeded).await {
                        Ok(session) => {
                            let endpoint = engine.inventory().defaults.endpoint_url.clone();
                            let vars = exports::variables(&session.credentials, &session.region, endpoint.as_deref());
                            exports::render(format, &vars)
                                .map(|text| ExportsText { text, expires_at: session.credentials.expiration })
                                .map_err(|error| RenewFailure::Failed(error.to_string()))
                        }
                        Err(error) => Err(failure(error)),
                    };
                    let _ = actions.send(Action::ExportsReady { role, request, format_name: format.name(), result });
                });
            }
            Effect::Copy(exports) => return Some(exports),
            Effect::OpenConsole { role } => {
                tokio::spawn(async move {
                    let result = open_console(&engine, &role).await;
                    let _ = actions.send(Action::ConsoleOpened { role, result });
                });
            }
            Effect::Panel { role, view, job } => {
                let executor = self.clone();
                tokio::spawn(async move {
                    let message = executor.run_panel_job(&role, view, job).await;
                    let _ = actions.send(view.answer(&role, message));
                });
            }
        }
        None
    }

    /// Runs a panel job with the role's session (renewed if needed) and its cached clients.
    async fn run_panel_job(&self, role: &RoleKey, view: PanelView, job: PanelJob) -> PanelMessage {
        let session = match session_for_panel(&self.engine, role).await {
            Ok(session) => session,
            Err(why) => return job.without_session(why),
        };
        let builder = Services::builder(role.clone(), session.credentials, &session.region)
            .endpoints(self.endpoints.clone())
            .slots(self.slots.clone())
            .federation_url(console::federation_url(self.engine.inventory()));
        let services = Arc::new(self.clients.services(builder));
        let (actions, role) = (self.actions.clone(), role.clone());
        let progress: Progress<_> = Arc::new(move |message| {
            let _ = actions.send(view.answer(&role, message));
        });
        job.run(services, progress).await
    }
}

/// Signs in through the federation endpoint with the role's session and starts the browser.
async fn open_console(engine: &Engine, role: &RoleKey) -> Result<(), String> {
    let session = engine.session(role, Renewal::IfNeeded).await.map_err(|error| error.to_string())?;
    let destination = console::Destination::Home.url(&session.region);
    let left = session.credentials.time_left(jiff::Timestamp::now());
    let url = console::signin_url(
        &session.credentials,
        &console::federation_url(engine.inventory()),
        &destination,
        console::session_duration(left),
    )
    .await
    .map_err(|error| error.to_string())?;
    console::open_in_browser(&url).map_err(|error| format!("cannot start the browser: {error}"))
}

async fn renew(engine: &Engine, role: &RoleKey, mode: RenewMode) -> Result<Snapshot, RenewFailure> {
    let renewal = match mode {
        RenewMode::Force => Renewal::Force,
        RenewMode::IfNeeded | RenewMode::Automatic => Renewal::IfNeeded,
    };
    if mode == RenewMode::Automatic {
        // Never unprompted: a sign-in, like a code, waits for the operator's key.
        if let Some(start_url) = engine.sign_in_needed_for(role) {
            return Err(RenewFailure::NeedsSignIn { start_url });
        }
        match engine.device_needed(role, renewal).await {
            Ok(Some(device)) => return Err(RenewFailure::NeedsMfa { device }),
            Ok(None) => {}
            Err(error) => return Err(failure(error)),
        }
    }
    engine.session(role, renewal).await.map_err(failure)?;
    Ok(snapshot(engine, role).await)
}
