#!/usr/bin/env bash
# Run switchboard against a local fake AWS (moto) seeded with four sandbox accounts,
# so you can try the app without an AWS account.
#
#   scripts/sandbox.sh                          # open the TUI
#   scripts/sandbox.sh list                     # any switchboard subcommand
#   scripts/sandbox.sh env sandbox-prod/admin
#   scripts/sandbox.sh --stop                   # stop the background moto server
#
# State lives in $REPO/.sandbox/. The moto server keeps running between invocations
# (and is reused) until --stop. Set SWITCHBOARD_BIN to run another binary instead of
# building target/debug/switchboard (handy while the app does not build).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SANDBOX="$REPO/.sandbox"
PIDFILE="$SANDBOX/moto.pid"
ENDPOINT_FILE="$SANDBOX/endpoint"
LOGFILE="$SANDBOX/moto.log"
PY="$REPO/.venv/bin/python"

log() { printf 'sandbox: %s\n' "$*" >&2; }

# Print the recorded pid if it is still our moto server. Checking the command line
# guards against killing an unrelated process that reused the pid (e.g. after a reboot).
moto_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid cmdline
  pid="$(<"$PIDFILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
    [[ "$cmdline" == *moto_server* ]] || return 1
  fi
  echo "$pid"
}

# True if the recorded moto process is alive and answering HTTP.
moto_alive() {
  [[ -f "$ENDPOINT_FILE" ]] && moto_pid >/dev/null && http_ok "$(<"$ENDPOINT_FILE")"
}

http_ok() {
  "$PY" - "$1/moto-api/" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=2).read(1)
PY
}

stop_moto() {
  local pid
  if pid="$(moto_pid)"; then
    kill "$pid"
    # Give it a moment to exit cleanly before escalating.
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
    fi
    log "stopped moto (pid $pid)"
  else
    log "moto was not running"
  fi
  rm -f "$PIDFILE" "$ENDPOINT_FILE"
}

# The sandbox's own Secret Service: a private D-Bus session with gnome-keyring, so sandbox
# sessions are shared by every sandbox command (as the OS keyring does for real ones) and
# never land in the operator's own keyring.
KEYRING_ENV="$SANDBOX/keyring.env"

keyring_alive() {
  [[ -f "$KEYRING_ENV" ]] || return 1
  # shellcheck disable=SC1090
  source "$KEYRING_ENV"
  [[ -n "${SANDBOX_DBUS_PID:-}" ]] && kill -0 "$SANDBOX_DBUS_PID" 2>/dev/null
}

start_keyring() {
  if ! command -v dbus-daemon >/dev/null 2>&1 || ! command -v gnome-keyring-daemon >/dev/null 2>&1; then
    log "no dbus-daemon/gnome-keyring here: sandbox sessions stay in each command's memory"
    return 0
  fi
  if keyring_alive; then
    export DBUS_SESSION_BUS_ADDRESS
    return 0
  fi
  local output address pid
  output="$(dbus-daemon --session --fork --print-address=1 --print-pid=1)"
  address="$(sed -n 1p <<<"$output")"
  pid="$(sed -n 2p <<<"$output")"
  mkdir -p "$SANDBOX/keyring"
  # The keyring's password only guards sandbox sessions of a fake AWS.
  echo -n "sandbox" | DBUS_SESSION_BUS_ADDRESS="$address" XDG_DATA_HOME="$SANDBOX/keyring" \
    gnome-keyring-daemon --unlock --components=secrets >/dev/null
  printf 'DBUS_SESSION_BUS_ADDRESS=%q\nSANDBOX_DBUS_PID=%q\n' "$address" "$pid" >"$KEYRING_ENV"
  export DBUS_SESSION_BUS_ADDRESS="$address"
}

stop_keyring() {
  if keyring_alive; then
    kill "$SANDBOX_DBUS_PID" 2>/dev/null || true
    log "stopped the sandbox keyring"
  fi
  rm -f "$KEYRING_ENV"
}

# The Identity Center fake (scripts/fake_sso.py): beside moto, its role credentials issued by
# moto's STS; it approves a sign-in when its address is opened (--auto-approve), which the
# sandbox's $BROWSER does a moment later, so the sign-in modal can be seen.
SSO_PIDFILE="$SANDBOX/fake_sso.pid"
SSO_PORTFILE="$SANDBOX/fake_sso.port"

sso_alive() {
  [[ -f "$SSO_PIDFILE" && -f "$SSO_PORTFILE" ]] || return 1
  local pid
  pid="$(<"$SSO_PIDFILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  grep -q fake_sso "/proc/$pid/cmdline" 2>/dev/null || return 1
  http_ok_sso "http://127.0.0.1:$(<"$SSO_PORTFILE")"
}

