#!/usr/bin/env bash
# Builds the Worker (build/index.js + build/index_bg.wasm) with worker-build, using the
# cargo-installed wasm-bindgen and npm's esbuild so worker-build downloads nothing.
# worker-build's own wasm-opt step is off (Cargo.toml metadata: it would download binaryen from
# GitHub); the release build runs npm's binaryen instead (scripts/optimize-wasm.sh).
# wrangler runs this as its [build] command; `scripts/build.sh --dev` makes a debug build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/versions.sh

export REAL_WASM_BINDGEN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen || true)}"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/esbuild/bin/esbuild}"
if [ -z "$REAL_WASM_BINDGEN" ] || [ ! -x "$ESBUILD_BIN" ] || [ ! -f node_modules/binaryen/bin/wasm-opt ] ||
  ! command -v worker-build >/dev/null; then
  echo "build tools missing: run scripts/setup.sh first" >&2
  exit 1
fi
mode=--release
[ "${1:-}" = "--dev" ] && mode=--dev
# WASM_KEEP_NAMES=1 (bench/profile.mjs): a release build that keeps function names, for profiles;
# not for deploying (no wasm-opt, names kept: about 35 % larger).
if [ -n "${WASM_KEEP_NAMES:-}" ]; then export CARGO_PROFILE_RELEASE_STRIP=none; fi
# WORKER_FEATURES: cargo features of the build. The tests and scripts/dev.sh set
# `conformance-fixtures` (the MCP conformance suite's fixtures, Cargo.toml); a plain
# `wrangler deploy` builds without them.
cargo_features=()
if [ -n "${WORKER_FEATURES:-}" ]; then cargo_features=(--features "$WORKER_FEATURES"); fi
# worker-build runs wasm-bindgen through scripts/wasm-bindgen.sh, which trims the JS glue.
WASM_BINDGEN_BIN="$PWD/scripts/wasm-bindgen.sh" worker-build "$mode" "${cargo_features[@]}"

wasm=build/index_bg.wasm
if [ "$mode" = --release ] && [ -z "${WASM_KEEP_NAMES:-}" ]; then
  bash scripts/optimize-wasm.sh "$wasm"
fi
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
printf 'Worker Wasm: %s bytes, %s bytes gzip (budget 1048576)\n' "$raw" "$gz"
if [ "$mode" = --release ] && [ "$gz" -gt 1048576 ]; then
  echo "Wasm exceeds the 1 MiB gzip budget" >&2
  exit 1
fi
