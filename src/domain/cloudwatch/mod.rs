//! CloudWatch alarms through an assumed session: every metric and composite alarm of the
//! account and region, with its state, since when, what it watches and why it is in that
//! state. The screen's alarms panel reads them; the fleet view shows those in ALARM.

#[cfg(any(test, feature = "test-support"))]
pub mod fake;

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_cloudwatch::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cloudwatch::types::{AlarmType, ComparisonOperator, CompositeAlarm, MetricAlarm, StateValue};
use jiff::Timestamp;

use super::aws::{Connection, ErrorAnswer, ForeignAnswer, OPERATION_TIMEOUT, Service, sdk_config, unread_error_answer};

/// An alarm's state, most urgent first (the order the panel lists them in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlarmState {
    Alarm,
    InsufficientData,
    Ok,
}

impl AlarmState {
    /// As CloudWatch writes it.
    pub fn label(self) -> &'static str {
        match self {
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
            AlarmState::Ok => "OK",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    pub name: String,
    pub arn: String,
    pub state: AlarmState,
    /// When the state last changed.
    pub since: Option<Timestamp>,
    pub reason: String,
    /// What it watches: `AWS/SQS ApproximateNumberOfMessagesVisible (Maximum) QueueName=jobs`,
    /// or a composite alarm's rule.
    pub watches: String,
    /// When it fires: `> 10 for 2 of 3 × 60 s`; empty for a composite alarm.
    pub threshold: String,
    pub description: Option<String>,
    pub actions_enabled: bool,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CloudWatchError {
    #[error("DescribeAlarms: access denied ({message}); the role needs cloudwatch:DescribeAlarms")]
    AccessDenied { message: String },
    #[error("DescribeAlarms: cannot reach CloudWatch ({message}); check the network and endpoint_url, then press r")]
    Unreachable { message: String },
    #[error("DescribeAlarms: {code}: {message}")]
    Service { code: String, message: String },
    /// An answer that is no AWS error (a proxy's page): its status and type, never its text.
    #[error("DescribeAlarms: {}", .answer.line("CloudWatch"))]
    Foreign { answer: ForeignAnswer },
}

#[async_trait]
pub trait CloudWatch: Send + Sync {
    /// Every alarm of the account and region (all pages).
    async fn alarms(&self) -> Result<Vec<Alarm>, CloudWatchError>;
}

pub struct AwsCloudWatch {
    client: aws_sdk_cloudwatch::Client,
}

impl AwsCloudWatch {
    pub fn new(connection: &Connection, endpoint_url: Option<String>) -> Self {
        let config = sdk_config(&connection.credentials, &connection.region, endpoint_url, OPERATION_TIMEOUT);
        Self { client: aws_sdk_cloudwatch::Client::new(&config) }
    }
}

/// CloudWatch as the screen's panels use it (see `Service`).
pub struct CloudWatchService;

impl Service for CloudWatchService {
    type Client = dyn CloudWatch;
    const ENDPOINT_VARIABLE: &'static str = "AWS_ENDPOINT_URL_CLOUDWATCH";

    fn connect(connection: &Connection) -> Arc<dyn CloudWatch> {
        Arc::new(AwsCloudWatch::new(connection, connection.endpoints.of(Self::ENDPOINT_VARIABLE)))
    }

    #[cfg(any(test, feature = "test-support"))]
    fn offline(_: &Connection) -> Arc<dyn CloudWatch> {
        Arc::new(fake::FakeCloudWatch::default())
    }
}

fn failed<E: ProvideErrorMetadata + std::error::Error + 'static>(error: SdkError<E>) -> CloudWatchError {
    match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
            CloudWatchError::Unreachable { message: DisplayErrorContext(&error).to_string() }
        }
        _ => {
            let (code, message) = match (error.code(), unread_error_answer(&error)) {
                (Some(code), _) => (code.to_owned(), error.message().unwrap_or("no message").to_owned()),
                (None, Some(ErrorAnswer::Aws { code, message })) => (code, message),
                // An answer the SDK cannot read (a proxy's page): its status and type, never its body.
                (None, Some(ErrorAnswer::Foreign(answer))) => return CloudWatchError::Foreign { answer },
                (None, None) => ("unreadable answer".to_owned(), "CloudWatch's answer could not be read".to_owned()),
            };
            match code.as_str() {
                "AccessDenied" | "AccessDeniedException" | "AuthorizationError" => {
                    CloudWatchError::AccessDenied { message }
                }
                _ => CloudWatchError::Service { code, message },
            }
        }
    }
}

