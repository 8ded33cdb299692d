#!/usr/bin/env bash
# Fuzzes every parser that sees request input (fuzz/fuzz_targets/, cargo-fuzz + libFuzzer).
#   scripts/fuzz.sh                 30 s per target (the pass scripts/test.sh runs)
#   scripts/fuzz.sh 600             10 minutes per target
#   scripts/fuzz.sh 60 jwt jsonrpc  chosen targets only
#   FUZZ_RUNS=10000000 scripts/fuzz.sh 600
#                                   the full pass: 10 million executions or 10 minutes per target
# Seeds are read from fuzz/seeds/<target>/ (small, committed); what libFuzzer learns goes to
# target/fuzz/corpus/<target>/ (kept between runs, not committed). A crash, hang (> 10 s per
# input) or panic stops the run with a non-zero exit; the input lands in target/fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --fuzz

seconds="${1:-30}"
shift || true
if [ "$#" -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo +nightly fuzz list --fuzz-dir fuzz); fi

# Safe Rust: the sanitizer adds little over Rust's own checks, and halves the speed. Debug
# assertions (incl. integer-overflow checks) stay on.
flags=(--fuzz-dir fuzz --sanitizer none --debug-assertions)
echo "==> building the fuzz targets (nightly, libFuzzer)"
cargo +nightly fuzz build "${flags[@]}"

for t in "${targets[@]}"; do
  corpus="target/fuzz/corpus/$t"
  artifacts="target/fuzz/artifacts/$t"
  log="target/fuzz/$t.log"
  mkdir -p "$corpus" "$artifacts"
  echo "==> fuzz $t for ${seconds}s"
  # -timeout: one input taking over 10 s is a hang. -rss_limit_mb: a runaway allocation is a bug.
  if cargo +nightly fuzz run "${flags[@]}" "$t" "$corpus" "fuzz/seeds/$t" -- \
    -max_total_time="$seconds" ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 > "$log" 2>&1; then
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log" | sed 's/^/    /'
    grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | sed 's/^/    /' || true
  else
    tail -n 40 "$log" >&2
    echo "fuzz: $t failed; the input is in $artifacts/ — reproduce with: cargo +nightly fuzz run ${flags[*]} $t <file>" >&2
    exit 1
  fi
done
echo "==> fuzz: ${#targets[@]} targets, ${seconds}s each, no crash, hang or panic"
