#!/usr/bin/env bash
# The discovery benchmark of issue 21: `switchboard import sso` against the Identity Center
# fake with 1,000 accounts x 3 roles, the fake throttling at RATE calls/s (its token bucket,
# 429 past it). Prints the time, the floor the rate allows ((1,000/100 + 1,000) calls / RATE),
# the ratio, the 429s seen and survived, and checks that every role was imported.
#
#   scripts/bench_discovery.sh            # at 20 and 200 calls/s (about a minute and a half)
#   scripts/bench_discovery.sh 20         # one rate
#   ACCOUNTS=300 scripts/bench_discovery.sh 20
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$REPO/.venv/bin/python"
[[ -x "$PY" ]] || bash "$REPO/scripts/install-test-deps.sh"
ACCOUNTS="${ACCOUNTS:-1000}"
ROLES=3
RATES=("$@")
[[ ${#RATES[@]} -gt 0 ]] || RATES=(20 200)

cd "$REPO"
echo "bench: building release" >&2
cargo build --release --bin switchboard >&2
BIN="${CARGO_TARGET_DIR:-$REPO/target}/release/switchboard"
WORK="$REPO/target/bench-discovery"

printf '%-8s %-10s %-10s %-7s %-6s %s\n' "rate/s" "took" "floor" "ratio" "429s" "roles"
for rate in "${RATES[@]}"; do
  rm -rf "$WORK" && mkdir -p "$WORK/run" && chmod 700 "$WORK/run"
  "$PY" "$REPO/scripts/fake_sso.py" --port 0 --port-file "$WORK/port" --auto-approve --quiet \
    --accounts "$ACCOUNTS" --roles-per-account "$ROLES" --rate "$rate" --burst "$rate" >"$WORK/fake.log" 2>&1 &
  fake=$!
  for _ in $(seq 1 80); do [[ -s "$WORK/port" ]] && break; sleep 0.25; done
  endpoint="http://127.0.0.1:$(<"$WORK/port")"
  printf '[sources.corp]\nsso_start_url = "https://sandbox.awsapps.com/start"\nsso_region = "eu-west-1"\n' >"$WORK/accounts.toml"
  env -i PATH="$PATH" HOME="$WORK" XDG_RUNTIME_DIR="$WORK/run" SWITCHBOARD_CACHE=memory \
    SWITCHBOARD_INVENTORY="$WORK/accounts.toml" AWS_ENDPOINT_URL_SSO_OIDC="$endpoint" AWS_ENDPOINT_URL_SSO="$endpoint" \
    BROWSER="$REPO/scripts/sandbox_browser.sh" SANDBOX_BROWSER_DELAY=0 \
    "$BIN" login corp >/dev/null 2>&1 || { echo "bench: login failed" >&2; kill "$fake"; exit 1; }
  "$PY" - "$endpoint/_fake/reset-stats" <<'PY'
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b"{}", method="POST")).read()
PY
  start=$(date +%s.%N)
  env -i PATH="$PATH" HOME="$WORK" XDG_RUNTIME_DIR="$WORK/run" SWITCHBOARD_CACHE=memory \
    SWITCHBOARD_INVENTORY="$WORK/accounts.toml" AWS_ENDPOINT_URL_SSO_OIDC="$endpoint" AWS_ENDPOINT_URL_SSO="$endpoint" \
    BROWSER="$REPO/scripts/sandbox_browser.sh" SANDBOX_BROWSER_DELAY=0 \
    "$BIN" import sso corp 2>"$WORK/import.log" || { cat "$WORK/import.log" >&2; kill "$fake"; exit 1; }
  end=$(date +%s.%N)
  throttled=$("$PY" - "$endpoint/_fake/stats" <<'PY'
import json, sys, urllib.request
print(json.load(urllib.request.urlopen(sys.argv[1]))["throttled"])
PY
)
  kill "$fake" 2>/dev/null || true
  roles=$(grep -c 'permission_set = ' "$WORK/accounts.toml" || true)
  "$PY" - "$start" "$end" "$rate" "$ACCOUNTS" "$throttled" "$roles" "$((ACCOUNTS * ROLES))" <<'PY'
import math, sys
start, end, rate, accounts, throttled, roles, wanted = sys.argv[1:]
took = float(end) - float(start)
# The login's token is fresh, so every call of the import is a portal call.
floor = (math.ceil(int(accounts) / 100) + int(accounts)) / float(rate)
ok = "all" if roles == wanted else f"{roles} of {wanted}!"
print(f"{rate:<8} {took:<10.1f} {floor:<10.1f} {took / floor:<7.2f} {throttled:<6} {ok}")
PY
done
