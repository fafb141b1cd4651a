#!/usr/bin/env python3
"""Seed a local moto server with a realistic multi-account setup for the switchboard sandbox.

Usage: seed_sandbox.py ENDPOINT OUTDIR

Creates, in four fake accounts, IAM roles (Admin, ReadOnly, Deploy) and a handful of SQS
queues with messages and three CloudWatch alarms each, then writes OUTDIR/aws-credentials and OUTDIR/accounts.toml (the
switchboard inventory pointing at ENDPOINT). Safe to re-run: nothing is duplicated.
"""

import json
import os
import random
import sys
import uuid

import boto3
from botocore.exceptions import ClientError

HUB_ACCOUNT = "123456789012"  # moto's default account: where unknown access keys live
HUB_KEY_ID = "AKIASANDBOXHUB000001"
HUB_SECRET = "sandbox-secret-not-real"
HUB_REGION = "eu-west-1"

ACCOUNTS = [
    # (id, name, environment, region, account-specific extra queues)
    ("111111111111", "sandbox-prod", "production", "eu-central-1", ["payments-settlement", "fraud-checks"]),
    ("222222222222", "sandbox-staging", "staging", "eu-west-1", ["payments-settlement", "load-test"]),
    ("333333333333", "sandbox-dev", "development", "eu-west-1", ["scratch"]),
    ("444444444444", "sandbox-shared", "shared-services", "eu-west-1", ["deploy-events", "cost-reports"]),
]
COMMON_QUEUES = ["notifications", "billing-jobs", "audit-log"]
SHARED_ACCOUNT = "444444444444"
DEV_ACCOUNT = "333333333333"

# Inline policies (moto does not load AWS managed policies unless asked to).
ROLE_PERMISSIONS = {
    "Admin": {"Effect": "Allow", "Action": "*", "Resource": "*"},
    "ReadOnly": {
        "Effect": "Allow",
        "Action": ["sqs:Get*", "sqs:List*", "sqs:ReceiveMessage", "iam:Get*", "iam:List*", "cloudwatch:Describe*"],
        "Resource": "*",
    },
    "Deploy": {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"},
}


def log(msg):
    print(f"seed: {msg}", file=sys.stderr)


def hub_session():
    return boto3.Session(
        aws_access_key_id=HUB_KEY_ID,
        aws_secret_access_key=HUB_SECRET,
        region_name=HUB_REGION,
    )


def account_session(endpoint, account_id, region):
    """Credentials for `account_id`: moto files resources under the assumed role's account."""
    sts = hub_session().client("sts", endpoint_url=endpoint)
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/Admin", RoleSessionName="seed"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )


def trust_policy(account_id, role_name):
    principals = [f"arn:aws:iam::{HUB_ACCOUNT}:root"]
    if role_name == "Deploy":
        # Deploy can also be reached by chaining from the shared-services Admin role.
        principals.append(f"arn:aws:iam::{SHARED_ACCOUNT}:role/Admin")
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": principals},
        "Action": "sts:AssumeRole",
    }
    if role_name == "Admin" and account_id != DEV_ACCOUNT:  # dev admin has no MFA in the inventory
        statement["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def seed_roles(iam, account_id):
    for role_name in ("Admin", "ReadOnly", "Deploy"):
        kwargs = {
            "RoleName": role_name,
            "AssumeRolePolicyDocument": trust_policy(account_id, role_name),
            "Description": f"switchboard sandbox {role_name} role",
        }
        if role_name == "Admin":
            kwargs["MaxSessionDuration"] = 43200
        try:
            iam.create_role(**kwargs)
        except ClientError as err:
            if err.response["Error"]["Code"] != "EntityAlreadyExists":
                raise
        # put_role_policy overwrites, so re-seeding stays idempotent.
        iam.put_role_policy(
            RoleName=role_name,
            PolicyName=f"sandbox-{role_name.lower()}",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [ROLE_PERMISSIONS[role_name]]}
            ),
        )


def queue_is_empty(sqs, url):
    attrs = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(v) for v in attrs.values()) == 0


