// The official MCP conformance suite (@modelcontextprotocol/conformance, pinned in
// tests/conformance/package.json with the Node 22 it needs) against the built Worker:
//
//   * a third Worker under `wrangler dev` on 127.0.0.1:8791 with MCP_CONFORMANCE_FIXTURES=true
//     (the suite's fixture tools, resources and prompts next to the product's own), on the same
//     WorkOS stack as the other tests;
//   * a loopback proxy on localhost:8792 in front of it that passes every request through as it
//     is (Host and Origin included: the suite's DNS-rebinding probe must reach the Worker) and adds
//     `Authorization: Bearer <token>` to /mcp requests that have none — the suite cannot sign in;
//   * the token comes from our own OAuth flow through the proxy (discovery, registration, sign-in
//     at the WorkOS emulator, consent, PKCE code exchange), like any MCP client's;
//   * `conformance server --requirements 2025-11-25` must pass, with only the scenarios listed
//     (with their reason) in tests/conformance/expected-failures.yml allowed to fail;
//   * `conformance server --requirements 2026-07-28` (the stateless revision, on the same /mcp)
//     must pass with nothing listed;
//   * and the suite's `json-schema-2020-12` scenario, which no requirement set scores yet: a tool's
//     JSON Schema 2020-12 keywords reach `tools/list` as written (at 2026-07-28, where SEP-2106's
//     checks count).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { spawn } from 'node:child_process';
import { ROOT, logFile, writeWorkerEnv, writePrebuiltConfig, startWrangler, waitForWorker } from './stack.mjs';
import { stopChild } from '../../dev/child.mjs';