http_ok_sso() {
  "$PY" - "$1/_fake/stats" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=2).read(1)
PY
}

start_sso() {
  if sso_alive; then
    return 0
  fi
  rm -f "$SSO_PORTFILE"
  local launcher=()
  command -v setsid >/dev/null 2>&1 && launcher=(setsid)
  nohup "${launcher[@]}" "$PY" "$REPO/scripts/fake_sso.py" --port 0 --port-file "$SSO_PORTFILE" \
    --moto "$1" --auto-approve --quiet </dev/null >"$SANDBOX/fake_sso.log" 2>&1 &
  echo $! >"$SSO_PIDFILE"
  for _ in $(seq 1 80); do
    [[ -s "$SSO_PORTFILE" ]] && return 0
    sleep 0.25
  done
  log "the Identity Center fake did not start; last lines of $SANDBOX/fake_sso.log:"
  tail -n 20 "$SANDBOX/fake_sso.log" >&2 || true
  exit 1
}

stop_sso() {
  if [[ -f "$SSO_PIDFILE" ]] && grep -q fake_sso "/proc/$(<"$SSO_PIDFILE")/cmdline" 2>/dev/null; then
    kill "$(<"$SSO_PIDFILE")" 2>/dev/null || true
    log "stopped the Identity Center fake"
  fi
  rm -f "$SSO_PIDFILE" "$SSO_PORTFILE"
}

if [[ "${1:-}" == "--stop" ]]; then
  stop_moto
  stop_sso
  stop_keyring
  exit 0
fi

bash "$REPO/scripts/install-test-deps.sh"

# Build first so a compile error does not leave a fresh moto server behind.
if [[ -n "${SWITCHBOARD_BIN:-}" ]]; then
  BIN="$SWITCHBOARD_BIN"
else
  log "building switchboard (the first build takes a few minutes on 2 cores)"
  (cd "$REPO" && cargo build)
  BIN="${CARGO_TARGET_DIR:-$REPO/target}/debug/switchboard"
fi

mkdir -p "$SANDBOX"

FRESH=0
if moto_alive; then
  ENDPOINT="$(<"$ENDPOINT_FILE")"
else
  FRESH=1
  # Stale state: stop a recorded moto that no longer answers, then start fresh.
  if moto_pid >/dev/null; then
    stop_moto
  fi
  rm -f "$PIDFILE" "$ENDPOINT_FILE"
  PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  ENDPOINT="http://127.0.0.1:$PORT"
  # setsid: a Ctrl-C in the TUI must not reach moto, which outlives this script.
  launcher=()
  command -v setsid >/dev/null 2>&1 && launcher=(setsid)
  nohup "${launcher[@]}" "$REPO/.venv/bin/moto_server" -H 127.0.0.1 -p "$PORT" \
    </dev/null >"$LOGFILE" 2>&1 &
  pid=$!
  # Record at once so --stop can find it even if this script is interrupted below.
  echo "$pid" >"$PIDFILE"
  echo "$ENDPOINT" >"$ENDPOINT_FILE"
  ready=0
  deadline=$((SECONDS + 20))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      break
    fi
    if http_ok "$ENDPOINT"; then
      ready=1
      break
    fi
    sleep 0.25
  done
  if ((!ready)); then
    log "moto did not come up on $ENDPOINT; last lines of $LOGFILE:"
    tail -n 20 "$LOGFILE" >&2 || true
    kill "$pid" 2>/dev/null || true
    rm -f "$PIDFILE" "$ENDPOINT_FILE"
    exit 1
  fi
fi

# Idempotent: re-seeding an already seeded server adds nothing.
# A fresh server gets its accounts; a running one already has them (and the inventory).
if ((FRESH)) || [[ ! -f "$SANDBOX/accounts.toml" ]]; then
  "$PY" "$REPO/scripts/seed_sandbox.py" "$ENDPOINT" "$SANDBOX"
fi

start_keyring
if ((FRESH)); then stop_sso; fi
start_sso "$ENDPOINT"
SSO_ENDPOINT="http://127.0.0.1:$(<"$SSO_PORTFILE")"
export AWS_ENDPOINT_URL_SSO_OIDC="$SSO_ENDPOINT" AWS_ENDPOINT_URL_SSO="$SSO_ENDPOINT"
export BROWSER="$REPO/scripts/sandbox_browser.sh"

log "moto at $ENDPOINT, Identity Center fake at $SSO_ENDPOINT (stop with scripts/sandbox.sh --stop)"
# Sandbox sessions get a store file of their own, beside their own keyring's key.
export SWITCHBOARD_STATE_DIR="$SANDBOX/state"
exec "$BIN" --inventory "$SANDBOX/accounts.toml" "$@"
