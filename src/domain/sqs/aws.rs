//! The real SQS, through aws-sdk-sqs with an assumed session's credentials.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_sqs::config::retry::RetryConfig;
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::primitives::Blob;
use aws_sdk_sqs::types::{
    BatchResultErrorEntry, DeleteMessageBatchRequestEntry, MessageAttributeValue, MessageSystemAttributeName,
    QueueAttributeName, SendMessageBatchRequestEntry,
};

use super::{
    AttributeValue, BatchEntry, BatchOutcome, MessageAttribute, MoveStatus, MoveTask, PeekedMessage, QueueAttributes,
    QueueSummary, SendRequest, Sqs, SqsError, classify,
};
use crate::domain::aws::{
    Connection, ErrorAnswer, OPERATION_TIMEOUT, Service, is_aws_endpoint, sdk_config, unread_error_answer,
};
use crate::domain::credentials::Credentials;

pub struct AwsSqs {
    client: aws_sdk_sqs::Client,
    /// Whether the endpoint is AWS's own (not an emulator's or a proxy's).
    at_aws: bool,
}

impl AwsSqs {
    pub fn new(credentials: &Credentials, region: &str, endpoint_url: Option<String>) -> Self {
        let at_aws = is_aws_endpoint(endpoint_url.as_deref());
        let config = sdk_config(credentials, region, endpoint_url, OPERATION_TIMEOUT);
        Self { client: aws_sdk_sqs::Client::new(&config), at_aws }
    }
}

/// SQS as the screen's panels use it (see `Service`).
pub struct SqsService;

impl Service for SqsService {
    type Client = dyn Sqs;
    const ENDPOINT_VARIABLE: &'static str = "AWS_ENDPOINT_URL_SQS";

    fn connect(connection: &Connection) -> Arc<dyn Sqs> {
        let endpoint = connection.endpoints.of(Self::ENDPOINT_VARIABLE);
        Arc::new(AwsSqs::new(&connection.credentials, &connection.region, endpoint))
    }

    #[cfg(any(test, feature = "test-support"))]
    fn offline(connection: &Connection) -> Arc<dyn Sqs> {
        Arc::new(crate::test_support::FakeSqs::new("000000000000", &connection.region, Vec::new()))
    }
}

fn failed<E: ProvideErrorMetadata + std::error::Error + 'static>(action: &'static str, error: SdkError<E>) -> SqsError {
    match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            SqsError::Unreachable { action, message: DisplayErrorContext(&error).to_string() }
        }
        _ => match (error.code(), unread_error_answer(&error)) {
            (Some(code), _) => classify(action, code, error.message().unwrap_or("no message")),
            // An AWS error in a protocol the SDK did not expect (an emulator answering SQS's
            // JSON protocol in XML): its code still says what happened.
            (None, Some(ErrorAnswer::Aws { code, message })) => classify(action, &code, &message),
            // A proxy's page, an empty body: its status and type, never its text.
            (None, Some(ErrorAnswer::Foreign(answer))) => SqsError::Foreign { action, answer },
            (None, None) => classify(action, "Unknown", error.message().unwrap_or("no message")),
        },
    }
}

/// A move task refused with no AWS error (4xx/5xx) where AWS is not: no move tasks there.
fn move_refused(error: SqsError, at_aws: bool) -> SqsError {
    match error {
        SqsError::Foreign { action, answer } if !at_aws && answer.status >= 400 => {
            SqsError::NoMoveTasks { action, answer }
        }
        other => other,
    }
}

/// The attribute as received: a binary value stays bytes, whatever its (custom) type says.
fn attribute_from_sdk(value: &MessageAttributeValue) -> MessageAttribute {
    let data_type = value.data_type().to_owned();
    match (value.binary_value(), value.string_value()) {
        (Some(blob), _) => MessageAttribute { data_type, value: AttributeValue::Binary(blob.as_ref().to_vec()) },
        (None, text) => {
            MessageAttribute { data_type, value: AttributeValue::Text(text.unwrap_or_default().to_owned()) }
        }
    }
}

