#!/usr/bin/env bash
# Runs every test: native unit tests (cargo test), then end-to-end tests against the built
# Worker under `wrangler dev` + the WorkOS emulator + Chromium (tests/e2e/run.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test

echo "==> native unit tests (cargo test)"
cargo test --quiet

echo "==> end-to-end tests (builds the Worker once, then wrangler dev + WorkOS emulator + Chromium)"
node tests/e2e/run.mjs "$@"
