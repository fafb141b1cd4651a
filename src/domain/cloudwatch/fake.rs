//! An in-memory CloudWatch for tests: the alarms it holds, a count of the calls made, and a
//! refusal to turn on.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;

use super::{Alarm, AlarmState, CloudWatch, CloudWatchError};

#[derive(Default)]
pub struct FakeCloudWatch {
    alarms: Mutex<Vec<Alarm>>,
    denied: Mutex<bool>,
    calls: AtomicUsize,
}

impl FakeCloudWatch {
    pub fn new(alarms: Vec<Alarm>) -> Self {
        Self { alarms: Mutex::new(alarms), ..Self::default() }
    }

    /// An alarm of a queue's depth, in `state` for `reason`.
    pub fn alarm(name: &str, state: AlarmState, reason: &str) -> Alarm {
        Alarm {
            name: name.to_owned(),
            arn: format!("arn:aws:cloudwatch:eu-west-1:111111111111:alarm:{name}"),
            state,
            since: "2026-11-21T08:30:00Z".parse().ok(),
            reason: reason.to_owned(),
            watches: "AWS/SQS ApproximateNumberOfMessagesVisible (Maximum) QueueName=jobs".to_owned(),
            threshold: "> 10 for 1 of 1 × 60 s".to_owned(),
            description: None,
            actions_enabled: true,
        }
    }

    /// Moves an alarm to `state` (as SetAlarmState does).
    pub fn set_state(&self, name: &str, state: AlarmState, reason: &str) {
        let mut alarms = self.alarms.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(alarm) = alarms.iter_mut().find(|alarm| alarm.name == name) {
            alarm.state = state;
            reason.clone_into(&mut alarm.reason);
        }
    }

    /// Every call from now on is refused as by a role without cloudwatch:DescribeAlarms.
    pub fn deny(&self) {
        *self.denied.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = true;
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl CloudWatch for FakeCloudWatch {
    async fn alarms(&self) -> Result<Vec<Alarm>, CloudWatchError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if *self.denied.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) {
            return Err(CloudWatchError::AccessDenied { message: "not authorized".to_owned() });
        }
        let mut alarms = self.alarms.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        super::sort(&mut alarms);
        Ok(alarms)
    }
}
