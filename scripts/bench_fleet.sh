#!/usr/bin/env bash
# The fleet benchmark of issue 10: `switchboard sqs list` over ACCOUNTS accounts on moto (one
# role each, QUEUES queues each), against, in the same run and on the same server:
#   - the boto3 loop the fleet commands replace: for each account, AssumeRole, a Session with
#     its keys, list_queues (one account after the other, as such scripts do);
#   - the emulator's floor: bare AssumeRole + ListQueues HTTP requests over a few keep-alive
#     connections (nothing signed, parsed or retried), and the same plus one
#     GetQueueAttributes per queue, which is the work `sqs list` does for its counts.
# Prints the median of RUNS runs of each, in seconds.
#
# Usage: scripts/bench_fleet.sh [ACCOUNTS] [QUEUES] [RUNS]
#   SWITCHBOARD_BIN=path  use this binary instead of building target/release/switchboard
#   COMPARE_BIN=path      also time this other build of switchboard (before/after a change)
#   SKIP_BOTO3_LOOP=1     leave out the (slow) boto3 loop
#   SWITCHBOARD_MOTO_SERVER / SWITCHBOARD_PYTHON  as in scripts/test.sh (default: .venv)
set -euo pipefail

ACCOUNTS="${1:-100}"
QUEUES="${2:-3}"
RUNS="${3:-5}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MOTO="${SWITCHBOARD_MOTO_SERVER:-$REPO/.venv/bin/moto_server}"
PYTHON="${SWITCHBOARD_PYTHON:-$REPO/.venv/bin/python}"
[[ -x "$MOTO" && -x "$PYTHON" ]] || { echo "moto missing: run scripts/install-test-deps.sh" >&2; exit 1; }

if [[ -z "${SWITCHBOARD_BIN:-}" ]]; then
  (cd "$REPO" && cargo build --release --bin switchboard >&2)
  SWITCHBOARD_BIN="${CARGO_TARGET_DIR:-$REPO/target}/release/switchboard"
fi

WORK="$(mktemp -d)"
MOTO_PID=""
cleanup() {
  [[ -n "$MOTO_PID" ]] && kill "$MOTO_PID" 2>/dev/null && wait "$MOTO_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
ENDPOINT="http://127.0.0.1:$PORT"
"$MOTO" -H 127.0.0.1 -p "$PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
for _ in $(seq 1 300); do
  grep -q "Running on" "$WORK/moto.log" 2>/dev/null && break
  kill -0 "$MOTO_PID" 2>/dev/null || { cat "$WORK/moto.log" >&2; exit 1; }
  sleep 0.1
done

# Everything else in Python: the inventory, the seeding, the two comparisons and the timing.
export ENDPOINT ACCOUNTS QUEUES RUNS SWITCHBOARD_BIN WORK COMPARE_BIN="${COMPARE_BIN:-}" SKIP_BOTO3_LOOP="${SKIP_BOTO3_LOOP:-}"
export AWS_ACCESS_KEY_ID=AKIABENCHFLEET000001 AWS_SECRET_ACCESS_KEY=bench-not-secret AWS_REGION=eu-west-1
export AWS_CONFIG_FILE="$WORK/no-config" AWS_SHARED_CREDENTIALS_FILE="$WORK/credentials"
"$PYTHON" - <<'PY'
import http.client, json, os, re, statistics, subprocess, sys, threading, time, urllib.parse
from concurrent.futures import ThreadPoolExecutor

import boto3

endpoint, work = os.environ["ENDPOINT"], os.environ["WORK"]
accounts, queues, runs = int(os.environ["ACCOUNTS"]), int(os.environ["QUEUES"]), int(os.environ["RUNS"])
region = "eu-west-1"
ids = [f"{100000000000 + n}" for n in range(accounts)]
roles = [f"arn:aws:iam::{account}:role/ReadOnly" for account in ids]

with open(f"{work}/credentials", "w") as file:
    file.write(f"[bench]\naws_access_key_id = {os.environ['AWS_ACCESS_KEY_ID']}\n"
               f"aws_secret_access_key = {os.environ['AWS_SECRET_ACCESS_KEY']}\n")
inventory = [f'[defaults]\nregion = "{region}"\nendpoint_url = "{endpoint}"\n',
             f'[sources.bench]\nprofile = "bench"\ncredentials_file = "{work}/credentials"\n']
for n, account in enumerate(ids):
    inventory.append(f'[[accounts]]\nname = "acct-{n:03}"\nid = "{account}"\n'
                     f'  [[accounts.roles]]\n  name = "readonly"\n  role_name = "ReadOnly"\n  source = "bench"\n')
with open(f"{work}/accounts.toml", "w") as file:
    file.write("\n".join(inventory))

def seed(role):
    keys = boto3.client("sts", endpoint_url=endpoint, region_name=region).assume_role(
        RoleArn=role, RoleSessionName="seed")["Credentials"]
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=region, aws_access_key_id=keys["AccessKeyId"],
                       aws_secret_access_key=keys["SecretAccessKey"], aws_session_token=keys["SessionToken"])
    for q in range(queues):
        sqs.create_queue(QueueName=f"queue-{q}")

with ThreadPoolExecutor(8) as pool:
    list(pool.map(seed, roles))

