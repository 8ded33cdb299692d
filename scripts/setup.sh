#!/usr/bin/env bash
# Installs what the project needs, only where missing (idempotent). Reaches only crates.io,
# the npm registry, PyPI and Debian's packages — nothing is downloaded from GitHub.
#   scripts/setup.sh          build + run prerequisites
#   scripts/setup.sh --test   also what only the tests use: the browser, the MCP conformance suite
#                             and Inspector CLI, the MCP Python SDK
#   scripts/setup.sh --fuzz   also the nightly toolchain and cargo-fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/versions.sh

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  step "adding Rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# `scripts/test.sh` checks formatting and lints.
for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    step "adding Rust component $component"
    rustup component add "$component"
  fi
done

installed_version() { "$1" --version 2>/dev/null | awk '{print $NF}'; }

if [ "$(installed_version worker-build)" != "$WORKER_BUILD_VERSION" ]; then
  step "installing worker-build $WORKER_BUILD_VERSION from crates.io (builds from source, a few minutes)"
  cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked
fi
if [ "$(installed_version wasm-bindgen)" != "$WASM_BINDGEN_VERSION" ]; then
  # Not --locked: its lockfile names a yanked webpki-roots release.
  step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION from crates.io (builds from source, a few minutes)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# npm ci only when node_modules is missing or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "installing npm packages (wrangler, esbuild, binaryen, workos CLI, playwright-core, MCP SDK)"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ "${1:-}" = "--fuzz" ]; then
  if ! rustup toolchain list | grep -q '^nightly'; then
    step "installing the nightly toolchain (libFuzzer's instrumentation needs it)"
    rustup toolchain install nightly --profile minimal
  fi
  if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $NF}')" != "$CARGO_FUZZ_VERSION" ]; then
    step "installing cargo-fuzz $CARGO_FUZZ_VERSION from crates.io"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
  fi
fi

# The official MCP conformance suite, the MCP Inspector CLI and the Node 22 they need (from the npm
# registry), kept apart from the project's own packages: only the tests use them.
if [ "${1:-}" = "--test" ]; then
  lock=tests/conformance/package-lock.json
  if [ ! -f tests/conformance/node_modules/.package-lock.json ] || [ "$lock" -nt tests/conformance/node_modules/.package-lock.json ]; then
    step "installing the MCP conformance suite, the Inspector CLI and Node 22 for them (tests/conformance)"
    npm ci --prefix tests/conformance --no-audit --no-fund --loglevel=error
  fi
fi

# The MCP Python SDK (PyPI), a third client library the end-to-end tests drive, in its own venv.
if [ "${1:-}" = "--test" ]; then
  venv=tests/python/.venv
  if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    step "installing Debian's python3-venv (the Python SDK's venv needs it)"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
  fi
  if [ ! -f "$venv/installed.txt" ] || ! cmp -s tests/python/requirements.txt "$venv/installed.txt" ||
    ! "$venv/bin/python" -c 'import mcp' 2>/dev/null; then
    step "installing the MCP Python SDK from PyPI (tests/python/.venv)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      -r tests/python/requirements.txt
    cp tests/python/requirements.txt "$venv/installed.txt"
  fi
fi
if [ "${1:-}" = "--test" ] && ! command -v chromium >/dev/null; then
  step "installing Debian's chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
exit 0