fn attribute_to_sdk(action: &'static str, attribute: &MessageAttribute) -> Result<MessageAttributeValue, SqsError> {
    let builder = MessageAttributeValue::builder().data_type(&attribute.data_type);
    let builder = match &attribute.value {
        AttributeValue::Text(text) => builder.string_value(text),
        AttributeValue::Binary(bytes) => builder.binary_value(Blob::new(bytes.clone())),
    };
    builder.build().map_err(|error| SqsError::Service {
        action,
        code: "InvalidAttribute".into(),
        message: error.to_string(),
    })
}

fn sdk_attributes(
    action: &'static str,
    request: &SendRequest,
) -> Result<Option<std::collections::HashMap<String, MessageAttributeValue>>, SqsError> {
    if request.attributes.is_empty() {
        return Ok(None);
    }
    request
        .attributes
        .iter()
        .map(|(name, attribute)| Ok((name.clone(), attribute_to_sdk(action, attribute)?)))
        .collect::<Result<_, _>>()
        .map(Some)
}

fn batch_outcome(accepted: Vec<String>, failed: &[BatchResultErrorEntry]) -> BatchOutcome {
    BatchOutcome {
        accepted,
        failed: failed
            .iter()
            .map(|entry| (entry.id().to_owned(), format!("{}: {}", entry.code(), entry.message().unwrap_or_default())))
            .collect(),
    }
}

fn message_from_sdk(message: &aws_sdk_sqs::types::Message) -> PeekedMessage {
    PeekedMessage {
        id: message.message_id().unwrap_or_default().to_owned(),
        receipt_handle: message.receipt_handle().unwrap_or_default().to_owned(),
        body: message.body().unwrap_or_default().to_owned(),
        system: message
            .attributes()
            .map(|found| found.iter().map(|(name, value)| (name.as_str().to_owned(), value.clone())).collect())
            .unwrap_or_default(),
        attributes: message
            .message_attributes()
            .map(|found| {
                found.iter().map(|(name, value)| (name.clone(), attribute_from_sdk(value))).collect::<BTreeMap<_, _>>()
            })
            .unwrap_or_default(),
    }
}

#[async_trait]
impl Sqs for AwsSqs {
    async fn list_queues_page(&self, next: Option<String>) -> Result<(Vec<QueueSummary>, Option<String>), SqsError> {
        let output = self
            .client
            .list_queues()
            .max_results(1000)
            .set_next_token(next)
            .send()
            .await
            .map_err(|error| failed("ListQueues", error))?;
        let queues = output.queue_urls().iter().map(|url| QueueSummary::from_url(url)).collect();
        Ok((queues, output.next_token().map(str::to_owned)))
    }

    async fn attributes(&self, url: &str) -> Result<QueueAttributes, SqsError> {
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .map_err(|error| failed("GetQueueAttributes", error))?;
        let all = output
            .attributes()
            .map(|found| found.iter().map(|(name, value)| (name.as_str().to_owned(), value.clone())).collect())
            .unwrap_or_default();
        Ok(QueueAttributes { all })
    }

    async fn dead_letter_sources(&self, url: &str) -> Result<Vec<String>, SqsError> {
        let mut sources = Vec::new();
        let mut next = None;
        loop {
            let output = self
                .client
                .list_dead_letter_source_queues()
                .queue_url(url)
                .max_results(1000)
                .set_next_token(next)
                .send()
                .await
                .map_err(|error| failed("ListDeadLetterSourceQueues", error))?;
            sources.extend(output.queue_urls().iter().cloned());
            match output.next_token() {
                Some(token) if !token.is_empty() => next = Some(token.to_owned()),
                _ => return Ok(sources),
            }
        }
    }

    async fn receive(&self, url: &str, max: u8, visibility_seconds: u32) -> Result<Vec<PeekedMessage>, SqsError> {
        self.receive_waiting(url, max, visibility_seconds, 0).await
    }

