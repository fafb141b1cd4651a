#!/usr/bin/env bash
# The Speed table of the README (issue 8), measured again: builds release, generates
# inventories of 500, 5,000 and 50,000 roles (N accounts x 5 roles, one MFA source), runs moto
# from .venv and a throwaway gnome-keyring in a private D-Bus session, and prints medians.
# At 50,000 roles only the rows without sessions are measured (memory cache: `list`, the
# first frame, idle, keys, RSS): sessions for 50,000 roles from moto would take an hour.
#
#   scripts/bench.sh           # everything (about 17 minutes on 2 cores), then the 100,000-role
#                              # import (scripts/bench_import.sh) and the discovery benchmark
#                              # (scripts/bench_discovery.sh)
#   scripts/bench.sh --quick   # 5,000 roles only, no refresh timings, shorter idle, no criterion
#   scripts/bench.sh --agent   # only the rows with an agent (credential-process, list), both sizes
#   scripts/bench.sh --size 50000   # one column only
#
# Nothing here touches the operator's own keyring or AWS: the keyring lives under
# target/bench/ and every endpoint is on loopback.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1
AGENT_ONLY=0
[[ "${1:-}" == "--agent" ]] && AGENT_ONLY=1
# --size N: one column only (500, 5000 or 50000), e.g. the 50,000 column after a change.
SIZE_ONLY=""
[[ "${1:-}" == "--size" ]] && SIZE_ONLY="${2:?usage: bench.sh --size 500|5000|50000}"

# A private session bus for the throwaway keyring: re-run this script inside one.
if [[ -z "${SWITCHBOARD_BENCH_BUS:-}" ]]; then
  for tool in dbus-run-session gnome-keyring-daemon tmux; do
    command -v "$tool" >/dev/null || { echo "bench: needs $tool" >&2; exit 1; }
  done
  exec dbus-run-session -- env SWITCHBOARD_BENCH_BUS=1 bash "$0" "$@"
fi

cd "$REPO"
PY="$REPO/.venv/bin/python"
[[ -x "$PY" ]] || bash "$REPO/scripts/install-test-deps.sh"
WORK="$REPO/target/bench"
rm -rf "$WORK"
mkdir -p "$WORK"
log() { printf 'bench: %s\n' "$*" >&2; }

log "building release"
cargo build --release --bin switchboard >&2
BIN="${CARGO_TARGET_DIR:-$REPO/target}/release/switchboard"

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# moto, as scripts/sandbox.sh starts it.
PORT="$(free_port)"
MOTO="http://127.0.0.1:$PORT"
"$REPO/.venv/bin/moto_server" -H 127.0.0.1 -p "$PORT" >"$WORK/moto.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 80); do
  "$PY" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$MOTO/moto-api/" \
    2>/dev/null && break
  sleep 0.25
done

# A loopback listener that accepts and never answers.
HUNG_PORT="$(free_port)"
"$PY" - "$HUNG_PORT" <<'PY' &
import socket, sys
listener = socket.socket()
listener.bind(("127.0.0.1", int(sys.argv[1])))
listener.listen(1024)
held = []
while True:
    held.append(listener.accept()[0])
PY
PIDS+=($!)
HUNG="http://127.0.0.1:$HUNG_PORT"

# Sessions, used codes and compiled inventories of this run stay under target/bench too: the
# operator's own session file (sealed with the real keyring's key) is never touched.
export SWITCHBOARD_STATE_DIR="$WORK/state" SWITCHBOARD_CACHE_DIR="$WORK/cache"

# The throwaway keyring (its password only guards fake sessions).
mkdir -p "$WORK/keyring"
echo -n "bench" | XDG_DATA_HOME="$WORK/keyring" gnome-keyring-daemon --unlock --components=secrets >/dev/null

