#!/usr/bin/env bash
# What worker-build runs as wasm-bindgen (scripts/build.sh sets WASM_BINDGEN_BIN to this file):
# the cargo-installed wasm-bindgen ($REAL_WASM_BINDGEN), then scripts/trim-glue.mjs on the glue
# it wrote, which drops the JS classes this Worker never uses before worker-build bundles them.
set -euo pipefail
"${REAL_WASM_BINDGEN:?set by scripts/build.sh}" "$@"
out_dir=
while [ $# -gt 0 ]; do
  if [ "$1" = --out-dir ] && [ $# -gt 1 ]; then out_dir="$2"; fi
  shift
done
if [ -n "$out_dir" ]; then
  node "$(dirname "$0")/trim-glue.mjs" "$out_dir"
fi
