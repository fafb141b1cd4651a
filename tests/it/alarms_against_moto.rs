//! The alarms panel's service against moto: alarms seeded with the SDK through a role's
//! session (PutMetricAlarm, SetAlarmState), read back by switchboard's CloudWatch client;
//! then the panel end to end in a pseudo-terminal, and the fleet view's table.

use std::sync::Arc;

use crate::support::Sandbox;
use crate::support::pty::{Tui, open_panels, roles_are_shown, words};
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StateValue, Statistic};
use switchboard::domain::aws::{Connection, Endpoints};
use switchboard::domain::cloudwatch::{AlarmState, AwsCloudWatch, CloudWatch};
use switchboard::domain::credentials::Credentials;

fn session(sandbox: &Sandbox, role: &str, more: &[&str]) -> (Credentials, String) {
    crate::support::role_session(sandbox, role, more)
}

fn raw_client(sandbox: &Sandbox, credentials: &Credentials, region: &str) -> aws_sdk_cloudwatch::Client {
    let config = aws_sdk_cloudwatch::Config::builder()
        .behavior_version(aws_sdk_cloudwatch::config::BehaviorVersion::latest())
        .region(aws_sdk_cloudwatch::config::Region::new(region.to_owned()))
        .credentials_provider(switchboard::domain::sts::sdk_credentials(credentials))
        .endpoint_url(&sandbox.moto.endpoint)
        .build();
    aws_sdk_cloudwatch::Client::from_conf(config)
}

/// Through `role`: `{prefix}-depth` set to ALARM with `reason`, `{prefix}-errors` set to OK,
/// and `{prefix}-latency` to INSUFFICIENT_DATA.
fn seed(sandbox: &Sandbox, role: &str, more: &[&str], prefix: &str, reason: &str) {
    let (credentials, region) = session(sandbox, role, more);
    let client = raw_client(sandbox, &credentials, &region);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        for (suffix, metric) in
            [("depth", "ApproximateNumberOfMessagesVisible"), ("errors", "Errors"), ("latency", "Latency")]
        {
            client
                .put_metric_alarm()
                .alarm_name(format!("{prefix}-{suffix}"))
                .namespace("AWS/SQS")
                .metric_name(metric)
                .dimensions(Dimension::builder().name("QueueName").value("jobs").build())
                .statistic(Statistic::Maximum)
                .period(60)
                .evaluation_periods(3)
                .datapoints_to_alarm(2)
                .threshold(10.0)
                .comparison_operator(ComparisonOperator::GreaterThanThreshold)
                .send()
                .await
                .unwrap();
        }
        let set = |name: String, state: StateValue, why: &str| {
            client.set_alarm_state().alarm_name(name).state_value(state).state_reason(why).send()
        };
        set(format!("{prefix}-depth"), StateValue::Alarm, reason).await.unwrap();
        set(format!("{prefix}-errors"), StateValue::Ok, "back to normal").await.unwrap();
        // moto starts alarms as OK; CloudWatch starts them with too little data.
        set(format!("{prefix}-latency"), StateValue::InsufficientData, "no datapoints yet").await.unwrap();
    });
}

#[test]
fn describe_alarms_reads_every_alarm_most_urgent_first_with_its_reason() {
    let sandbox = Sandbox::new();
    seed(&sandbox, "prod/viewer", &[], "orders", "Threshold Crossed: 1 datapoint [42.0] was greater than 10.0");
    let (credentials, region) = session(&sandbox, "prod/viewer", &[]);
    let endpoint = sandbox.moto.endpoint.clone();
    let connection = Connection { credentials, region, endpoints: Endpoints::new(move |_| Some(endpoint.clone())) };
    let client: Arc<dyn CloudWatch> = Arc::new(AwsCloudWatch::new(&connection, Some(sandbox.moto.endpoint.clone())));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let alarms = runtime.block_on(client.alarms()).unwrap();
    let order: Vec<(&str, AlarmState)> = alarms.iter().map(|alarm| (alarm.name.as_str(), alarm.state)).collect();
    assert_eq!(
        order,
        [
            ("orders-depth", AlarmState::Alarm),
            ("orders-latency", AlarmState::InsufficientData),
            ("orders-errors", AlarmState::Ok)
        ]
    );
    let depth = &alarms[0];
    assert_eq!(depth.reason, "Threshold Crossed: 1 datapoint [42.0] was greater than 10.0");
    assert_eq!(depth.watches, "AWS/SQS ApproximateNumberOfMessagesVisible (Maximum) QueueName=jobs");
    assert_eq!(depth.threshold, "> 10 for 2 of 3 × 60 s");
    assert!(depth.since.is_some(), "{depth:?}");
}

