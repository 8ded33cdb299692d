#!/usr/bin/env bash
# Builds the Rust no-op as scripts/build.sh builds the product Worker (release, wasm-opt -O1),
# with the product's tools and its cargo target directory (the shared crates compile once).
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen)}"
export ESBUILD_BIN="${ESBUILD_BIN:-$root/node_modules/@esbuild/linux-x64/bin/esbuild}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/noop-rs}"
worker-build --release
features=(--enable-bulk-memory --enable-bulk-memory-opt --enable-sign-ext --enable-mutable-globals
  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue --enable-exception-handling)
node "$root/node_modules/binaryen/bin/wasm-opt" -O1 "${features[@]}" build/index_bg.wasm -o build/index_bg.wasm.opt
mv build/index_bg.wasm.opt build/index_bg.wasm