def send_batch(sqs, url, queue, account_name, count, rng):
    """Send `count` JSON messages; only called on empty queues so re-runs don't pile up."""
    fifo = queue.endswith(".fifo")
    entries = []
    for i in range(count):
        kind = rng.choice(["created", "updated", "cancelled", "retried"])
        body = {
            "id": str(uuid.UUID(int=rng.getrandbits(128))),
            "queue": queue,
            "account": account_name,
            "seq": i + 1,
            "event": f"{queue.split('.')[0]}.{kind}",
            "amount_cents": rng.randint(100, 250000),
        }
        entry = {
            "Id": str(i),
            "MessageBody": json.dumps(body),
            "MessageAttributes": {
                "event_type": {"DataType": "String", "StringValue": body["event"]},
                "source": {"DataType": "String", "StringValue": f"{account_name}/seed"},
                "attempt": {"DataType": "Number", "StringValue": str(rng.randint(1, 3))},
            },
        }
        if fifo:
            entry["MessageGroupId"] = f"group-{i % 3}"
        entries.append(entry)
    for start in range(0, len(entries), 10):  # SQS batch limit
        resp = sqs.send_message_batch(QueueUrl=url, Entries=entries[start : start + 10])
        if resp.get("Failed"):
            raise RuntimeError(f"send to {queue} failed: {resp['Failed']}")


def seed_queues(sqs, account_id, account_name, region, extra_queues):
    rng = random.Random(f"{account_id}")  # deterministic content across re-seeds
    created = {}

    def create(name, attributes=None):
        url = sqs.create_queue(QueueName=name, Attributes=attributes or {})["QueueUrl"]
        created[name] = url
        return url

    dlq_url = create("orders-dlq", {"MessageRetentionPeriod": "1209600"})
    dlq_arn = f"arn:aws:sqs:{region}:{account_id}:orders-dlq"
    orders_arn = f"arn:aws:sqs:{region}:{account_id}:orders"
    create(
        "orders",
        {
            "VisibilityTimeout": "60",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
        },
    )
    # moto 5.2 accepts but does not store RedriveAllowPolicy; set it anyway so the seed
    # matches a real account, and tolerate backends that reject it.
    try:
        sqs.set_queue_attributes(
            QueueUrl=dlq_url,
            Attributes={
                "RedriveAllowPolicy": json.dumps(
                    {"redrivePermission": "byQueue", "sourceQueueArns": [orders_arn]}
                )
            },
        )
    except ClientError as err:
        log(f"RedriveAllowPolicy not supported here: {err}")
    create("events.fifo", {"FifoQueue": "true", "ContentBasedDeduplication": "true"})
    for name in COMMON_QUEUES + extra_queues:
        create(name)

    for name, url in created.items():
        count = 2 if name == "orders-dlq" else rng.randint(3, 10)
        if queue_is_empty(sqs, url):
            send_batch(sqs, url, name, account_name, count, rng)
    return created


TOML_HEADER = """\
# switchboard sandbox inventory: every account lives in the local moto server below.
[defaults]
region = "eu-west-1"
duration = "1h"
refresh_before = "5m"
endpoint_url = "{endpoint}"

[sources.hub]
profile = "sandbox-hub"
credentials_file = "aws-credentials"      # relative to this file
mfa_serial = "arn:aws:iam::{hub}:mfa/sandbox-operator"
session_duration = "12h"

# IAM Identity Center: a local fake (scripts/fake_sso.py) beside moto. `r` on an sso-* role
# (or `switchboard login corp`) signs in; the sandbox's "browser" approves what it opens.
[sources.corp]
sso_start_url = "https://sandbox.awsapps.com/start"
sso_region = "eu-west-1"
"""

