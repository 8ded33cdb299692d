#!/usr/bin/env bash
# Builds the Rust no-op as scripts/build.sh builds the product Worker (release, then
# scripts/optimize-wasm.sh), with the product's tools, in a cargo target directory of its own.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
export REAL_WASM_BINDGEN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen || true)}"
export ESBUILD_BIN="${ESBUILD_BIN:-$root/node_modules/esbuild/bin/esbuild}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/noop-rs}"
if [ -z "$REAL_WASM_BINDGEN" ] || [ ! -x "$ESBUILD_BIN" ] || [ ! -f "$root/node_modules/binaryen/bin/wasm-opt" ] ||
  ! command -v worker-build >/dev/null; then
  echo "build tools missing: run scripts/setup.sh first" >&2
  exit 1
fi
# Built like the Worker (scripts/build.sh): wasm-bindgen through the glue-trimming wrapper.
WASM_BINDGEN_BIN="$root/scripts/wasm-bindgen.sh" worker-build --release
bash "$root/scripts/optimize-wasm.sh" build/index_bg.wasm