# Medians in milliseconds of RUNS runs of a command (one run when the first takes > 5 s).
time_ms() {
  local runs="$1"
  shift
  "$PY" - "$runs" "$@" <<'PY'
import statistics, subprocess, sys, time
runs, command = int(sys.argv[1]), sys.argv[2:]
times = []
for _ in range(runs):
    started = time.monotonic()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    times.append((time.monotonic() - started) * 1000)
    if done.returncode != 0:
        print(f"failed (exit {done.returncode})")
        print(done.stderr[-2000:], file=sys.stderr)
        sys.exit(0)
    if times[0] > 5000:
        break
print(f"{statistics.median(times):.0f}")
PY
}

json_field() { "$PY" -c "import json,sys; print(round(json.loads(sys.argv[1])[sys.argv[2]], 2))" "$1" "$2"; }

declare -A RESULT
SIZES=(500 5000 50000)
((QUICK)) && SIZES=(5000)
[[ -n "$SIZE_ONLY" ]] && SIZES=("$SIZE_ONLY")

for roles in "${SIZES[@]}"; do
  accounts=$((roles / 5))
  dir="$WORK/inv-$roles"
  "$PY" "$REPO/scripts/gen_inventory.py" "$accounts" "$MOTO" "$dir"
  "$PY" "$REPO/scripts/gen_inventory.py" "$accounts" "$HUNG" "$dir-hung"
  inv=(--inventory "$dir/accounts.toml")
  mem=(env SWITCHBOARD_CACHE=memory "$BIN" "${inv[@]}")
  ((AGENT_ONLY)) && continue
  ring=(env SWITCHBOARD_CACHE=keyring "$BIN" "${inv[@]}")

  log "$roles roles: list, memory cache, no sessions"
  "${mem[@]}" list >/dev/null 2>&1 # the compiled copy is made once, as on any first run
  sleep 2                          # and trusted by its file's stamp once the file settled
  RESULT[list_memory_$roles]="$(time_ms 21 "${mem[@]}" list) ms"

  if ((roles > 5000)); then
    # Without sessions (memory cache): the screen's rows, as at any size.
    log "$roles roles: first frame through tmux (memory cache)"
    out="$("$PY" "$REPO/scripts/bench_tmux.py" first-frame 5 -- "${mem[@]}")"
    RESULT[first_frame_memory_$roles]="$(json_field "$out" median_ms) ms"
    log "$roles roles: the screen idle for 30s (memory cache, no sessions)"
    out="$("$PY" "$REPO/scripts/bench_tmux.py" idle 30 -- "${mem[@]}")"
    RESULT[idle_memory_$roles]="$(json_field "$out" cpu_percent) % ($(($(json_field "$out" rss_kib | cut -d. -f1) / 1024)) MiB RSS)"
    log "$roles roles: key j to a changed screen, 100 refreshes hung in flight (memory cache)"
    out="$("$PY" "$REPO/scripts/bench_tmux.py" keys 100 --in-flight 100 -- \
      env SWITCHBOARD_CACHE=memory "$BIN" --inventory "$dir-hung/accounts.toml")"
    RESULT[key_$roles]="median $(json_field "$out" median_ms) ms, p99 $(json_field "$out" p99_ms) ms, max $(json_field "$out" max_ms) ms"
    RESULT[rss_$roles]="$(($(json_field "$out" rss_kib | cut -d. -f1) / 1024)) MiB"
    log "$roles roles: each keystroke of a filter (memory cache)"
    out="$("$PY" "$REPO/scripts/bench_tmux.py" filter 3 -- "${mem[@]}")"
    RESULT[filter_$roles]="median $(json_field "$out" median_ms) ms, p99 $(json_field "$out" p99_ms) ms, max $(json_field "$out" max_ms) ms"
    continue
  fi

  if ((roles <= 500)); then
    if ((!QUICK)); then
      log "$roles roles: refresh --all, memory cache"
      RESULT[refresh_memory_$roles]="$(time_ms 1 "${mem[@]}" --mfa-code 123456 refresh --all) ms"
    fi
    log "$roles roles: refresh --all, keyring"
    # A code can be sent once (the store remembers it for 5 minutes, per device): every step
    # that may send one gets its own.
    RESULT[refresh_keyring_$roles]="$(time_ms 1 "${ring[@]}" --mfa-code 234567 refresh --all) ms"
  else
    # 5,000 renewals at once are more than moto answers within the SDK's timeout: sessions
    # for every role are obtained 500 roles per command instead (not timed).
    log "$roles roles: sessions for every role, 500 roles per refresh"
    "$PY" - "$accounts" <<'PY' >"$dir/roles.txt"
