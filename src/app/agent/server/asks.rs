//! Asking for MFA codes on behalf of the agent's callers. A caller that has a terminal asks
//! there itself (the agent answers "MFA needed"); a caller without one names itself, and
//! the agent asks whoever hosts it: the screen's modal, or, headless, a pending request that
//! `switchboard mfa` answers from any terminal (with a desktop notification where one can be
//! shown). The caller waits a bounded time.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::oneshot;

use crate::app::agent::protocol::PendingMfa;
use crate::domain::mfa::{MfaCaller, MfaCode, MfaError, MfaPrompt, MfaRequest};

tokio::task_local! {
    /// Set around the engine call of one agent request: on whose behalf a code is asked.
    static ASKED_FOR: AgentAsk;
}

#[derive(Debug, Clone)]
pub struct AgentAsk {
    /// `None`: the client has a terminal (or a code) and asks itself.
    pub caller: Option<MfaCaller>,
    pub wait: Duration,
}

/// The agent request being answered by this task, if any: whom a code or sign-in is for.
pub(super) fn current() -> Option<AgentAsk> {
    ASKED_FOR.try_with(Clone::clone).ok()
}

/// Runs `work` (an engine call for one agent request) with its caller known to `AgentPrompt`.
pub async fn on_behalf_of<T>(ask: AgentAsk, work: impl Future<Output = T>) -> T {
    ASKED_FOR.scope(ask, work).await
}

/// The engine's prompt in a process that hosts the agent: its own requests go to `host`
/// as they are; an agent caller's request names the caller and waits at most its time.
pub struct AgentPrompt<P: ?Sized> {
    host: std::sync::Arc<P>,
}

impl<P: MfaPrompt + ?Sized> AgentPrompt<P> {
    pub fn new(host: std::sync::Arc<P>) -> Self {
        Self { host }
    }
}

#[async_trait]
impl<P: MfaPrompt + ?Sized> MfaPrompt for AgentPrompt<P> {
    async fn ask(&self, request: &MfaRequest) -> Result<MfaCode, MfaError> {
        let Ok(ask) = ASKED_FOR.try_with(Clone::clone) else {
            return self.host.ask(request).await;
        };
        let Some(caller) = ask.caller else {
            return Err(MfaError::NoTerminal { device: request.device.clone() });
        };
        let named = MfaRequest { caller: Some(caller), ..request.clone() };
        tokio::time::timeout(ask.wait, self.host.ask(&named))
            .await
            .unwrap_or(Err(MfaError::TimedOut { seconds: ask.wait.as_secs() }))
    }

    /// A caller that asks on its own terminal is refused at once: it does not queue behind
    /// another caller's code (its operator may have a code in hand).
    fn waits_for_a_person(&self) -> bool {
        match ASKED_FOR.try_with(|ask| ask.caller.is_some()) {
            Ok(named) => named,
            Err(_) => self.host.waits_for_a_person(),
        }
    }

    fn not_needed(&self, role: &crate::domain::inventory::RoleKey, device: &str, message: &str) {
        self.host.not_needed(role, device, message);
    }
}

/// The headless agent's requests for codes, waiting for `switchboard mfa`.
#[derive(Default)]
pub struct PendingAsks {
    next_id: AtomicU64,
    waiting: Mutex<Vec<Waiting>>,
}

struct Waiting {
    id: u64,
    request: MfaRequest,
    since: Instant,
    reply: Option<oneshot::Sender<MfaCode>>,
}

/// Takes a request off the list when its caller stops waiting (answered, timed out, gone).
struct Withdraw<'a> {
    asks: &'a PendingAsks,
    id: u64,
}

impl Drop for Withdraw<'_> {
    fn drop(&mut self) {
        self.asks.lock().retain(|waiting| waiting.id != self.id);
    }
}

impl PendingAsks {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Waiting>> {
        self.waiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn list(&self) -> Vec<PendingMfa> {
        self.lock()
            .iter()
            .map(|waiting| PendingMfa {
                id: waiting.id,
                device: waiting.request.device.clone(),
                roles: waiting.request.roles.iter().map(ToString::to_string).collect(),
                problem: waiting.request.problem.clone(),
                caller: waiting.request.caller.clone(),
                waiting_seconds: waiting.since.elapsed().as_secs(),
            })
            .collect()
    }

