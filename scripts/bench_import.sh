#!/usr/bin/env bash
# `switchboard import aws-config` at the size of issue 21: an AWS config of 100,000 role
# profiles (20,000 accounts x 5 roles, each `role_arn` + `source_profile`), then what the
# imported inventory costs: `list` parsing and validating it (no compiled copy) and `list`
# from the compiled copy the import left. Wall time and peak RSS of each whole process, medians of RUNS.
#
#   scripts/bench_import.sh [RUNS] [ACCOUNTS]      # defaults: 5 runs, 20,000 accounts
#
# Builds release; everything goes under target/bench-import/. Nothing is asked of AWS.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${1:-5}"
ACCOUNTS="${2:-20000}"
cd "$REPO"
cargo build --release --locked --bin switchboard >&2
BIN="$REPO/target/release/switchboard"
WORK="${CARGO_TARGET_DIR:-$REPO/target}/bench-import"
rm -rf "$WORK"
mkdir -p "$WORK"

python3 - "$ACCOUNTS" "$WORK/config" <<'PY'
import sys
accounts, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as out:
    out.write("[default]\nregion = eu-west-1\n\n")
    for hub in range(20):
        out.write(f"[profile hub-{hub}]\nregion = eu-west-1\n\n")
    for account in range(accounts):
        for role in range(5):
            out.write(f"[profile acct-{account:05d}-role{role}]\n")
            out.write(f"role_arn = arn:aws:iam::{100000000000 + account:012d}:role/Role{role}\n")
            out.write(f"source_profile = hub-{account % 20}\n\n")
PY

export SWITCHBOARD_STATE_DIR="$WORK/state" SWITCHBOARD_CACHE=memory
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt install time)" >&2; exit 1; }
python3 - "$RUNS" "$BIN" "$WORK" <<'PY'
import os, statistics, subprocess, sys, time
runs, binary, work = int(sys.argv[1]), sys.argv[2], sys.argv[3]
inventory = f"{work}/accounts.toml"
def once(args, env):
    """Wall time (ms) and peak RSS (KiB) of one whole process, by GNU time."""
    report = f"{work}/time.out"
    started = time.monotonic()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report, binary, *args],
                          env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = (time.monotonic() - started) * 1000
    if done.returncode != 0:
        sys.exit(f"{args}: exit {done.returncode}: {done.stderr.decode()[-500:]}")
    return wall, int(open(report).read().split()[-1])
def measure(name, args, env):
    walls, peaks = zip(*(once(args, env) for _ in range(runs)))
    print(f"| {name} | {statistics.median(walls):.0f} ms ({min(walls):.0f}-{max(walls):.0f}) | {statistics.median(peaks) / 1024:.0f} MiB |")
cache = {"SWITCHBOARD_CACHE_DIR": f"{work}/cache"}
print(f"medians of {runs} runs (min-max)")
print("| what | wall | peak RSS |")
print("|---|---:|---:|")
# As an operator's import: it writes the inventory and leaves its compiled copy.
measure("`import aws-config`, 100,000 role profiles (read, convert, validate, write, compiled copy)",
        ["import", "aws-config", "--config", f"{work}/config", "--out", inventory, "--force"], cache)
time.sleep(2.5)  # the file settles, so its stamp can stand for it
measure("`list` of the imported inventory, no compiled copy (parse, validate)",
        ["--inventory", inventory, "list"], {"SWITCHBOARD_CACHE_DIR": ""})
measure("`list` of the imported inventory, the compiled copy the import left",
        ["--inventory", inventory, "list"], cache)
PY
