// The first commands a Workers developer types, run as typed:
//
//   * `npx wrangler dev` in a checkout with a `.dev.vars` starts the Worker locally with no
//     Cloudflare login (no credentials, HOME empty) and no flags: wrangler opens no remote
//     session, the Worker answers, and `.dev.vars` is what it runs with (here: the emulator);
//   * `npx wrangler deploy --dry-run` lists every binding production needs, Workers AI included.
//
// Both run in a scratch directory laid out like a checkout: the project's wrangler.toml (without
// its [build] section, so the Worker runs the build this e2e run already made instead of
// rebuilding build/ under the Workers the other tests use, and on port 8790 instead of the
// 8788 those use), node_modules linked, and a .dev.vars written here — a developer's own
// .dev.vars in the real checkout is never touched.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { WORKOS_URL } from './helpers.mjs';
import { ROOT } from './stack.mjs';

const PORT = 8790;
const BASE = `http://127.0.0.1:${PORT}`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-worker-checkout-'));
const home = mkdtempSync(path.join(os.tmpdir(), 'mcp-worker-home-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The project's wrangler.toml, [build] removed, `main` absolute, the dev port moved. */
function checkoutConfig() {
  const out = [];
  let section = '';
  for (const line of readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8').split('\n')) {
    const header = line.match(/^\s*\[+([^\]]+)\]+\s*$/);
    if (header) section = header[1].trim();
    if (section === 'build') continue;
    let l = line.replace(/^main\s*=\s*"([^"]+)"/, (_, m) => `main = ${JSON.stringify(path.join(ROOT, m))}`);
    if (section === 'dev') l = l.replace(/^port\s*=.*/, `port = ${PORT}`);
    out.push(l);
  }
  return out.join('\n');
}

/** What a developer has: no Cloudflare credentials, no account id in the environment. */
function developerEnv() {
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), WRANGLER_SEND_METRICS: 'false', FORCE_COLOR: '0' };
  for (const k of Object.keys(env)) if (/^(CLOUDFLARE_|CF_)/.test(k)) delete env[k];
  return env;
}

/** `npx <args>` in the scratch checkout; resolves with its exit code and output. */
function npx(args, { timeoutMs = 120_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn('npx', args, { cwd: dir, env: developerEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch {} }, timeoutMs);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, output }); });
  });
}

let dev;
let devOutput = '';

before(() => {
  writeFileSync(path.join(dir, 'wrangler.toml'), checkoutConfig());
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  mkdirSync(path.join(home, '.config'), { recursive: true });
  // As `.dev.vars.example` tells a developer to write it, pointing at the local emulator.
  writeFileSync(path.join(dir, '.dev.vars'), [
    'WORKOS_CLIENT_ID=client_01LOCALEMULATOR',
    'WORKOS_API_KEY=sk_test_default',
    `WORKOS_API_BASE_URL=${WORKOS_URL}`,
    `COOKIE_ENCRYPTION_KEY=${randomBytes(32).toString('hex')}`,
    '',
  ].join('\n'));
});

after(async () => {
  if (dev && dev.exitCode === null) {
    try { process.kill(-dev.pid, 'SIGTERM'); } catch {}
    await Promise.race([new Promise((r) => dev.once('exit', r)), sleep(5000)]);
    try { process.kill(-dev.pid, 'SIGKILL'); } catch {}
  }
  rmSync(dir, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

test('plain `npx wrangler dev` starts the Worker offline, without a Cloudflare login, on .dev.vars', async () => {
  dev = spawn('npx', ['wrangler', 'dev'], { cwd: dir, env: developerEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  dev.stdout.on('data', (d) => { devOutput += d; });
  dev.stderr.on('data', (d) => { devOutput += d; });
  let page;
  for (let i = 0; i < 240 && dev.exitCode === null; i++) {
    page = await fetch(`${BASE}/login`).catch(() => null);
    if (page?.status === 200) break;
    await sleep(500);
  }
  assert.equal(dev.exitCode, null, `wrangler dev exited:\n${devOutput.slice(-2000)}`);
  assert.equal(page?.status, 200, `the sign-in page answers:\n${devOutput.slice(-2000)}`);
  assert.doesNotMatch(devOutput, /logged in|remote proxy session|Establishing remote connection/i, 'no remote session was opened');
  assert.match(devOutput, /env\.AI \(ai\)/, 'the AI binding is declared, and not connected while developing');
  // The sign-in starts against the WorkOS .dev.vars names (the emulator here).
  const start = await fetch(`${BASE}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE },
    body: 'return_to=%2F',
  });
  assert.equal(start.status, 303);
  assert.ok(start.headers.get('location').startsWith(`${WORKOS_URL}/user_management/authorize?`), start.headers.get('location'));
  assert.ok(start.headers.get('location').includes('client_id=client_01LOCALEMULATOR'));
  // No WORKOS_WEBHOOK_SECRET in this .dev.vars: there is no webhook endpoint at all.
  const hook = await fetch(`${BASE}/webhooks/workos`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(hook.status, 404);
  // The production limits apply (the e2e Worker's are ten times wider): ten registrations a
  // minute from one address. The limiter counts in fixed one-minute windows, so of 21 sent at
  // once at least 11 fall into one window: some are refused, never the first ten.
  const statuses = [];
  for (let i = 0; i < 21; i++) {
    const r = await fetch(`${BASE}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.77' },
      body: JSON.stringify({ redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none' }),
    });
    statuses.push(r.status);
  }
  assert.deepEqual(statuses.slice(0, 10), Array(10).fill(201), statuses.join(' '));
  assert.ok(statuses.includes(429), statuses.join(' '));
  assert.deepEqual([...new Set(statuses)].sort(), [201, 429], statuses.join(' '));
});

test('`npx wrangler deploy --dry-run` lists everything production needs, Workers AI included', async () => {
  const { code, output } = await npx(['wrangler', 'deploy', '--dry-run', '--outdir', path.join(dir, 'dist')]);
  assert.equal(code, 0, output.slice(-2000));
  for (const binding of [
    /env\.AI \(ai\)/,
    /env\.OAUTH_KV \(/,
    /env\.MCP_SESSION \(SseSession\)\s+Durable Object/,
    /env\.GRANT_GUARD \(GrantGuard\)\s+Durable Object/,
    /env\.REGISTER_LIMITER \(10 requests\/60s\)/,
    /env\.SIGNIN_LIMITER \(30 requests\/60s\)/,
    /env\.TOKEN_LIMITER \(60 requests\/60s\)/,
    /env\.WORKOS_TOOL_LIMITER \(30 requests\/60s\)/,
    /env\.SSE_LIMITER \(30 requests\/60s\)/,
  ]) {
    assert.match(output, binding);
  }
  // The Durable Objects' classes are created by the migrations the deploy carries.
  const config = readFileSync(path.join(dir, 'wrangler.toml'), 'utf8');
  assert.match(config, /tag = "v1"\s+new_sqlite_classes = \["SseSession"\]/);
  assert.match(config, /tag = "v2"\s+new_sqlite_classes = \["GrantGuard"\]/);
});
