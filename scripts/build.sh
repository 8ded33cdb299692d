#!/usr/bin/env bash
# Builds the Worker (build/index.js + build/index_bg.wasm) with worker-build, using the
# cargo-installed wasm-bindgen and npm's esbuild so worker-build downloads nothing.
# wasm-opt is off (Cargo.toml metadata): Debian's binaryen is too old for current rustc output.
# wrangler runs this as its [build] command; `scripts/build.sh --dev` makes a debug build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/versions.sh

export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen || true)}"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/@esbuild/linux-x64/bin/esbuild}"
if [ -z "$WASM_BINDGEN_BIN" ] || [ ! -x "$ESBUILD_BIN" ] || ! command -v worker-build >/dev/null; then
  echo "build tools missing: run scripts/setup.sh first" >&2
  exit 1
fi
mode=--release
[ "${1:-}" = "--dev" ] && mode=--dev
worker-build "$mode"

wasm=build/index_bg.wasm
# The release Wasm without custom sections (names of the glue, producers): none is read at run time.
if [ "$mode" = --release ]; then node scripts/strip-wasm.mjs "$wasm"; fi
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
printf 'Worker Wasm: %s bytes, %s bytes gzip (budget 1048576)\n' "$raw" "$gz"
if [ "$mode" = --release ] && [ "$gz" -gt 1048576 ]; then
  echo "Wasm exceeds the 1 MiB gzip budget" >&2
  exit 1
fi
