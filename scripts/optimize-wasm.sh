#!/usr/bin/env bash
# Optimizes a release Wasm in place: `scripts/optimize-wasm.sh <file.wasm>` (scripts/build.sh
# runs it on the Worker; bench/noop-rs/build.sh on the Rust no-op, so both are built alike).
# wasm-opt from npm's binaryen (Debian's is too old for what rustc emits), with the features
# rustc enables for wasm32 and the exception handling wasm-bindgen's glue uses (named: the
# stripped module has no target_features section). -O1: measured on this Worker, it makes the
# gzip smaller, while -Os/-Oz/-O2 make the raw file smaller but the gzip larger
# (docs/performance.md); running its passes until nothing changes (--converge) saves 0.5 KB and
# merging identical functions (--duplicate-function-elimination) 0.3 KB more. Measured on this
# Worker on 2026-12-03 (gzip): dropping arguments no caller uses (--dae-optimizing) saves 2.3 KB,
# folding identical code tails (--code-folding) 1.2 KB, and -O1's passes at shrink level 1
# about 1 KB more with the two (4.1 KB in all). First, the exports
# of five classes the `worker` and `wasm-streams` crates always export and this Worker never uses
# go, and with them their code: `ContainerStartupOptions` (Containers), `MinifyConfig` (a fetch's
# `cf.minify`), `R2Range` (R2), and the byte-stream source and the sink of `wasm-streams` (the
# Worker's streams are plain sources). Nothing in the Wasm makes one, and scripts/trim-glue.mjs
# has taken their JS classes out of the glue (a Worker that used them would need both back).
# Then the custom sections go (names of the glue, producers, features): none is read at run time.
# With `--keep-names` (bench/size-contributors.mjs, on a build that kept its function names) the
# names stay and the sections too: a copy for a size report, not for deploying.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
wasm="$1"
keep_names=()
[ "${2:-}" = --keep-names ] && keep_names=(-g)
features=(--enable-bulk-memory --enable-bulk-memory-opt --enable-sign-ext --enable-mutable-globals
  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue --enable-exception-handling)
unused='*containerstartupoptions*,*minifyconfig*,*r2range*,*intounderlyingbytesource*,*intounderlyingsink*'
node "$root/node_modules/binaryen/bin/wasm-opt" --remove-exports="$unused" -O1 --shrink-level=1 --converge \
  --duplicate-function-elimination --dae-optimizing --code-folding "${keep_names[@]}" "${features[@]}" "$wasm" -o "$wasm.opt"
mv "$wasm.opt" "$wasm"
if [ ${#keep_names[@]} -eq 0 ]; then
  node "$root/scripts/strip-wasm.mjs" "$wasm"
fi
