#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 60), one after another and one process each (the
# machine is shared), growing fuzz/corpus/<target>/, then prints each target's run count and
# whether it found anything (a crash input lands in fuzz/artifacts/<target>/), and the total.
#   scripts/fuzz.sh 60                      every target (fuzz/fuzz_targets/*.rs), 60 s each
#   scripts/fuzz.sh 300 exports sts_answer  two targets, 5 min each
#   FUZZ_CMIN=1 scripts/fuzz.sh 60          and minimise each corpus afterwards (cargo fuzz cmin)
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). The same corpora
# are replayed on stable by `cargo nextest run --test it -E 'test(/^fuzz_corpus_replay::/)'`.
set -euo pipefail
seconds="${1:-60}"
shift || true
cd "$(dirname "$0")/../fuzz"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    # Every target there is: one binary per fuzz_targets/<name>.rs.
    for file in fuzz_targets/*.rs; do
        targets+=("$(basename "$file" .rs)")
    done
fi
# Release with debug assertions; no sanitizer: the code is safe Rust, and speed buys runs.
flags=(-O -a -s none)
cargo +nightly fuzz build "${flags[@]}"
mkdir -p target
summary=()
status=0
total=0
for target in "${targets[@]}"; do
    log="target/fuzz-$target.log"
    if cargo +nightly fuzz run "${flags[@]}" "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 -max_len=16384 >"$log" 2>&1; then
        result="0 crashes"
    else
        result="FINDING: see fuzz/$log and fuzz/artifacts/$target/"
        status=1
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
    total=$((total + ${runs:-0}))
    if [ "${FUZZ_CMIN:-0}" = 1 ]; then
        # Edge coverage only (no counters): a few hundred files rather than thousands.
        cargo +nightly fuzz cmin "${flags[@]}" "$target" "corpus/$target" -- -max_len=16384 -use_counters=0 >>"$log" 2>&1
    fi
    took=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o '[0-9]* second' || echo "? second")
    summary+=("$target: ${runs:-?} runs in ${took}s, $result, corpus $(ls "corpus/$target" | wc -l) files")
done
printf '%s\n' "${summary[@]}"
echo "total: $total runs"
exit $status
