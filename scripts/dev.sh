#!/usr/bin/env bash
# Runs the Worker locally with `wrangler dev` on http://127.0.0.1:8788.
#   no .dev.vars                      → starts WorkOS's API emulator on http://127.0.0.1:4100, seeded
#                                       with Acme and Globex, alice, bob and carol (README), and points the Worker at it
#   .dev.vars with real credentials   → the same Worker talks to real WorkOS (no emulator)
#   .dev.vars pointing at :4100       → the emulator is started and .dev.vars is used
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

children=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

start_emulator() {
  echo "==> starting the WorkOS emulator (workos emulate) on http://127.0.0.1:4100"
  node dev/emulator.mjs &
  children+=($!)
  for _ in $(seq 1 120); do
    node -e 'fetch("http://127.0.0.1:4100/health").then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' && return 0
    kill -0 "${children[-1]}" 2>/dev/null || { echo "the emulator exited" >&2; exit 1; }
    sleep 0.5
  done
  echo "the emulator did not become healthy within 60 s" >&2
  exit 1
}

# The project's own configuration, as plain `npx wrangler dev` uses it (Workers AI is not bound locally).
wrangler=(node_modules/.bin/wrangler dev --ip 127.0.0.1 --port 8788)
if [ -f .dev.vars ]; then
  if grep -Eq '^WORKOS_API_BASE_URL=.*(127\.0\.0\.1|localhost):4100' .dev.vars; then start_emulator; else
    echo "==> .dev.vars found: the Worker will talk to real WorkOS (no emulator)"
  fi
else
  start_emulator
  mkdir -p .wrangler
  envfile=.wrangler/emulator.env
  if [ ! -f "$envfile" ]; then
    # A cookie key per checkout, kept so sessions survive restarts of `scripts/dev.sh`.
    key=$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')
    printf 'WORKOS_CLIENT_ID=client_01LOCALEMULATOR\nWORKOS_API_KEY=sk_test_default\nWORKOS_API_BASE_URL=http://127.0.0.1:4100\nCOOKIE_ENCRYPTION_KEY=%s\n' "$key" > "$envfile"
  fi
  # Local development only: accept http://localhost client metadata documents (also added to
  # env files written by earlier versions of this script).
  grep -q '^ALLOW_LOOPBACK_CLIENT_METADATA=' "$envfile" || echo 'ALLOW_LOOPBACK_CLIENT_METADATA=true' >> "$envfile"
  wrangler+=(--env-file "$envfile")
fi
echo "==> starting the Worker with wrangler dev (the first build takes a few minutes)"
# Local builds keep the MCP conformance suite's fixtures (MCP_CONFORMANCE_FIXTURES=true serves
# them); `wrangler deploy` builds without. WORKER_FEATURES= (empty) builds as deployed.
export WORKER_FEATURES="${WORKER_FEATURES-conformance-fixtures}"
"${wrangler[@]}" &
children+=($!)
wait -n "${children[@]}"
