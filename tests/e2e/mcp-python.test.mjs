// The MCP Python SDK (PyPI `mcp`, pinned in tests/python/requirements.txt; scripts/setup.sh --test
// installs it in tests/python/.venv) as a client of the Worker, with a token the test obtained:
// its `Client` on /mcp in its default mode (it probes `server/discover` and adopts 2026-07-28) and
// with the initialize handshake, and over legacy SSE, where it posts one message at a time: a
// slow tool must not hold a ping sent after it (the session's POST is answered once accepted).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { ALICE, control } from './helpers.mjs';
import { url } from './oauth-helpers.mjs';
import { ALL_TOOLS, accessToken } from './mcp-helpers.mjs';

const PYTHON = new URL('../python/.venv/bin/python', import.meta.url).pathname;
const CLIENT = new URL('../python/mcp_client.py', import.meta.url).pathname;

let mcpToken;
let sseToken;
before(async () => {
  assert.ok(existsSync(PYTHON), `the Python SDK's venv (${PYTHON}) is missing: run bash scripts/setup.sh --test`);
  [mcpToken, sseToken] = await Promise.all([accessToken(ALICE, '/mcp'), accessToken(ALICE, '/sse')].map((p) => p.then((t) => t.token)));
});
after(async () => { await control.resetFault(); });

/** Runs the Python client; returns the JSON object it printed. */
async function python(token, args) {
  const { stdout } = await promisify(execFile)(PYTHON, [CLIENT, ...args], {
    env: { ...process.env, MCP_TOKEN: token },
    timeout: 60000,
  }).catch((e) => { throw new Error(`the Python client failed (${e.code ?? e.signal}): …${String(e.stderr ?? '').slice(-2500)}`); });
  return JSON.parse(stdout.trim().split('\n').pop());
}

function expectBasics(seen, what) {
  assert.deepEqual(seen.tools, [...ALL_TOOLS].sort(), `${what}: Alice's four tools`);
  assert.equal(seen.add.isError, false, `${what}: add succeeded`);
  assert.match(seen.add.text.join(' '), /\b5\b/, `${what}: 2 + 3`);
}

test('/mcp: the Python SDK\'s Client, default mode, discovers 2026-07-28 and uses it', async () => {
  const seen = await python(mcpToken, ['--url', url('/mcp'), '--transport', 'http']);
  assert.equal(seen.protocolVersion, '2026-07-28', 'adopted through server/discover');
  expectBasics(seen, '2026-07-28');
});

test('/mcp: the Python SDK\'s Client with the initialize handshake (mode legacy)', async () => {
  const seen = await python(mcpToken, ['--url', url('/mcp'), '--transport', 'http', '--mode', 'legacy']);
  assert.match(seen.protocolVersion, /^2025-/, `a handshake revision, got ${seen.protocolVersion}`);
  expectBasics(seen, 'legacy');
});

test('/sse: the Python SDK over legacy SSE; a slow tool does not hold the ping it sends after it', async () => {
  // WorkOS answers the profile after 2.5 s. The SDK posts one message at a time, waiting for each
  // POST's answer: had the session answered the POST only once the tool ran, the ping would wait.
  await control.setFault({ mode: 'slow', delayMs: 2500, paths: ['/user_management/users'] });
  let seen;
  try {
    seen = await python(sseToken, ['--url', url('/sse'), '--transport', 'sse', '--slow-profile']);
  } finally {
    await control.resetFault();
  }
  expectBasics(seen, 'SSE');
  assert.equal(seen.profile.isError, false, `the profile: ${JSON.stringify(seen.profile)}`);
  assert.match(seen.profile.text.join(' '), /alice@example\.com/);
  assert.deepEqual(seen.order, ['ping', 'profile'], 'the ping came back while the tool still ran');
});
