//! A scripted STS: every call recorded, codes rejected or tokens expired on demand, calls
//! held at a gate until released, sessions numbered `ASIAFAKE0001`, ... with expiries from
//! the test's clock. GetCallerIdentity names a configurable account.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use tokio::sync::{Semaphore, mpsc};

use crate::domain::clock::Clock;
use crate::domain::credentials::Credentials;
use crate::domain::sts::{AssumeRoleRequest, CallerIdentity, SessionTokenRequest, Sts, StsError};

fn after(at: Timestamp, by: Duration) -> Timestamp {
    at.checked_add(SignedDuration::try_from(by).unwrap()).unwrap()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    SessionToken,
    AssumeRole,
}

/// One STS call as the fake received it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub kind: Kind,
    /// Access key id of the credentials the call was signed with.
    pub base: String,
    pub role_arn: Option<String>,
    pub duration: Duration,
    pub serial: Option<String>,
    pub code: Option<String>,
    pub session_name: Option<String>,
}

/// Holds STS calls until `release` is closed; each held call first reports on `entered`.
#[derive(Clone)]
struct Gate {
    entered: mpsc::UnboundedSender<()>,
    release: Arc<Semaphore>,
}

pub struct FakeSts {
    clock: Arc<dyn Clock>,
    /// The account GetCallerIdentity names; `None` refuses the call (a test that must not ask).
    pub identity_account: Mutex<Option<String>>,
    calls: Mutex<Vec<Call>>,
    issued: AtomicUsize,
    rejected_codes: Mutex<HashSet<String>>,
    expired_once: Mutex<HashSet<String>>,
    gate: Mutex<Option<Gate>>,
    /// Answers without an Expiration, as a broken STS (or emulator) might.
    pub no_expiration: AtomicBool,
}

impl FakeSts {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            identity_account: Mutex::new(Some("111111111111".to_owned())),
            calls: Mutex::default(),
            issued: AtomicUsize::new(0),
            rejected_codes: Mutex::default(),
            expired_once: Mutex::default(),
            gate: Mutex::default(),
            no_expiration: AtomicBool::new(false),
        }
    }

    /// Answers `InvalidMfaCode` whenever this code is sent.
    pub fn reject_code(&self, code: &str) {
        self.rejected_codes.lock().unwrap().insert(code.to_owned());
    }

    /// Answers `ExpiredToken` to the next call signed with this access key id (once).
    pub fn expire_once(&self, base_access_key_id: &str) {
        self.expired_once.lock().unwrap().insert(base_access_key_id.to_owned());
    }

    /// From now on every call waits until the returned semaphore is closed.
    pub fn hold_calls(&self) -> (mpsc::UnboundedReceiver<()>, Arc<Semaphore>) {
        let (entered, entered_rx) = mpsc::unbounded_channel();
        let release = Arc::new(Semaphore::new(0));
        *self.gate.lock().unwrap() = Some(Gate { entered, release: release.clone() });
        (entered_rx, release)
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    pub fn count(&self, kind: Kind) -> usize {
        self.calls().iter().filter(|call| call.kind == kind).count()
    }

    async fn answer(&self, call: Call) -> Result<Credentials, StsError> {
        let gate = self.gate.lock().unwrap().clone();
        let (base, code, duration) = (call.base.clone(), call.code.clone(), call.duration);
        self.calls.lock().unwrap().push(call);
        if let Some(gate) = gate {
            let _ = gate.entered.send(());
            // Closed means released: acquire fails at once for every waiter.
            let _ = gate.release.acquire().await;
        }
        if code.is_some_and(|code| self.rejected_codes.lock().unwrap().contains(&code)) {
            return Err(StsError::InvalidMfaCode {
                message: "MultiFactorAuthentication failed with invalid MFA one time pass code.".into(),
            });
        }
        if self.expired_once.lock().unwrap().remove(&base) {
            return Err(StsError::ExpiredToken {
                message: "The security token included in the request is expired".into(),
            });
        }
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(Credentials::new(
            format!("ASIAFAKE{n:04}"),
            format!("secret-{n}"),
            Some(format!("token-{n}")),
            (!self.no_expiration.load(Ordering::SeqCst)).then(|| after(self.clock.now(), duration)),
        ))
    }
}

#[async_trait]
impl Sts for FakeSts {
    async fn get_session_token(
        &self,
        base: &Credentials,
        _region: &str,
        request: SessionTokenRequest,
    ) -> Result<Credentials, StsError> {
        let (serial, code) = request.mfa.map(|(serial, code)| (serial, code.as_str().to_owned())).unzip();
        self.answer(Call {
            kind: Kind::SessionToken,
            base: base.access_key_id.clone(),
            role_arn: None,
            duration: request.duration,
            serial,
            code,
            session_name: None,
        })
        .await
    }

    async fn assume_role(
        &self,
        base: &Credentials,
        _region: &str,
        request: AssumeRoleRequest,
    ) -> Result<Credentials, StsError> {
        let (serial, code) = request.mfa.map(|(serial, code)| (serial, code.as_str().to_owned())).unzip();
        self.answer(Call {
            kind: Kind::AssumeRole,
            base: base.access_key_id.clone(),
            role_arn: Some(request.role_arn),
            duration: request.duration,
            serial,
            code,
            session_name: Some(request.session_name),
        })
        .await
    }

    async fn caller_identity(&self, _credentials: &Credentials, _region: &str) -> Result<CallerIdentity, StsError> {
        let account = self.identity_account.lock().unwrap().clone();
        let account = account.ok_or_else(|| StsError::Unreachable("no STS in these tests".into()))?;
        Ok(CallerIdentity {
            arn: format!("arn:aws:sts::{account}:assumed-role/Developer/switchboard-alice"),
            user_id: "AROAEXAMPLEDEVELOPER1:switchboard-alice".to_owned(),
            account,
        })
    }
}

impl FakeSts {
    /// An STS for panels: it answers who a session is, in `account`.
    pub fn identity_of(account: &str) -> Self {
        let sts = Self::new(Arc::new(crate::domain::clock::SystemClock));
        *sts.identity_account.lock().unwrap() = Some(account.to_owned());
        sts
    }

    /// An STS that must not be asked at all: every call fails as unreachable.
    pub fn refusing() -> Self {
        let sts = Self::new(Arc::new(crate::domain::clock::SystemClock));
        *sts.identity_account.lock().unwrap() = None;
        sts
    }
}