TOML_ACCOUNTS = """
[[accounts]]
name = "sandbox-prod"
id = "111111111111"
environment = "production"
tags = ["payments", "sandbox"]
region = "eu-central-1"

  [[accounts.roles]]
  name = "admin"
  role_name = "Admin"
  source = "hub"
  mfa = true
  duration = "1h"

  [[accounts.roles]]
  name = "readonly"
  role_name = "ReadOnly"
  source = "hub"
  read_only = true

  [[accounts.roles]]
  name = "deploy-chained"
  role_name = "Deploy"
  via = "sandbox-shared/admin"      # role chaining: assumed from sandbox-shared/admin

  [[accounts.roles]]
  name = "sso-admin"
  permission_set = "AdministratorAccess"   # through the Identity Center sign-in of source corp
  source = "corp"

  [[accounts.roles]]
  name = "sso-readonly"
  permission_set = "ReadOnly"
  source = "corp"

[[accounts]]
name = "sandbox-staging"
id = "222222222222"
environment = "staging"
tags = ["payments", "sandbox"]

  [[accounts.roles]]
  name = "admin"
  role_name = "Admin"
  source = "hub"
  mfa = true
  duration = "1h"

  [[accounts.roles]]
  name = "deploy"
  role_name = "Deploy"
  source = "hub"

  [[accounts.roles]]
  name = "sso-readonly"
  permission_set = "ReadOnly"
  source = "corp"

[[accounts]]
name = "sandbox-dev"
id = "333333333333"
environment = "development"
tags = ["sandbox", "experiments"]

  [[accounts.roles]]
  name = "admin"
  role_name = "Admin"
  source = "hub"
  duration = "2h"

[[accounts]]
name = "sandbox-shared"
id = "444444444444"
environment = "shared-services"
tags = ["platform", "sandbox"]

  [[accounts.roles]]
  name = "admin"
  role_name = "Admin"
  source = "hub"
  mfa = true
"""


def seed_alarms(cloudwatch, account_name):
    """Three alarms on the account's queues: the DLQ's depth in ALARM, the orders queue's age
    with too little data, the notifications queue's depth OK (idempotent: PutMetricAlarm
    replaces, SetAlarmState sets the state again)."""
    alarms = [
        ("orders-dlq-depth", "orders-dlq", "ApproximateNumberOfMessagesVisible", 0.0, "ALARM",
         "Threshold Crossed: 1 out of the last 1 datapoints [12.0] was greater than the threshold (0.0)"),
        ("orders-oldest-message", "orders", "ApproximateAgeOfOldestMessage", 900.0, "INSUFFICIENT_DATA",
         "Insufficient Data: 1 datapoint was unknown"),
        ("notifications-depth", "notifications", "ApproximateNumberOfMessagesVisible", 1000.0, "OK",
         "Threshold Crossed: 1 out of the last 1 datapoints [3.0] was not greater than the threshold (1000.0)"),
    ]
    for name, queue, metric, threshold, state, reason in alarms:
        cloudwatch.put_metric_alarm(
            AlarmName=f"{account_name}-{name}",
            AlarmDescription=f"{metric} of {queue} in {account_name}",
            Namespace="AWS/SQS",
            MetricName=metric,
            Dimensions=[{"Name": "QueueName", "Value": queue}],
            Statistic="Maximum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=threshold,
            ComparisonOperator="GreaterThanThreshold",
        )
        cloudwatch.set_alarm_state(AlarmName=f"{account_name}-{name}", StateValue=state, StateReason=reason)


def write_file(path, text, mode):
    # Write-then-rename so a running switchboard never sees a half-written file.
    tmp = f"{path}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    endpoint, outdir = sys.argv[1].rstrip("/"), sys.argv[2]
    os.makedirs(outdir, exist_ok=True)

    summary = []
    for account_id, name, _env, region, extra in ACCOUNTS:
        session = account_session(endpoint, account_id, region)
        seed_roles(session.client("iam", endpoint_url=endpoint), account_id)
        sqs = session.client("sqs", endpoint_url=endpoint)
        seed_queues(sqs, account_id, name, region, extra)
        seed_alarms(session.client("cloudwatch", endpoint_url=endpoint), name)
        urls = sqs.list_queues().get("QueueUrls", [])
        total = 0
        for url in urls:
            attrs = sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
            total += int(attrs["ApproximateNumberOfMessages"])
        summary.append(f"  {name:<16} {account_id}  {region:<13} {len(urls)} queues, {total} messages, 3 alarms")

    write_file(
        os.path.join(outdir, "aws-credentials"),
        f"[sandbox-hub]\naws_access_key_id = {HUB_KEY_ID}\naws_secret_access_key = {HUB_SECRET}\n",
        0o600,
    )
    write_file(
        os.path.join(outdir, "accounts.toml"),
        TOML_HEADER.format(endpoint=endpoint, hub=HUB_ACCOUNT) + TOML_ACCOUNTS,
        0o644,
    )

    log(f"seeded {len(ACCOUNTS)} accounts at {endpoint}:")
    for line in summary:
        print(line, file=sys.stderr)
    log(f"wrote {os.path.join(outdir, 'accounts.toml')} and aws-credentials")
    return 0


if __name__ == "__main__":
    sys.exit(main())