/// The row of the alarms list that names `alarm`, as words (without the selection marker).
fn alarm_row<'s>(screen: &'s str, alarm: &str) -> Option<(usize, Vec<&'s str>)> {
    screen.lines().enumerate().find_map(|(at, line)| {
        let words: Vec<&str> = words(line).into_iter().filter(|word| *word != "▸").collect();
        words.contains(&alarm).then_some((at, words))
    })
}

#[test]
fn the_panel_lists_an_alarm_set_to_alarm_first_with_its_reason_and_the_fleet_shows_it_beside_the_queues() {
    let sandbox = Sandbox::new();
    let reason = "Threshold Crossed: 1 datapoint [42.0] was greater than 10.0";
    seed(&sandbox, "prod/viewer", &[], "orders", reason);
    // A dead-letter queue with a message in the same account, for the fleet's table.
    let sqs = crate::support::sqs_client(&sandbox, "prod/viewer");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let dlq = sqs.create_queue().queue_name("orders-dlq").send().await.unwrap().queue_url().unwrap().to_owned();
        sqs.send_message().queue_url(&dlq).message_body("failed").send().await.unwrap();
    });

    let mut tui = Tui::start(&sandbox);
    open_panels(&mut tui, "prod viewer", "viewer");
    assert!(tui.screen_text().contains(" alarms "), "the alarms panel has a tab:\n{}", tui.screen_text());
    // Tab past sqs and identity: the alarms, most urgent first, each with since, metric,
    // threshold and reason.
    tui.send("\t\t");
    let screen = tui.wait_for("the alarms, ALARM first", |screen| {
        screen.contains("alarms of prod in eu-central-1")
            && screen.contains("3 alarms · 1 in ALARM · 1 insufficient data · 1 OK")
            && alarm_row(screen, "orders-depth").is_some_and(|(_, row)| row[0] == "ALARM" && row.contains(&"Threshold"))
    });
    let at = |alarm: &str| alarm_row(&screen, alarm).map(|(at, _)| at).unwrap();
    assert!(at("orders-depth") < at("orders-latency") && at("orders-latency") < at("orders-errors"), "{screen}");
    let (_, latency) = alarm_row(&screen, "orders-latency").unwrap();
    assert_eq!(latency[0], "INSUFFICIENT_DATA", "{screen}");
    assert!(screen.lines().any(|line| line.contains("▸ ALARM")), "the first alarm is selected:\n{screen}");

    // Enter: the selected (first) alarm whole.
    tui.send("\r");
    tui.wait_for("the alarm's detail", |screen| {
        screen.contains("fires when > 10 for 2 of 3 × 60 s")
            && screen.contains(&format!("reason     {reason}"))
            && screen.contains("watches    AWS/SQS ApproximateNumberOfMessagesVisible (Maximum) QueueName=jobs")
    });
    tui.send("\x1b");
    // / filters as it is typed; Esc clears it.
    tui.send("/errors");
    tui.wait_for("only orders-errors", |screen| {
        alarm_row(screen, "orders-errors").is_some() && alarm_row(screen, "orders-depth").is_none()
    });
    tui.send("\r\x1b");
    tui.wait_for("every alarm again", |screen| alarm_row(screen, "orders-depth").is_some());

    // Back to the roles, mark prod/viewer, Enter: the fleet, the alarm in ALARM above the
    // dead-letter queue.
    tui.send("\x1b");
    // (The alarms table has a STATE column too: wait for the panels to be gone.)
    tui.wait_for("the roles", |screen| roles_are_shown(screen) && !screen.contains("alarms of prod"));
    tui.send(" ");
    tui.wait_for("one mark", |screen| screen.contains("1 marked"));
    tui.send("\r");
    let screen = tui.wait_for("the fleet with the alarm and the queue", |screen| {
        let alarm = screen.lines().map(words).position(|row| row.starts_with(&["▸", "prod/viewer", "orders-depth"]));
        let queue = screen.lines().map(words).position(|row| row.contains(&"orders-dlq") && row.contains(&"1"));
        alarm.is_some() && queue.is_some() && alarm < queue
    });
    let alarm = screen.lines().find(|line| line.contains("orders-depth")).unwrap();
    assert!(alarm.contains("ALARM") && alarm.contains("Threshold Crossed"), "{screen}");
    assert!(!screen.contains("orders-errors") && !screen.contains("orders-latency"), "only alarms in ALARM:\n{screen}");
    tui.send("\x1b");
    tui.wait_for("the roles", |screen| roles_are_shown(screen) && !screen.contains("orders-depth"));
    tui.send("q");
    assert!(tui.wait_for_exit().success());
}
