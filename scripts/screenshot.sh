#!/usr/bin/env bash
# Take the README screenshot from a real run of the TUI against the local sandbox.
#
#   scripts/screenshot.sh
#
# Starts (or reuses) the moto sandbox via scripts/sandbox.sh, runs switchboard in a
# detached 120x36 tmux session, drives it (refresh sandbox-prod/admin with an MFA code,
# refresh sandbox-dev/admin, select sandbox-prod/admin so the chain pane shows its
# layers), captures the screen with its colours and renders it with
# scripts/ansi_to_svg.py into assets/screenshot.svg. If rsvg-convert is available (it is
# installed from librsvg2-bin when missing and we are root with apt-get) it also writes
# assets/screenshot.png at 2x. Safe to re-run: it overwrites both files.
#
# Set SWITCHBOARD_BIN to screenshot another binary (as with scripts/sandbox.sh).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SANDBOX="$REPO/.sandbox"
ASSETS="$REPO/assets"
COLS=120
ROWS=36
TIMEOUT=20 # seconds to wait for each expected screen
SESSION="shot"
TMP=""
SOCKET=""

log() { printf 'screenshot: %s\n' "$*" >&2; }

cleanup() {
  if [[ -n "$TMP" ]]; then
    if [[ -S "$SOCKET" ]]; then
      tmux -S "$SOCKET" kill-server 2>/dev/null || true
    fi
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tm() { tmux -S "$SOCKET" "$@"; }

screen() { tm capture-pane -p -t "$SESSION"; }

# Wait until the screen matches the extended regex $1 (timeout $TIMEOUT seconds).
wait_for() {
  local pattern="$1" deadline=$((SECONDS + TIMEOUT))
  while ((SECONDS < deadline)); do
    if screen | grep -Eq -- "$pattern"; then
      return 0
    fi
    if [[ "$(tm display-message -p -t "$SESSION" '#{pane_dead}')" == 1 ]]; then
      log "switchboard exited while waiting for /$pattern/; the screen was:"
      screen >&2 || true
      exit 1
    fi
    sleep 0.1
  done
  log "timed out after ${TIMEOUT}s waiting for /$pattern/; the screen was:"
  screen >&2 || true
  exit 1
}

# List the role rows of the roles pane as "account/role" with a leading "*" on the
# selected one. Account header rows are "│NAME  123456789012  environment", role rows
# are "│  role ..." or "│▸ role ..." (the first column of a line is the roles pane).
roles() {
  screen | awk -F '│' '
    NF < 2 { next }
    $2 ~ /^[^ ]+  [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]  / {
      split($2, header, " "); account = header[1]; next
    }
    account != "" && $2 ~ /^  [^ ]/ { split($2, f, " "); print " " account "/" f[1]; next }
    account != "" && $2 ~ /^▸ [^ ]/ { split($2, f, " "); print "*" account "/" f[2]; next }
  '
}

# The STATE column of role $1 ("account/role").
role_state() {
  local account="${1%%/*}" role="${1#*/}"
  screen | awk -F '│' -v account="$account" -v role="$role" '
    NF < 2 { next }
    $2 ~ /^[^ ]+  [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]  / {
      split($2, header, " "); current = header[1]; next
    }
    current == account {
      n = split($2, f, " ")
      if (f[1] == "▸") { name = f[2]; state = f[3] } else { name = f[1]; state = f[2] }
      if (name == role) { print state; exit }
    }
  '
}

wait_for_state() {
  local target="$1" wanted="$2" deadline=$((SECONDS + TIMEOUT))
  while ((SECONDS < deadline)); do
    if [[ "$(role_state "$target")" == "$wanted" ]]; then
      return 0
    fi
    sleep 0.1
  done
  log "timed out after ${TIMEOUT}s waiting for $target to be $wanted; the screen was:"
  screen >&2 || true
  exit 1
}

# Move the selection to role $1 ("account/role") with j/k, reading the order off the screen.
select_role() {
  local target="$1" list current=-1 wanted=-1 index=0 line key steps deadline
  list="$(roles)"
  while IFS= read -r line; do
    [[ "${line:0:1}" == "*" ]] && current=$index
    [[ "${line:1}" == "$target" ]] && wanted=$index
    index=$((index + 1))
  done <<<"$list"
  if ((current < 0 || wanted < 0)); then
    log "cannot find the selection or $target in the roles pane; the screen was:"
    screen >&2 || true
    exit 1
  fi
  if ((wanted > current)); then key=j; steps=$((wanted - current)); else key=k; steps=$((current - wanted)); fi
  for ((; steps > 0; steps--)); do
    tm send-keys -t "$SESSION" "$key"
  done
  deadline=$((SECONDS + TIMEOUT))
  until roles | grep -Fxq -- "*$target"; do
    if ((SECONDS >= deadline)); then
      log "could not select $target; the screen was:"
      screen >&2 || true
      exit 1
    fi
    sleep 0.05
  done
}

command -v tmux >/dev/null 2>&1 || {
  log "tmux is required"
  exit 1
}

start=$SECONDS
log "preparing the sandbox (moto, seed, build)"
"$REPO/scripts/sandbox.sh" check >/dev/null
ENDPOINT="$(<"$SANDBOX/endpoint")"
BIN="${SWITCHBOARD_BIN:-${CARGO_TARGET_DIR:-$REPO/target}/debug/switchboard}"
[[ -x "$BIN" ]] || {
  log "no switchboard binary at $BIN"
  exit 1
}
TMP="$(mktemp -d)"
mkdir -p "$ASSETS"

# A private tmux server (own socket, own config) keeps the capture reproducible and leaves
# any tmux the user runs alone. remain-on-exit keeps the pane, and so any error message,
# around if switchboard dies.
SOCKET="$TMP/tmux.sock"
printf '%s\n' 'set-option -g status off' 'set-option -g remain-on-exit on' >"$TMP/tmux.conf"
log "running switchboard in a ${COLS}x${ROWS} tmux session against $ENDPOINT"
tm -f "$TMP/tmux.conf" new-session -d -s "$SESSION" -x "$COLS" -y "$ROWS" -c "$REPO" \
  env SWITCHBOARD_CACHE=memory SHELL=/bin/bash TERM=xterm-256color AWS_ENDPOINT_URL="$ENDPOINT" \
  "$BIN" --inventory .sandbox/accounts.toml # relative: the chain pane shows paths as given
wait_for 'STATE'

# sandbox-prod/admin needs MFA: refresh it and answer the prompt (moto accepts any code).
select_role sandbox-prod/admin
tm send-keys -t "$SESSION" r
wait_for 'MFA code'
tm send-keys -t "$SESSION" -l 123456
tm send-keys -t "$SESSION" Enter
wait_for_state sandbox-prod/admin valid

# sandbox-dev/admin goes straight from the source keys.
select_role sandbox-dev/admin
tm send-keys -t "$SESSION" r
wait_for_state sandbox-dev/admin valid

# Back on prod so the chain pane shows source keys -> MFA session -> assume role, and let
# the countdowns tick a little (59:5x rather than a round 1:00:00).
select_role sandbox-prod/admin
sleep 2.5
tm capture-pane -p -e -t "$SESSION" >"$TMP/screen.ansi"
tm kill-server 2>/dev/null || true

python3 "$REPO/scripts/ansi_to_svg.py" "$TMP/screen.ansi" -o "$TMP/screenshot.svg" \
  --cols "$COLS" --rows "$ROWS" --title "switchboard — scripts/sandbox.sh"
mv -f "$TMP/screenshot.svg" "$ASSETS/screenshot.svg"
written=("$ASSETS/screenshot.svg")

if ! command -v rsvg-convert >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
  log "installing librsvg2-bin for rsvg-convert"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends librsvg2-bin >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends librsvg2-bin >/dev/null 2>&1 || true
  fi
fi
if command -v rsvg-convert >/dev/null 2>&1; then
  rsvg-convert --zoom 2 "$ASSETS/screenshot.svg" -o "$TMP/screenshot.png"
  mv -f "$TMP/screenshot.png" "$ASSETS/screenshot.png"
  written+=("$ASSETS/screenshot.png")
else
  log "rsvg-convert not available (package librsvg2-bin): skipped the PNG"
fi

log "done in $((SECONDS - start))s"
printf 'wrote %s\n' "${written[@]#"$REPO"/}"
