#!/usr/bin/env bash
# Runs every test: formatting, lints and the import-loop check, native unit tests (cargo test),
# then end-to-end tests against the built Worker under `wrangler dev` + the WorkOS emulator +
# Chromium (tests/e2e/run.mjs), then a short fuzz pass of every target (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test

echo "==> formatting, lints and import loops"
cargo fmt --check
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --all-targets --target wasm32-unknown-unknown -- -D warnings
cargo clippy --quiet --lib --features conformance-fixtures --target wasm32-unknown-unknown -- -D warnings
node scripts/import-loops.mjs

echo "==> native unit tests (cargo test)"
cargo test --quiet

echo "==> end-to-end tests (builds the Worker once, then wrangler dev + WorkOS emulator + Chromium)"
node tests/e2e/run.mjs "$@"

# A short fuzz pass of every target; not when only some e2e files were asked for.
if [ "$#" -eq 0 ]; then
  echo "==> fuzzing (30 s per target)"
  bash scripts/fuzz.sh 30
fi