#[async_trait]
impl CloudWatch for AwsCloudWatch {
    async fn alarms(&self) -> Result<Vec<Alarm>, CloudWatchError> {
        let mut found = Vec::new();
        let mut next = None;
        loop {
            let page = self
                .client
                .describe_alarms()
                .alarm_types(AlarmType::MetricAlarm)
                .alarm_types(AlarmType::CompositeAlarm)
                .max_records(100)
                .set_next_token(next)
                .send()
                .await
                .map_err(failed)?;
            found.extend(page.metric_alarms().iter().map(metric_alarm));
            found.extend(page.composite_alarms().iter().map(composite_alarm));
            next = page.next_token().filter(|token| !token.is_empty()).map(str::to_owned);
            if next.is_none() {
                break;
            }
        }
        sort(&mut found);
        Ok(found)
    }
}

/// Most urgent first, then the longest in that state, then by name.
pub fn sort(alarms: &mut [Alarm]) {
    alarms.sort_by(|a, b| (a.state, a.since, &a.name).cmp(&(b.state, b.since, &b.name)));
}

fn state(value: Option<&StateValue>) -> AlarmState {
    match value {
        Some(StateValue::Alarm) => AlarmState::Alarm,
        Some(StateValue::Ok) => AlarmState::Ok,
        _ => AlarmState::InsufficientData,
    }
}

fn timestamp(time: Option<&aws_sdk_cloudwatch::primitives::DateTime>) -> Option<Timestamp> {
    time.and_then(|time| Timestamp::new(time.secs(), time.subsec_nanos() as i32).ok())
}

fn comparison(operator: &ComparisonOperator) -> &str {
    match operator {
        ComparisonOperator::GreaterThanThreshold => ">",
        ComparisonOperator::GreaterThanOrEqualToThreshold => ">=",
        ComparisonOperator::LessThanThreshold => "<",
        ComparisonOperator::LessThanOrEqualToThreshold => "<=",
        other => other.as_str(),
    }
}

fn metric_alarm(alarm: &MetricAlarm) -> Alarm {
    let dimensions: Vec<String> = alarm
        .dimensions()
        .iter()
        .map(|dimension| format!("{}={}", dimension.name().unwrap_or(""), dimension.value().unwrap_or("")))
        .collect();
    let statistic = alarm
        .statistic()
        .map(|statistic| statistic.as_str().to_owned())
        .or_else(|| alarm.extended_statistic().map(str::to_owned));
    let mut watches = [alarm.namespace(), alarm.metric_name()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    if watches.is_empty() && !alarm.metrics().is_empty() {
        watches = format!("{} metric queries", alarm.metrics().len());
    }
    if let Some(statistic) = statistic {
        watches.push_str(&format!(" ({statistic})"));
    }
    if !dimensions.is_empty() {
        watches.push(' ');
        watches.push_str(&dimensions.join(","));
    }
    let periods = alarm.evaluation_periods().unwrap_or(1);
    let threshold = match (alarm.comparison_operator(), alarm.threshold()) {
        (Some(operator), Some(threshold)) => format!(
            "{} {threshold} for {} of {periods} × {} s",
            comparison(operator),
            alarm.datapoints_to_alarm().unwrap_or(periods),
            alarm.period().unwrap_or(60)
        ),
        (Some(operator), None) => {
            format!("{} band {}", comparison(operator), alarm.threshold_metric_id().unwrap_or(""))
        }
        _ => String::new(),
    };
    Alarm {
        name: alarm.alarm_name().unwrap_or_default().to_owned(),
        arn: alarm.alarm_arn().unwrap_or_default().to_owned(),
        state: state(alarm.state_value()),
        since: timestamp(alarm.state_updated_timestamp()),
        reason: alarm.state_reason().unwrap_or_default().to_owned(),
        watches,
        threshold,
        description: alarm.alarm_description().map(str::to_owned),
        actions_enabled: alarm.actions_enabled().unwrap_or(true),
    }
}

fn composite_alarm(alarm: &CompositeAlarm) -> Alarm {
    Alarm {
        name: alarm.alarm_name().unwrap_or_default().to_owned(),
        arn: alarm.alarm_arn().unwrap_or_default().to_owned(),
        state: state(alarm.state_value()),
        since: timestamp(alarm.state_updated_timestamp()),
        reason: alarm.state_reason().unwrap_or_default().to_owned(),
        watches: format!("composite: {}", alarm.alarm_rule().unwrap_or_default()),
        threshold: String::new(),
        description: alarm.alarm_description().map(str::to_owned),
        actions_enabled: alarm.actions_enabled().unwrap_or(true),
    }
}