def switchboard(binary=os.environ["SWITCHBOARD_BIN"], extra=()):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(SWITCHBOARD_CACHE="memory", SWITCHBOARD_INVENTORY=f"{work}/accounts.toml", HOME=work,
               AWS_SHARED_CREDENTIALS_FILE=f"{work}/credentials", AWS_CONFIG_FILE=f"{work}/no-config")
    result = subprocess.run([binary, "sqs", "list", "--json", *extra], env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"switchboard sqs list failed ({result.returncode}):\n{result.stderr}")
    listed = json.loads(result.stdout)
    found = sum(len(account["queues"]) for account in listed)
    assert found == accounts * queues, f"listed {found} queues, expected {accounts * queues}"

def boto3_loop():
    found = 0
    for role in roles:
        keys = boto3.client("sts", endpoint_url=endpoint, region_name=region).assume_role(
            RoleArn=role, RoleSessionName="loop")["Credentials"]
        session = boto3.Session(aws_access_key_id=keys["AccessKeyId"], aws_secret_access_key=keys["SecretAccessKey"],
                                aws_session_token=keys["SessionToken"], region_name=region)
        found += len(session.client("sqs", endpoint_url=endpoint).list_queues().get("QueueUrls", []))
    assert found == accounts * queues, found

HOST = urllib.parse.urlparse(endpoint).netloc
local = threading.local()

def post(body, key, service, target=None):
    """One request over this thread's keep-alive connection; moto reads the account from the key.
    STS in its query protocol, SQS in the JSON protocol (`target`), as the SDKs send them."""
    if not hasattr(local, "connection"):
        local.connection = http.client.HTTPConnection(HOST)
    headers = {"Content-Type": "application/x-amz-json-1.0" if target else "application/x-www-form-urlencoded",
               "Authorization": f"AWS4-HMAC-SHA256 Credential={key}/20250101/{region}/{service}/aws4_request, "
                                "SignedHeaders=host, Signature=0"}
    if target:
        headers["X-Amz-Target"] = f"AmazonSQS.{target}"
    payload = json.dumps(body) if target else urllib.parse.urlencode(body)
    local.connection.request("POST", "/", body=payload, headers=headers)
    response = local.connection.getresponse()
    text = response.read().decode()
    assert response.status == 200, text
    return text

def bare(role, attributes):
    text = post({"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": role, "RoleSessionName": "floor"},
                os.environ["AWS_ACCESS_KEY_ID"], "sts")
    key = re.search(r"<AccessKeyId>([^<]+)</AccessKeyId>", text).group(1)
    urls = json.loads(post({"MaxResults": 1000}, key, "sqs", "ListQueues")).get("QueueUrls", [])
    if attributes:
        for url in urls:
            post({"QueueUrl": url, "AttributeNames": ["All"]}, key, "sqs", "GetQueueAttributes")
    return len(urls)

def floor(attributes):
    # A few keep-alive connections, as an HTTP client pool would hold.
    with ThreadPoolExecutor(8) as pool:
        found = sum(pool.map(lambda role: bare(role, attributes), roles))
    assert found == accounts * queues, found

def timed(run):
    start = time.perf_counter()
    run()
    return time.perf_counter() - start

cases = [("switchboard sqs list (assume, list, attributes)", switchboard),
         ("switchboard sqs list --no-counts (assume, list)", lambda: switchboard(extra=("--no-counts",))),
         ("boto3 loop (assume + Session + list_queues)", boto3_loop),
         ("floor: bare AssumeRole + ListQueues", lambda: floor(False)),
         ("floor: bare AssumeRole + ListQueues + GetQueueAttributes", lambda: floor(True))]
if os.environ["COMPARE_BIN"]:
    cases.append((f"compared: {os.environ['COMPARE_BIN']} sqs list", lambda: switchboard(os.environ["COMPARE_BIN"])))
if os.environ["SKIP_BOTO3_LOOP"]:
    cases = [case for case in cases if case[1] is not boto3_loop]
# Rounds of every case in turn, so a slower moment of the machine or of moto (its state grows
# with every session) falls on all of them alike.
times = {name: [] for name, _ in cases}
for _ in range(runs):
    for name, run in cases:
        times[name].append(timed(run))
results = {name: statistics.median(values) for name, values in times.items()}
print(f"{accounts} accounts x {queues} queues on moto, median of {runs} rounds:")
for name, _ in cases:
    print(f"  {results[name]:7.3f} s  {name}")
ours = results[cases[0][0]]
floor_all = results["floor: bare AssumeRole + ListQueues + GetQueueAttributes"]
floor_list = results["floor: bare AssumeRole + ListQueues"]
names = results["switchboard sqs list --no-counts (assume, list)"]
if not os.environ["SKIP_BOTO3_LOOP"]:
    loop = results["boto3 loop (assume + Session + list_queues)"]
    print(f"switchboard / boto3 loop: {ours / loop:.3f}; --no-counts / boto3 loop: {names / loop:.3f}  (goal <= 0.1)")
print(f"switchboard --no-counts / floor (AssumeRole + ListQueues, the same requests): {names / floor_list:.2f}x  (goal <= 1.3x)")
print(f"switchboard / floor with attributes (the same requests as sqs list): {ours / floor_all:.2f}x")
PY