const WORKER_PORT = 8791;
const PROXY_PORT = 8792;
const PROXY_URL = `http://localhost:${PROXY_PORT}`;
const SUITE = path.join(ROOT, 'tests/conformance');
const NODE22 = path.join(SUITE, 'node_modules/.bin/node');
const CLI = path.join(SUITE, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const ARTIFACTS = path.join(ROOT, 'target/e2e-artifacts');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mcp-conformance-'));
const log = logFile(ARTIFACTS, 'wrangler-conformance.log');

let wrangler;
let proxy;
let token = null;

after(async () => {
  await stopChild(wrangler);
  await new Promise((r) => (proxy ? proxy.close(r) : r()));
  await log.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Everything through, as it came; a bearer added to /mcp requests without one. */
function startProxy() {
  proxy = http.createServer((req, res) => {
    const headers = { ...req.headers };
    if (token && new URL(req.url, PROXY_URL).pathname === '/mcp' && !headers.authorization) {
      headers.authorization = `Bearer ${token}`;
    }
    const upstream = http.request({ host: '127.0.0.1', port: WORKER_PORT, method: req.method, path: req.url, headers }, (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (err) => { res.writeHead(502); res.end(String(err)); });
    req.pipe(upstream);
  });
  return new Promise((resolve) => proxy.listen(PROXY_PORT, '127.0.0.1', resolve));
}

/** Runs `node args` (Node `bin`), resolving with the exit code and the output. */
function run(bin, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('exit', (code) => resolve({ code, output }));
  });
}

before(async () => {
  assert.ok(existsSync(NODE22) && existsSync(CLI), 'the suite is installed (scripts/setup.sh --test)');
  const envFile = writeWorkerEnv(tmp, process.env.WORKOS_URL, { MCP_CONFORMANCE_FIXTURES: 'true' });
  wrangler = startWrangler(envFile, path.join(tmp, 'state'), log, { port: WORKER_PORT, config: writePrebuiltConfig(tmp) });
  await waitForWorker(wrangler, log, () => {}, `http://127.0.0.1:${WORKER_PORT}`);
  await startProxy();

  token = await signIn();
});

/**
 * A real token for the proxy's origin, by the SDK's own OAuth client (in a process whose
 * WORKER_URL is the proxy: the e2e helpers read it once); each is a newly registered MCP client.
 */
async function signIn() {
  const script = "const { accessToken } = await import('./tests/e2e/mcp-helpers.mjs'); process.stdout.write('TOKEN=' + (await accessToken()).token);";
  const signin = await run(process.execPath, ['--input-type=module', '-e', script], { WORKER_URL: PROXY_URL });
  const got = signin.output.match(/TOKEN=(\S+)/)?.[1] ?? null;
  assert.ok(got, `a token through our OAuth flow:\n${signin.output.slice(-2000)}`);
  return got;
}

/** Runs the suite's server scenarios (`selection`: a revision's requirements, or one scenario);
 * the output's verdict lines are printed. */
async function suite(requirements, extra = [], selection = ['--requirements', requirements]) {
  const out = path.join(ARTIFACTS, `conformance-${selection[1]}`);
  const r = await run(NODE22, [CLI, 'server', '--url', `${PROXY_URL}/mcp`, ...selection, ...extra, '-o', out]);
  console.log(r.output.split('\n').filter((l) => /✓|✗|passed|failed|Unexpected|Stale|Expected|scenario/i.test(l)).join('\n'));
  return r;
}

test('the official MCP conformance suite (2025-11-25 requirements) passes against /mcp', { timeout: 12 * 60 * 1000 }, async () => {
  const r = await suite('2025-11-25', ['--expected-failures', path.join(SUITE, 'expected-failures.yml')]);
  assert.equal(r.code, 0, `the suite failed:\n${r.output.slice(-6000)}`);
});

test('the official MCP conformance suite (2026-07-28 requirements, stateless) passes against the same /mcp', { timeout: 12 * 60 * 1000 }, async () => {
  const r = await suite('2026-07-28');
  assert.equal(r.code, 0, `the suite failed:\n${r.output.slice(-6000)}`);
  assert.match(r.output, /server-stateless/, 'the stateless scenarios ran');
});

test('a tool schema\'s JSON Schema 2020-12 keywords reach tools/list as written (the suite\'s json-schema-2020-12)', { timeout: 5 * 60 * 1000 }, async () => {
  const r = await suite('2026-07-28', [], ['--scenario', 'json-schema-2020-12', '--spec-version', '2026-07-28']);
  assert.equal(r.code, 0, `the scenario failed:\n${r.output.slice(-6000)}`);
  assert.match(r.output, /Passed: ([1-9]\d*)\/\1, 0 failed/, 'every check passed');
  assert.match(r.output, /sep-2106-anchor-keyword-preserved/, 'the SEP-2106 checks ran');
});

test('a request that traps the Wasm instance fails alone: the next request is served by a new instance', async () => {
  // `test_worker_trap` (an unlisted fixture) panics: the build aborts on panic, so the Wasm
  // instance traps. worker-build's entry marks it broken and re-creates it before the next
  // request (its panic recovery).
  const call = (id, name) => fetch(`${PROXY_URL}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } }),
    signal: AbortSignal.timeout(30_000),
  });
  const before = await call(1, 'test_simple_text');
  assert.equal(before.status, 200, 'the fixtures answer');
  await before.text();
  const trapped = await call(2, 'test_worker_trap');
  assert.equal(trapped.status, 500, 'the trapped request fails');
  await trapped.text();
  const after = await call(3, 'test_simple_text');
  assert.equal(after.status, 200, 'the next request is answered');
  assert.match((await after.json()).result.content[0].text, /simple text response/);
  for (let i = 0; i < 50 && !/Reinitializing Wasm application/.test(log.tail(400)); i++) await new Promise((r) => setTimeout(r, 100));
  const tail = log.tail(400);
  assert.match(tail, /test_worker_trap: a deliberate panic/, 'the panic was logged');
  assert.match(tail, /Reinitializing Wasm application/, 'the instance was re-created');
});

test('an input round\'s requestState opens only for the MCP client it was issued to', async () => {
  const otherClient = await signIn(); // Alice again, through another registered client
  const name = 'test_input_required_result_request_state';
  const meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'e2e-request-state', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': { elicitation: {} },
  };
  const call = async (bearer, extra = {}) => {
    const r = await fetch(`${PROXY_URL}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${bearer}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': name,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {}, ...extra, _meta: meta } }),
      signal: AbortSignal.timeout(30_000),
    });
    return r.json();
  };
  const asked = await call(token);
  assert.equal(asked.result?.resultType, 'input_required', JSON.stringify(asked));
  const retry = { requestState: asked.result.requestState, inputResponses: { confirm: { action: 'accept', content: { ok: true } } } };
  const foreign = await call(otherClient, retry);
  assert.equal(foreign.error?.code, -32602, `the state sent by another client of the same person: ${JSON.stringify(foreign)}`);
  assert.match(foreign.error.message, /requestState/);
  const own = await call(token, retry);
  assert.match(JSON.stringify(own.result?.content), /state-ok/, `the state sent back by its own client: ${JSON.stringify(own)}`);
});