    async fn receive_waiting(
        &self,
        url: &str,
        max: u8,
        visibility_seconds: u32,
        wait_seconds: u32,
    ) -> Result<Vec<PeekedMessage>, SqsError> {
        let output = self
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(i32::from(max.clamp(1, 10)))
            .visibility_timeout(i32::try_from(visibility_seconds).unwrap_or(i32::MAX))
            .wait_time_seconds(i32::try_from(wait_seconds.min(20)).unwrap_or(0))
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|error| failed("ReceiveMessage", error))?;
        Ok(output.messages().iter().map(message_from_sdk).collect())
    }

    async fn send(&self, url: &str, request: &SendRequest) -> Result<String, SqsError> {
        let output = self
            .client
            .send_message()
            .queue_url(url)
            .message_body(&request.body)
            .set_delay_seconds(request.delay_seconds.and_then(|delay| i32::try_from(delay).ok()))
            .set_message_group_id(request.group_id.clone())
            .set_message_deduplication_id(request.deduplication_id.clone())
            .set_message_attributes(sdk_attributes("SendMessage", request)?)
            .send()
            .await
            .map_err(|error| failed("SendMessage", error))?;
        Ok(output.message_id().unwrap_or_default().to_owned())
    }

    async fn send_batch(&self, url: &str, entries: &[BatchEntry]) -> Result<BatchOutcome, SqsError> {
        let mut call = self.client.send_message_batch().queue_url(url);
        for entry in entries {
            let request = &entry.request;
            let built = SendMessageBatchRequestEntry::builder()
                .id(&entry.id)
                .message_body(&request.body)
                .set_delay_seconds(request.delay_seconds.and_then(|delay| i32::try_from(delay).ok()))
                .set_message_group_id(request.group_id.clone())
                .set_message_deduplication_id(request.deduplication_id.clone())
                .set_message_attributes(sdk_attributes("SendMessageBatch", request)?)
                .build()
                .map_err(|error| SqsError::Service {
                    action: "SendMessageBatch",
                    code: "InvalidEntry".into(),
                    message: error.to_string(),
                })?;
            call = call.entries(built);
        }
        let output = call.send().await.map_err(|error| failed("SendMessageBatch", error))?;
        let accepted = output.successful().iter().map(|entry| entry.id().to_owned()).collect();
        Ok(batch_outcome(accepted, output.failed()))
    }

    async fn delete_batch(&self, url: &str, entries: &[(String, String)]) -> Result<BatchOutcome, SqsError> {
        let mut call = self.client.delete_message_batch().queue_url(url);
        for (id, receipt_handle) in entries {
            let built =
                DeleteMessageBatchRequestEntry::builder().id(id).receipt_handle(receipt_handle).build().map_err(
                    |error| SqsError::Service {
                        action: "DeleteMessageBatch",
                        code: "InvalidEntry".into(),
                        message: error.to_string(),
                    },
                )?;
            call = call.entries(built);
        }
        let output = call.send().await.map_err(|error| failed("DeleteMessageBatch", error))?;
        let accepted = output.successful().iter().map(|entry| entry.id().to_owned()).collect();
        Ok(batch_outcome(accepted, output.failed()))
    }

    async fn delete(&self, url: &str, receipt_handle: &str) -> Result<(), SqsError> {
        self.client
            .delete_message()
            .queue_url(url)
            .receipt_handle(receipt_handle)
            .send()
            .await
            .map_err(|error| failed("DeleteMessage", error))?;
        Ok(())
    }

    async fn purge(&self, url: &str) -> Result<(), SqsError> {
        self.client.purge_queue().queue_url(url).send().await.map_err(|error| failed("PurgeQueue", error))?;
        Ok(())
    }

    async fn start_move(
        &self,
        source_arn: &str,
        destination_arn: Option<&str>,
        rate: Option<u32>,
    ) -> Result<String, SqsError> {
        let output = self
            .client
            .start_message_move_task()
            .source_arn(source_arn)
            .set_destination_arn(destination_arn.map(str::to_owned))
            .set_max_number_of_messages_per_second(rate.and_then(|rate| i32::try_from(rate).ok()))
            // An endpoint without move tasks answers with an error; retrying it only delays the fallback.
            .customize()
            .config_override(
                aws_sdk_sqs::config::Config::builder().retry_config(RetryConfig::standard().with_max_attempts(1)),
            )
            .send()
            .await
            .map_err(|error| move_refused(failed("StartMessageMoveTask", error), self.at_aws))?;
        Ok(output.task_handle().unwrap_or_default().to_owned())
    }

    async fn list_moves(&self, source_arn: &str) -> Result<Vec<MoveTask>, SqsError> {
        let output = self
            .client
            .list_message_move_tasks()
            .source_arn(source_arn)
            .max_results(10)
            .send()
            .await
            .map_err(|error| failed("ListMessageMoveTasks", error))?;
        Ok(output
            .results()
            .iter()
            .filter_map(|entry| {
                Some(MoveTask {
                    handle: entry.task_handle().map(str::to_owned),
                    status: MoveStatus::parse(entry.status()?)?,
                    destination_arn: entry.destination_arn().map(str::to_owned),
                    rate: entry.max_number_of_messages_per_second().and_then(|rate| u32::try_from(rate).ok()),
                    moved: u64::try_from(entry.approximate_number_of_messages_moved()).unwrap_or(0),
                    to_move: entry.approximate_number_of_messages_to_move().and_then(|count| u64::try_from(count).ok()),
                    failure: entry.failure_reason().map(str::to_owned),
                    started_millis: entry.started_timestamp(),
                })
            })
            .collect())
    }

    async fn cancel_move(&self, task_handle: &str) -> Result<u64, SqsError> {
        let output = self
            .client
            .cancel_message_move_task()
            .task_handle(task_handle)
            .send()
            .await
            .map_err(|error| failed("CancelMessageMoveTask", error))?;
        Ok(u64::try_from(output.approximate_number_of_messages_moved()).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_sqs::config::http::HttpResponse;
    use aws_sdk_sqs::error::ErrorMetadata;
    use aws_sdk_sqs::operation::start_message_move_task::StartMessageMoveTaskError;

    use super::*;

    /// The error the SDK gives for an answer it found no error code in (or `code` in).
    fn answered(
        status: u16,
        content_type: &str,
        body: &str,
        code: Option<&str>,
    ) -> SdkError<StartMessageMoveTaskError> {
        let mut response = HttpResponse::new(status.try_into().unwrap(), body.to_owned().into());
        response.headers_mut().insert("content-type", content_type.to_owned());
        let mut metadata = ErrorMetadata::builder();
        if let Some(code) = code {
            metadata = metadata.code(code).message("from the SDK");
        }
        SdkError::service_error(StartMessageMoveTaskError::generic(metadata.build()), response)
    }

    #[test]
    fn an_html_page_is_foreign_and_names_the_copy_only_away_from_aws() {
        let page = "<!doctype html><html><title>500 Internal Server Error</title></html>";
        let error = failed("StartMessageMoveTask", answered(500, "text/html; charset=utf-8", page, None));
        assert!(matches!(error, SqsError::Foreign { .. }), "{error:?}");
        let line = error.to_string();
        assert!(line.starts_with("StartMessageMoveTask: HTTP 500 with an HTML page, text/html"), "{line}");
        assert!(!line.contains('<') && !line.contains("try again in a moment"), "{line}");
        let at_emulator = move_refused(error.clone(), false).to_string();
        assert!(at_emulator.contains("--copy"), "{at_emulator}");
        assert_eq!(move_refused(error.clone(), true), error, "at AWS it stays an answer of something else");
    }

    #[test]
    fn a_real_aws_error_is_classified_as_before() {
        let read_by_the_sdk =
            failed("ListQueues", answered(400, "application/x-amz-json-1.0", "{}", Some("AccessDenied")));
        assert!(matches!(read_by_the_sdk, SqsError::AccessDenied { .. }), "{read_by_the_sdk:?}");
        // moto's XML error where SQS speaks JSON, sent as text/html: still access denied.
        let xml = "<ErrorResponse><Error><Code>AccessDenied</Code><Message>User: x is not authorized</Message></Error>\
                   </ErrorResponse>";
        let moto = failed("ListQueues", answered(403, "text/html; charset=utf-8", xml, None));
        assert_eq!(moto, SqsError::AccessDenied { action: "ListQueues", message: "User: x is not authorized".into() });
        let unknown = answered(400, "application/x-amz-json-1.0", "{}", Some("UnknownOperationException"));
        assert!(matches!(failed("StartMessageMoveTask", unknown), SqsError::Unsupported { .. }));
        let empty = move_refused(failed("StartMessageMoveTask", answered(502, "", "", None)), false);
        assert!(matches!(empty, SqsError::NoMoveTasks { .. }), "{empty:?}");
    }
}
