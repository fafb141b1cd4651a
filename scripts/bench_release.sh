#!/usr/bin/env bash
# Compares release builds (the [profile.release] of Cargo.toml, docs/speed.md): size and the
# median wall times on 5,000 roles (memory cache, no sessions, as scripts/bench.sh) of `list`,
# `list` without the compiled inventory, and `check`, the binaries taking turns so a busy
# machine slows them alike.
#
#   scripts/bench_release.sh RUNS BINARY...
#
# State, sessions and compiled inventories go under target/bench-release/; nothing is asked
# of AWS (`list` without sessions makes no call).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${1:?usage: bench_release.sh RUNS BINARY...}"
shift
WORK="${CARGO_TARGET_DIR:-$REPO/target}/bench-release"
rm -rf "$WORK"
mkdir -p "$WORK"
python3 "$REPO/scripts/gen_inventory.py" 1000 http://127.0.0.1:9 "$WORK/inv" >/dev/null
export SWITCHBOARD_STATE_DIR="$WORK/state" SWITCHBOARD_CACHE_DIR="$WORK/cache" SWITCHBOARD_CACHE=memory

python3 - "$RUNS" "$WORK/inv/accounts.toml" "$@" <<'PY'
import os, statistics, subprocess, sys, time
runs, inventory, binaries = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
cases = {
    "`list`": ({}, ["list"]),
    "`list`, no compiled copy (parse, validate)": ({"SWITCHBOARD_CACHE_DIR": ""}, ["list"]),
    "`check` (every plan)": ({}, ["check"]),
}
def once(binary, env, args):
    # A compiled copy is named by the inventory's path: one cache directory per binary.
    env = {"SWITCHBOARD_CACHE_DIR": f"{os.environ['SWITCHBOARD_CACHE_DIR']}/{binaries.index(binary)}", **env}
    started = time.monotonic()
    subprocess.run([binary, "--inventory", inventory, *args], env={**os.environ, **env},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.monotonic() - started) * 1000
for binary in binaries:
    once(binary, {}, ["list"])  # writes this binary's compiled inventory
times = {(binary, case): [] for binary in binaries for case in cases}
for _ in range(runs):
    for case, (env, args) in cases.items():
        for binary in binaries:
            times[binary, case].append(once(binary, env, args))
print(f"5,000 roles, medians of {runs} runs (min-max)")
print("| binary | size | " + " | ".join(cases) + " |")
print("|---|---:|" + "---:|" * len(cases))
for binary in binaries:
    cells = [f"{statistics.median(t):.1f} ms ({min(t):.0f}-{max(t):.0f})" for t in (times[binary, c] for c in cases)]
    print(f"| {binary} | {os.path.getsize(binary) / 1e6:.1f} MB | " + " | ".join(cells) + " |")
PY