import sys
for account in range(int(sys.argv[1])):
    for role in range(5):
        print(f"acct-{account:04d}/role-{role}")
PY
    split -l 500 "$dir/roles.txt" "$dir/roles-part-"
    for part in "$dir"/roles-part-*; do
      xargs "${ring[@]}" --mfa-code 345678 refresh <"$part" >/dev/null 2>>"$WORK/refresh.log" ||
        log "some renewals failed (see $WORK/refresh.log)"
    done
  fi
  log "$roles roles: list, every session valid (keyring)"
  RESULT[list_valid_$roles]="$(time_ms 3 "${ring[@]}" list) ms"

  log "$roles roles: first frame through tmux (memory cache, then keyring)"
  out="$("$PY" "$REPO/scripts/bench_tmux.py" first-frame 5 -- "${mem[@]}")"
  RESULT[first_frame_memory_$roles]="$(json_field "$out" median_ms) ms"
  out="$("$PY" "$REPO/scripts/bench_tmux.py" first-frame 3 -- "${ring[@]}")"
  RESULT[first_frame_keyring_$roles]="$(json_field "$out" median_ms) ms"

  idle_seconds=30
  ((QUICK)) && idle_seconds=10
  log "$roles roles: the screen idle for ${idle_seconds}s with live countdowns (keyring)"
  out="$("$PY" "$REPO/scripts/bench_tmux.py" idle "$idle_seconds" -- "${ring[@]}")"
  RESULT[idle_keyring_$roles]="$(json_field "$out" cpu_percent) % ($(($(json_field "$out" rss_kib | cut -d. -f1) / 1024)) MiB RSS)"
  out="$("$PY" "$REPO/scripts/bench_tmux.py" idle "$idle_seconds" -- "${mem[@]}")"
  RESULT[idle_memory_$roles]="$(json_field "$out" cpu_percent) % ($(($(json_field "$out" rss_kib | cut -d. -f1) / 1024)) MiB RSS)"

  presses=100
  ((QUICK)) && presses=40
  log "$roles roles: key j to a changed screen, 100 refreshes hung in flight (memory cache)"
  out="$("$PY" "$REPO/scripts/bench_tmux.py" keys "$presses" --in-flight 100 -- \
    env SWITCHBOARD_CACHE=memory "$BIN" --inventory "$dir-hung/accounts.toml")"
  RESULT[key_$roles]="median $(json_field "$out" median_ms) ms, p99 $(json_field "$out" p99_ms) ms, max $(json_field "$out" max_ms) ms"
  RESULT[rss_$roles]="$(($(json_field "$out" rss_kib | cut -d. -f1) / 1024)) MiB"
  log "$roles roles: each keystroke of a filter (memory cache)"
  out="$("$PY" "$REPO/scripts/bench_tmux.py" filter 3 -- "${mem[@]}")"
  RESULT[filter_$roles]="median $(json_field "$out" median_ms) ms, p99 $(json_field "$out" p99_ms) ms, max $(json_field "$out" max_ms) ms"
done