    /// Hands `code` to the request `id`; says why not when it is no longer waiting.
    pub fn answer(&self, id: u64, code: MfaCode) -> Result<(), String> {
        let reply = self.lock().iter_mut().find(|waiting| waiting.id == id).and_then(|waiting| waiting.reply.take());
        match reply {
            Some(reply) => reply.send(code).map_err(|_| format!("request {id}: its caller stopped waiting")),
            None => Err(format!("request {id} is not waiting (answered already, or its caller gave up)")),
        }
    }
}

#[async_trait]
impl MfaPrompt for PendingAsks {
    async fn ask(&self, request: &MfaRequest) -> Result<MfaCode, MfaError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (reply, answer) = oneshot::channel();
        self.lock().push(Waiting { id, request: request.clone(), since: Instant::now(), reply: Some(reply) });
        let _withdraw = Withdraw { asks: self, id };
        let whom = request.caller.as_ref().map(|caller| format!(" for {caller}")).unwrap_or_default();
        tracing::warn!("MFA code needed for {}{whom}: answer with `switchboard mfa`", request.device);
        notify(request);
        answer.await.map_err(|_| MfaError::Cancelled)
    }
}

/// The MFA request as a desktop notification.
fn notify(request: &MfaRequest) {
    let whom = request.caller.as_ref().map(|caller| format!("{caller} ")).unwrap_or_default();
    let roles: Vec<String> = request.roles.iter().map(ToString::to_string).collect();
    let body = format!(
        "{whom}needs a code for {} (unlocks {}). Answer with: switchboard mfa",
        request.device,
        roles.join(", ")
    );
    super::notify::send("switchboard: MFA code needed", &body);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn request() -> MfaRequest {
        MfaRequest { device: "arn:aws:iam::1:mfa/a".into(), roles: Vec::new(), problem: None, caller: None }
    }

    fn caller() -> MfaCaller {
        MfaCaller { pid: 4242, command: "terraform plan".into(), client_pid: Some(4243) }
    }

    #[tokio::test]
    async fn a_caller_with_a_terminal_is_told_to_ask_itself() {
        let prompt = AgentPrompt::new(Arc::new(PendingAsks::default()));
        let ask = AgentAsk { caller: None, wait: Duration::from_secs(1) };
        let answer = on_behalf_of(ask, async { (prompt.waits_for_a_person(), prompt.ask(&request()).await) }).await;
        assert!(matches!(answer, (false, Err(MfaError::NoTerminal { .. }))), "{answer:?}");
        let named = AgentAsk { caller: Some(caller()), wait: Duration::from_secs(1) };
        assert!(on_behalf_of(named, async { prompt.waits_for_a_person() }).await, "the agent asks for a named caller");
        assert!(prompt.waits_for_a_person(), "the host's own requests wait for its person");
    }

    #[tokio::test]
    async fn a_pending_request_names_its_caller_and_takes_the_code_given_for_it() {
        let pending = Arc::new(PendingAsks::default());
        let prompt = AgentPrompt::new(pending.clone());
        let ask = AgentAsk { caller: Some(caller()), wait: Duration::from_secs(30) };
        let asking = tokio::spawn(async move { on_behalf_of(ask, prompt.ask(&request())).await });
        let listed = loop {
            let listed = pending.list();
            if !listed.is_empty() {
                break listed;
            }
            tokio::task::yield_now().await;
        };
        assert_eq!(listed[0].caller, Some(caller()));
        pending.answer(listed[0].id, MfaCode::parse("123456").unwrap()).unwrap();
        assert_eq!(asking.await.unwrap().unwrap().as_str(), "123456");
        assert!(pending.list().is_empty(), "an answered request is gone");
        assert!(pending.answer(listed[0].id, MfaCode::parse("123456").unwrap()).is_err());
    }

    #[tokio::test]
    async fn nobody_answering_times_out_and_withdraws_the_request() {
        let pending = Arc::new(PendingAsks::default());
        let prompt = AgentPrompt::new(pending.clone());
        let ask = AgentAsk { caller: Some(caller()), wait: Duration::from_millis(20) };
        let answer = on_behalf_of(ask, prompt.ask(&request())).await;
        assert_eq!(answer, Err(MfaError::TimedOut { seconds: 0 }));
        assert!(pending.list().is_empty());
    }
}
