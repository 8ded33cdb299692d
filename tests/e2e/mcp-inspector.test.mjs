// The MCP Inspector's CLI (`@modelcontextprotocol/inspector`, pinned in tests/conformance with
// the Node 22 it needs) against /mcp in each protocol era it offers: `legacy` (initialize,
// 2025-11-25), `modern` (2026-07-28: server/discover, per-request _meta) and `auto` (it
// discovers which the server speaks). The bearer token comes from our OAuth flow and is passed
// with --header, as a user of the CLI would in CI; HOME is a temporary directory, so nothing is
// written to the user's ~/.mcp-inspector. The CLI talks to the Worker through a loopback recorder
// that passes every request on unchanged (Host set to the Worker's) and notes each JSON-RPC method
// with its MCP-Protocol-Version header: that shows which revision was spoken.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import os from 'node:os';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { ROOT } from './stack.mjs';
import { url } from './oauth-helpers.mjs';
import { BOB } from './helpers.mjs';
import { ALL_TOOLS, GATED_TOOL, accessToken } from './mcp-helpers.mjs';

const SUITE = path.join(ROOT, 'tests/conformance');
const NODE22 = path.join(SUITE, 'node_modules/.bin/node');
const INSPECTOR = path.join(SUITE, 'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js');
const home = mkdtempSync(path.join(os.tmpdir(), 'inspector-home-'));

let alice;
let bob;
let recorder;
let seen = [];

/** Passes requests to the Worker as they are and records `method @ MCP-Protocol-Version`. */
function startRecorder() {
  const worker = new URL(url('/'));
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      try { seen.push(`${JSON.parse(body).method ?? 'response'} @ ${req.headers['mcp-protocol-version'] ?? '-'}`); } catch { /* GET/DELETE */ }
      const headers = { ...req.headers, host: worker.host };
      const up = http.request({ host: worker.hostname, port: worker.port, method: req.method, path: req.url, headers }, (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      });
      up.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
      up.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

before(async () => {
  assert.ok(existsSync(NODE22) && existsSync(INSPECTOR), 'the Inspector is installed (scripts/setup.sh --test)');
  [alice, bob] = await Promise.all([accessToken(), accessToken(BOB)]);
  recorder = await startRecorder();
});
after(async () => {
  await new Promise((r) => (recorder ? recorder.close(r) : r()));
  rmSync(home, { recursive: true, force: true });
});

/** `inspector --cli <O/mcp> --transport http --protocol-era <era> …`; resolves {code, json, methods, output}. */
function inspector(token, era, args) {
  const target = `http://127.0.0.1:${recorder.address().port}/mcp`;
  const argv = [INSPECTOR, '--cli', target, '--transport', 'http', '--protocol-era', era,
    '--header', `Authorization: Bearer ${token}`, '--stored-auth-only', '--format', 'json', ...args];
  seen = [];
  return new Promise((resolve) => {
    const child = spawn(NODE22, argv, { env: { ...process.env, HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      let json = null;
      try { json = JSON.parse(stdout); } catch { /* reported below */ }
      resolve({ code, json, methods: seen, output: `${stdout.slice(0, 1500)}\n…\n${stderr}`.slice(0, 3000) });
    });
  });
}

for (const era of ['legacy', 'auto', 'modern']) {
  test(`Inspector CLI --protocol-era ${era}: tools/list and tools/call, gated by the token's permissions`, async () => {
    const list = await inspector(alice.token, era, ['--method', 'tools/list']);
    assert.equal(list.code, 0, `tools/list (${era}):\n${list.output}`);
    const tools = list.json?.result;
    assert.ok(Array.isArray(tools?.tools), `a tool list: ${list.output}`);
    assert.deepEqual(tools.tools.map((t) => t.name).sort(), ALL_TOOLS, list.output);
    // Which revision was spoken: 2026-07-28 has no initialize, and every request says its version.
    const { methods } = list;
    if (era === 'legacy') {
      assert.equal(methods[0], 'initialize @ -', `legacy starts with initialize: ${methods}`);
      assert.ok(methods.includes('tools/list @ 2025-11-25'), `then 2025-11-25 requests: ${methods}`);
    } else {
      assert.ok(!methods.some((m) => m.startsWith('initialize')), `no initialize in ${era}: ${methods}`);
      assert.ok(methods.includes('tools/list @ 2026-07-28'), `tools/list as 2026-07-28: ${methods}`);
      if (era === 'auto') assert.equal(methods[0], 'server/discover @ 2026-07-28', `auto discovers first: ${methods}`);
    }

    const sum = await inspector(alice.token, era, ['--method', 'tools/call', '--tool-name', 'add', '--tool-args-json', '{"a":19,"b":23}']);
    assert.equal(sum.code, 0, `tools/call add (${era}):\n${sum.output}`);
    assert.deepEqual(sum.json?.result?.structuredContent, { sum: 42 }, sum.output);

    const bobs = await inspector(bob.token, era, ['--method', 'tools/list']);
    assert.equal(bobs.code, 0, bobs.output);
    assert.ok(!bobs.json.result.tools.some((t) => t.name === GATED_TOOL), `Bob does not see ${GATED_TOOL}`);
  });
}
