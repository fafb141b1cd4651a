//! Runs effects: each in its own task, each sending back exactly one action. Nothing here
//! blocks the loop; a hung endpoint only delays its own task.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::sync::mpsc::UnboundedSender;

use crate::domain::engine::{Engine, EngineError, Renewal};
use crate::domain::exports;
use crate::domain::inventory::RoleKey;
use crate::domain::mfa::MfaError;

use super::action::{Action, ExportsText, RenewFailure, Snapshot};
use super::effect::{Effect, RenewMode};
use super::panels::Services;
use crate::domain::sqs::AwsSqs;
use crate::domain::sts::AwsSts;

#[derive(Clone)]
pub struct Executor {
    pub engine: Arc<Engine>,
    pub actions: UnboundedSender<Action>,
    pub sts_endpoint: Option<String>,
    pub sqs_endpoint: Option<String>,
    /// Shared by every panel job: bounds background requests.
    pub slots: Arc<Semaphore>,
}

fn failure(error: EngineError) -> RenewFailure {
    match error {
        EngineError::Mfa { error: MfaError::Cancelled, .. } => RenewFailure::Cancelled,
        other => RenewFailure::Failed(other.to_string()),
    }
}

pub async fn snapshot(engine: &Engine, role: &RoleKey) -> Snapshot {
    let mut layers = Vec::new();
    let mut expires_at = None;
    if let Some(plan) = engine.plan(role) {
        for layer in &plan.layers {
            let status = engine.layer_status(layer).await;
            layers.push((layer.id.clone(), status.expires_at));
        }
        expires_at = layers.last().and_then(|(_, until)| *until);
    }
    Snapshot { expires_at, layers }
}

impl Executor {
    /// Effects that need the terminal (copying) are the caller's; everything else is spawned.
    pub fn spawn(&self, effect: Effect) {
        let engine = self.engine.clone();
        let actions = self.actions.clone();
        match effect {
            Effect::AnswerMfa { reply, answer } => reply.send(answer),
            Effect::LoadStatus => {
                tokio::spawn(async move {
                    if let Some(snapshots) = super::status::reload(&engine).await {
                        let _ = actions.send(Action::StatusLoaded(snapshots));
                    }
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
            Effect::Copy(_) => {}
            Effect::Panel { role, view, panel, job } => {
                let (sts_endpoint, sqs_endpoint, slots) =
                    (self.sts_endpoint.clone(), self.sqs_endpoint.clone(), self.slots.clone());
                tokio::spawn(async move {
                    let result = match engine.session(&role, Renewal::IfNeeded).await {
                        Err(error) => Err(error.to_string()),
                        Ok(session) => {
                            let progress = actions.clone();
                            let services = Arc::new(Services {
                                role,
                                sqs: Arc::new(AwsSqs::new(&session.credentials, &session.region, sqs_endpoint)),
                                sts: Arc::new(AwsSts::new(sts_endpoint)),
                                credentials: session.credentials,
                                region: session.region,
                                slots,
                                progress: Box::new(move |payload| {
                                    let _ = progress.send(Action::PanelResult { view, panel, result: Ok(payload) });
                                }),
                            });
                            Ok((job.0)(services).await)
                        }
                    };
                    let _ = actions.send(Action::PanelResult { view, panel, result });
                });
            }
        }
    }
}

async fn renew(engine: &Engine, role: &RoleKey, mode: RenewMode) -> Result<Snapshot, RenewFailure> {
    let renewal = match mode {
        RenewMode::Force => Renewal::Force,
        RenewMode::IfNeeded | RenewMode::Automatic => Renewal::IfNeeded,
    };
    if mode == RenewMode::Automatic {
        match engine.device_needed(role, renewal).await {
            Ok(Some(device)) => return Err(RenewFailure::NeedsMfa { device }),
            Ok(None) => {}
            Err(error) => return Err(failure(error)),
        }
    }
    engine.session(role, renewal).await.map_err(failure)?;
    Ok(snapshot(engine, role).await)
}