# With an agent (memory cache, its own runtime directory): the whole client process, from
# exec to exit, answered from the agent's memory. role-1 needs no MFA code.
for roles in "${SIZES[@]}"; do
  ((roles > 5000)) && continue
  dir="$WORK/inv-$roles"
  run_dir="$WORK/run-$roles"
  mkdir -p "$run_dir"
  chmod 700 "$run_dir"
  with_agent=(env SWITCHBOARD_CACHE=memory SWITCHBOARD_NOTIFY=off XDG_RUNTIME_DIR="$run_dir" "$BIN" --inventory "$dir/accounts.toml")
  "${with_agent[@]}" agent 2>"$WORK/agent-$roles.log" &
  agent_pid=$!
  PIDS+=("$agent_pid")
  for _ in $(seq 1 100); do
    [[ -S "$run_dir/switchboard/agent.sock" ]] && break
    sleep 0.1
  done
  "${with_agent[@]}" credential-process acct-0000/role-1 >/dev/null
  log "$roles roles: credential-process with an agent, valid session"
  RESULT[cp_agent_$roles]="$(time_ms 50 "${with_agent[@]}" credential-process acct-0000/role-1) ms"
  log "$roles roles: list with an agent"
  RESULT[list_agent_$roles]="$(time_ms 20 "${with_agent[@]}" list) ms"
  kill "$agent_pid" 2>/dev/null || true
  wait "$agent_pid" 2>/dev/null || true
done

if ((!QUICK && !AGENT_ONLY)); then
  log "criterion: the screen at 5,000 roles (benches/screen.rs)"
  cargo bench --bench screen -- --warm-up-time 1 --measurement-time 3 "5000 roles" 2>/dev/null |
    grep -E "roles|time:" >"$WORK/criterion.txt" || true
fi

row() {
  local what="$1" key="$2"
  printf '| %s | %s | %s | %s |\n' "$what" "${RESULT[${key}_500]:-—}" "${RESULT[${key}_5000]:-—}" \
    "${RESULT[${key}_50000]:-—}"
}
echo
echo "switchboard speed ($(nproc) cores, $(date -u +%Y-%m-%d), release build, moto on loopback, medians)"
echo
echo "| what | 500 roles | 5,000 roles | 50,000 roles |"
echo "|---|---|---|---|"
row '`list`, every session valid (keyring)' list_valid
row '`list`, memory cache, no sessions' list_memory
row '`refresh --all`, keyring' refresh_keyring
row '`refresh --all`, memory cache' refresh_memory
row 'first frame, tmux 160x48, memory cache' first_frame_memory
row 'first frame, tmux 160x48, keyring' first_frame_keyring
row 'idle with live countdowns, % of a core over 30 s (keyring)' idle_keyring
row 'idle, % of a core over 30 s (memory cache, no sessions)' idle_memory
row 'key `j` to a changed screen through tmux, 100 refreshes hung in flight' key
row 'RSS of the screen after the key test' rss
row 'each keystroke of a filter (`/acct-0042/role-1`) to its frame, memory cache' filter
row '`credential-process`, valid session, with an agent (whole process; goal ≤ 10 ms)' cp_agent
row '`list` with an agent (whole process; goal ≤ 30 ms at 5,000)' list_agent
if [[ -s "$WORK/criterion.txt" ]]; then
  echo
  echo "criterion (benches/screen.rs, per iteration: [low median high]):"
  sed 's/^/    /' "$WORK/criterion.txt"
fi

# Issue 21's other goals, with the full run: the 100,000-profile import and Identity Center
# discovery of 1,000 accounts against the fake's throttle (each script says how it measures).
if ((!QUICK && !AGENT_ONLY)) && [[ -z "$SIZE_ONLY" ]]; then
  echo
  echo "100,000 roles (scripts/bench_import.sh 5):"
  bash "$REPO/scripts/bench_import.sh" 5 | sed 's/^/    /'
  echo
  echo "Identity Center discovery, 1,000 accounts x 3 roles (scripts/bench_discovery.sh):"
  bash "$REPO/scripts/bench_discovery.sh" | sed 's/^/    /'
fi
