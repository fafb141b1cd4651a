#!/usr/bin/env bash
# The discovery benchmark of issue 21: `switchboard import sso` against the Identity Center
# fake with 1,000 accounts x 3 roles, the fake throttling at RATE calls/s (its token bucket,
# 429 past it). Prints the time, the floor the rate allows ((1,000/100 + 1,000) calls / RATE),
# the ratio, the 429s seen and survived, and checks that every role was imported.
#
#   scripts/bench_discovery.sh            # at 20 and 200 calls/s, 3 runs each (about 3 minutes)
#   RUNS=1 scripts/bench_discovery.sh     # one run each
#   scripts/bench_discovery.sh 20         # one rate
#   ACCOUNTS=300 scripts/bench_discovery.sh 20
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$REPO/.venv/bin/python"
[[ -x "$PY" ]] || bash "$REPO/scripts/install-test-deps.sh"
ACCOUNTS="${ACCOUNTS:-1000}"
RUNS="${RUNS:-3}"
ROLES=3
RATES=("$@")
[[ ${#RATES[@]} -gt 0 ]] || RATES=(20 200)

cd "$REPO"
echo "bench: building release" >&2
cargo build --release --bin switchboard >&2
BIN="${CARGO_TARGET_DIR:-$REPO/target}/release/switchboard"
WORK="$REPO/target/bench-discovery"

# One import at RATE: prints "start end 429s roles".
once() {
  local rate="$1"
  rm -rf "$WORK" && mkdir -p "$WORK/run" && chmod 700 "$WORK/run"
  "$PY" "$REPO/scripts/fake_sso.py" --port 0 --port-file "$WORK/port" --auto-approve --quiet \
    --accounts "$ACCOUNTS" --roles-per-account "$ROLES" --rate "$rate" --burst "$rate" >"$WORK/fake.log" 2>&1 &
  local fake=$!
  for _ in $(seq 1 80); do [[ -s "$WORK/port" ]] && break; sleep 0.25; done
  local endpoint="http://127.0.0.1:$(<"$WORK/port")"
  printf '[sources.corp]\nsso_start_url = "https://sandbox.awsapps.com/start"\nsso_region = "eu-west-1"\n' >"$WORK/accounts.toml"
  local run=(env -i PATH="$PATH" HOME="$WORK" XDG_RUNTIME_DIR="$WORK/run" SWITCHBOARD_CACHE=memory
    SWITCHBOARD_INVENTORY="$WORK/accounts.toml" AWS_ENDPOINT_URL_SSO_OIDC="$endpoint" AWS_ENDPOINT_URL_SSO="$endpoint"
    BROWSER="$REPO/scripts/sandbox_browser.sh" SANDBOX_BROWSER_DELAY=0 "$BIN")
  "${run[@]}" login corp >/dev/null 2>&1 || { echo "bench: login failed" >&2; kill "$fake"; exit 1; }
  "$PY" - "$endpoint/_fake/reset-stats" <<'PY'
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b"{}", method="POST")).read()
PY
  local start end
  start=$(date +%s.%N)
  "${run[@]}" import sso corp 2>"$WORK/import.log" || { cat "$WORK/import.log" >&2; kill "$fake"; exit 1; }
  end=$(date +%s.%N)
  local throttled
  throttled=$("$PY" - "$endpoint/_fake/stats" <<'PY'
import json, sys, urllib.request
print(json.load(urllib.request.urlopen(sys.argv[1]))["throttled"])
PY
)
  kill "$fake" 2>/dev/null || true
  wait "$fake" 2>/dev/null || true
  echo "$start $end $throttled $(grep -c 'permission_set = ' "$WORK/accounts.toml" || true)"
}

echo "medians of $RUNS runs (min-max); the import after a login, so every timed call is a portal call"
printf '%-8s %-20s %-8s %-7s %-10s %s\n' "rate/s" "took" "floor" "ratio" "429s" "roles"
for rate in "${RATES[@]}"; do
  results=()
  for _ in $(seq 1 "$RUNS"); do results+=("$(once "$rate")"); done
  "$PY" - "$rate" "$ACCOUNTS" "$((ACCOUNTS * ROLES))" "${results[@]}" <<'PY'
import math, statistics, sys
rate, accounts, wanted = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
runs = [line.split() for line in sys.argv[4:]]
took = [float(run[1]) - float(run[0]) for run in runs]
throttled = [int(run[2]) for run in runs]
complete = all(int(run[3]) == wanted for run in runs)
floor = (math.ceil(accounts / 100) + accounts) / rate
median = statistics.median(took)
spread = f"{median:.1f} ({min(took):.1f}-{max(took):.1f})"
print(f"{sys.argv[1]:<8} {spread:<20} {floor:<8.1f} {median / floor:<7.2f} {statistics.median(throttled):<10g} "
      + ("all, every run" if complete else "MISSING ROLES: " + ", ".join(run[3] for run in runs)))
if not complete:
    sys.exit(1)
PY
done
