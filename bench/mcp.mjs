#!/usr/bin/env node
// Benchmark of the MCP endpoints against local `wrangler dev` — not a test: nothing is asserted
// and the test command does not run it.
//
//   node bench/mcp.mjs [--duration 10] [--rounds 3] [--connections 16] [--round-trips 300] [--flows 5] [--startup-runs 5] [--no-template]
//
//   --duration N      seconds of Streamable HTTP load per round, for this Worker, the no-op and the template (default 10)
//   --rounds N        rounds of load on this Worker and the no-op, taken in turn (default 3): the machine's
//                     drift falls on both alike; medians are reported
//   --connections N   concurrent connections for it (default 16)
//   --round-trips N   legacy-SSE round trips (default 300)
//   --flows N         full OAuth flows timed, discovery → token with sign-in, on each side (default 5)
//   --startup-runs N  start-up profiles (`wrangler check startup`) taken of each Worker (default 5)
//   --no-template     leave out the TypeScript template (bench/template)
//
// What it does:
// 1. starts the same stack as `node tests/e2e/run.mjs` (tests/e2e/stack.mjs: the WorkOS emulator
//    and front on 4100/4101, here in a process of their own, as WorkOS runs elsewhere; the Worker
//    under `wrangler dev` on 127.0.0.1:8788 with fresh local KV) — so nothing else may hold those
//    ports; logs go to target/bench-artifacts/;
// 2. obtains access tokens for Alice through the real OAuth flow (the SDK's `auth()` with the
//    cookie-jar browser from tests/e2e/oauth-helpers.mjs): one for O/mcp, one for O/sse;
// 3. Streamable HTTP: 20 sequential warm-up requests (the first reads the grant from KV; KV reads
//    per request are counted here), then autocannon (programmatic) sends authenticated
//    `tools/call add` to POST /mcp for --duration seconds over --connections connections, every
//    response checked (200 + the sum) exactly as the no-op's are, in --rounds rounds taken in turn
//    with the no-op Worker's (step 6);
// 4. legacy SSE: opens one session (GET /sse), then, one after another, POSTs `tools/call add` to
//    /sse/message and times until its response event arrives on the stream;
// 5. prints requests/s, p50/p99 latency and KV reads per request (from the Worker's
//    `Server-Timing: kv;desc="reads=N"` header: average and max) as a compact table;
// 6. the same load (the same request: the bearer token and protocol version header too) against
//    a no-op Worker (bench/noop: reads the body, answers a fixed result) under `wrangler dev` on
//    127.0.0.1:8796, round for round with this Worker's, and this Worker's
//    median throughput and p99 as a fraction of the no-op's; with each load, the CPU per call of
//    the processes of each `wrangler dev` (Linux /proc: the workerd running the Worker, the
//    workerd of wrangler's dev proxy that every request passes, wrangler's Node process); and the
//    same again against bench/noop-rs, the no-op in Rust on `worker` (built as this Worker is, on
//    127.0.0.1:8798): what a worker-rs Worker costs before it does anything of its own, and
//    this Worker's share of its throughput beside the JS no-op's;
// 7. the TypeScript system this Worker replaces — bench/template, our reconstruction of Cloudflare's
//    remote-mcp-authkit template (workers-oauth-provider, agents' McpAgent, @workos-inc/node, hono;
//    its npm packages installed by `npm ci` when missing or when its lock changed) — under
//    `wrangler dev` on 127.0.0.1:8797 against the same emulator: a token for Alice by the same
//    SDK `auth()` (its approval page pressed by the same kind of cookie-jar browser), one MCP
//    session (initialize + notifications/initialized: its /mcp wants the Mcp-Session-Id on every
//    later request), 20 sequential calls, then the same autocannon load in that session, every
//    response checked (200 + the sum);
// 8. the full OAuth flow (discovery → registration → sign-in at the emulator → consent → token)
//    --flows times on each side, the two sides in turn: median and fastest; after each flow (not
//    timed with it) the new token's first calls: initialize, notifications/initialized and the
//    first `tools/call add`; the CPU each side's `wrangler dev` spent per flow (its workerd, its
//    dev proxy, wrangler's Node process); then three authorizations by hand on each side, in
//    turn, each HTTP hop timed, the one of median total shown with the WorkOS requests it caused
//    (the front's request log: the browser's sign-in and the Worker's own calls) and, for this
//    Worker, the KV and Durable Object operations its `Server-Timing` reported; then the flows
//    again with both Workers restarted without wrangler's DevTools inspector
//    (dev/wrangler-dev-no-inspector.mjs: the same engine; the `wrangler dev` command relays the
//    DevTools events of every subrequest to wrangler's processes, which production does not);
//    then a third time, without the inspector and with this Worker's sign-in audit event left
//    out (AUDIT_SIGN_INS=off: the template sends none, and WorkOS's stand-in shares the machine);
//    then what one local KV or Durable Object operation, or an outbound request, costs, with and
//    without the inspector (bench/storage on 127.0.0.1:8795: each kind 150 times, against
//    requests that make none);
// 9. size: the Wasm (raw, gzip -9) and the deploy bundle (`wrangler deploy --dry-run`: upload and
//    gzip), and start-up (`wrangler check startup`, --startup-runs times: median busy ms and span),
//    for this Worker, the template and the two no-ops;
// 10. a side-by-side table: measure | this Worker | TS template | no-op | Rust no-op.
// Figures are for this machine and `wrangler dev` (workerd, local KV, the release
// build that scripts/build.sh makes); they compare runs on one machine, they do not predict production.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  cpuDuring, median, percentile, startBenchStack, startNoop, startupProfile, ensureTemplateInstalled, startTemplate, storageCosts,
} from './lib.mjs';
import { templateClient } from './template-client.mjs';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
    'round-trips': { type: 'string', default: '300' },
    flows: { type: 'string', default: '5' },
    'startup-runs': { type: 'string', default: '5' },
    'no-template': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log('usage: node bench/mcp.mjs [--duration 10] [--rounds 3] [--connections 16] [--round-trips 300] [--flows 5] [--startup-runs 5] [--no-template]');
  process.exit(0);
}
const DURATION_S = Number(opts.duration);
const ROUNDS = Number(opts.rounds);
const CONNECTIONS = Number(opts.connections);
const ROUND_TRIPS = Number(opts['round-trips']);
const FLOWS = Number(opts.flows);
const STARTUP_RUNS = Number(opts['startup-runs']);
const TEMPLATE = !opts['no-template'];
for (const [name, v] of [['duration', DURATION_S], ['rounds', ROUNDS], ['connections', CONNECTIONS], ['round-trips', ROUND_TRIPS],
  ['flows', FLOWS], ['startup-runs', STARTUP_RUNS]]) {
  if (!Number.isInteger(v) || v < 1) { console.error(`--${name} must be a positive integer`); process.exit(2); }
}

const say = (line) => console.log(`bench: ${line}`);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const ARTIFACTS = path.join(ROOT, 'target/bench-artifacts');
const NOOP_PORT = 8796;
const RUST_NOOP_PORT = 8798;
const TEMPLATE_PORT = 8797;
const STORAGE_PORT = 8795;
const ADD_BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } } });


/** Running KV-read statistics from Server-Timing headers. */
function kvStats() {
  return {
    n: 0, sum: 0, max: 0, missing: 0,
    add(reads) {
      if (reads === undefined) { this.missing++; return; }
      this.n++; this.sum += reads; this.max = Math.max(this.max, reads);
    },
    get avg() { return this.n ? this.sum / this.n : NaN; },
  };
}

/**
 * `tools/call add` POSTed to `url` under autocannon, with `headers` beside the JSON ones; each
 * response's status and body checked (200, the sum). Every Worker gets the same load: this one,
 * the template (its session in `headers`) and the no-ops (the very request this Worker gets: the
 * bearer token and protocol version they ignore still pass the dev proxy and the runtime). The
 * load generator shares the machine, so it does the same work for each.
 */
async function benchLoad({ url, headers, name }) {
  let bad = 0;
  let firstBad;
  const [result, cpu] = await withCpu(url, () => autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    requests: [{
      method: 'POST',
      headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json', ...headers },
      body: ADD_BODY,
      onResponse: (status, resBody) => {
        if (status !== 200 || !resBody.includes('"text":"5"')) {
          bad++;
          firstBad ??= `${status} ${resBody.slice(0, 200)}`;
        }
      },
    }],
  }));
  return {
    name: `${name} (autocannon, ${CONNECTIONS} conn, ${DURATION_S} s)`,
    cpu,
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    kv: null,
    errors: result.errors + result.timeouts + result.non2xx + bad,
    note: firstBad,
  };
}

/**
 * `load()` (an autocannon run) with the CPU its `wrangler dev` (serving `url`) spent meanwhile,
 * per request and process ({runtime, proxy, wrangler} ms, or null off Linux): [result, cpu].
 */
async function withCpu(url, load) {
  const [result, spent] = await cpuDuring(Number(new URL(url).port), load);
  const n = result.requests.total;
  const cpu = spent && n ? Object.fromEntries(Object.entries(spent).map(([k, ms]) => [k, ms / n])) : null;
  return [result, cpu];
}

/** Rounds of one load, combined: total requests and errors, median req/s, p50 and p99. */
function combineRounds(rounds, name) {
  return {
    name: `${name} (${CONNECTIONS} conn, ${rounds.length} rounds of ${DURATION_S} s, medians)`,
    requests: rounds.reduce((n, r) => n + r.requests, 0),
    rps: median(rounds.map((r) => r.rps)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    kv: null,
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    note: rounds.find((r) => r.note)?.note,
    each: rounds.map((r) => Math.round(r.rps)),
    cpu: rounds.every((r) => r.cpu)
      ? Object.fromEntries(Object.keys(rounds[0].cpu).map((k) => [k, median(rounds.map((r) => r.cpu[k]))]))
      : null,
  };
}

/**
 * FLOWS complete OAuth flows for new clients on each side, the sides in turn (`flow()` → a token;
 * each: discovery, DCR, sign-in, consent, token), timed; after each, not timed with it,
 * `firstCalls(token)` → {initializeMs, initializedMs, callMs} (it throws on a wrong answer).
 * Each side's `wrangler dev` on `port` is read for the CPU its processes spent on the flows
 * (`cpuDuring`; each flow's answer may leave background work, so the reading after it waits
 * FLOW_SETTLE_MS, which is not in the flow's time). Returns, per side, {times, first: [...],
 * cpu: {runtime, proxy, wrangler} per flow, or null}.
 */
const FLOW_SETTLE_MS = 100;
async function benchFlowsInTurn(sides) {
  const out = sides.map(() => ({ times: [], first: [], cpu: { runtime: 0, proxy: 0, wrangler: 0 } }));
  for (let i = 0; i < FLOWS; i++) {
    for (const [k, { flow, firstCalls, port }] of sides.entries()) {
      const [token, spent] = await cpuDuring(port, async () => {
        const start = performance.now();
        const got = await flow();
        out[k].times.push(performance.now() - start);
        return got;
      }, { settleMs: FLOW_SETTLE_MS });
      if (!token) throw new Error('a flow ended without a token');
      if (spent && out[k].cpu) {
        for (const key of Object.keys(out[k].cpu)) out[k].cpu[key] += spent[key] / FLOWS;
      } else {
        out[k].cpu = null;
      }
      out[k].first.push(await firstCalls(token));
    }
  }
  return out;
}

/** Authorizations by hand made BY_HAND times per side, in turn; per side the one of median total. */
const BY_HAND = 3;
async function byHandInTurn(control, sides) {
  const runs = sides.map(() => []);
  for (let i = 0; i < BY_HAND; i++) {
    for (const [k, byHand] of sides.entries()) runs[k].push(await workosRequestsDuring(control, byHand));
  }
  return runs.map((r) => [...r].sort((a, b) => a.result.total - b.result.total)[Math.floor(r.length / 2)]);
}

const timed = async (fn) => {
  const t = performance.now();
  const r = await fn();
  return { r, ms: performance.now() - t };
};

/**
 * A new token's first calls on this Worker, as an MCP client makes them: initialize, then
 * notifications/initialized and `tools/call add` with the Mcp-Session-Id and MCP-Protocol-Version.
 */
async function ourFirstCalls(mcp, token) {
  const init = await timed(() => mcp.mcpPost(token, mcp.initialize()));
  if (init.r.status !== 200 || !init.r.json?.result) throw new Error(`initialize: ${init.r.status} ${init.r.text.slice(0, 200)}`);
  const session = init.r.headers.get('mcp-session-id');
  const headers = { 'mcp-protocol-version': mcp.LATEST_PROTOCOL_VERSION, ...(session ? { 'mcp-session-id': session } : {}) };
  const done = await timed(() => mcp.mcpPost(token, mcp.notification('notifications/initialized'), { headers }));
  if (done.r.status !== 202) throw new Error(`notifications/initialized: ${done.r.status} ${done.r.text.slice(0, 200)}`);
  const call = await timed(() => mcp.mcpPost(token, mcp.callTool('add', { a: 2, b: 3 }), { headers }));
  if (call.r.status !== 200 || call.r.json?.result?.content?.[0]?.text !== '5') {
    throw new Error(`first tools/call: ${call.r.status} ${call.r.text.slice(0, 200)}`);
  }
  return { initializeMs: init.ms, initializedMs: done.ms, callMs: call.ms };
}

/** The same on the template: its session opened, then the first `tools/call add` in it. */
async function templateFirstCalls(tpl, token) {
  const { sessionId, initializeMs, initializedMs } = await tpl.openSession(token);
  const call = await tpl.callAdd(token, sessionId, 2, 3);
  if (!call.ok) throw new Error(`template first tools/call: ${call.answer}`);
  return { initializeMs, initializedMs, callMs: call.ms };
}

/** The WorkOS requests that reached the front while `fn` ran: {result, browser, server, paths}. */
async function workosRequestsDuring(control, fn) {
  await control.clearRequests();
  const result = await fn();
  await new Promise((r) => setTimeout(r, 200)); // the front records a request when its connection closes
  const seen = await control.requests();
  // The browser's own visit to WorkOS is its sign-in (GET /user_management/authorize); the rest is the Worker's.
  const browser = seen.filter((q) => q.method === 'GET' && q.path === '/user_management/authorize');
  const server = seen.filter((q) => !browser.includes(q));
  return { result, browser: browser.length, server: server.length, paths: server.map((q) => `${q.method} ${q.path}`) };
}

/**
 * One authorization by hand, each HTTP hop timed, with the Worker's `Server-Timing` breakdown:
 * registration, /authorize → WorkOS → /callback → consent → code, then the token exchange.
 */
async function flowBreakdown(oauth) {
  const rows = [];
  const start = performance.now();
  const t0 = performance.now();
  const body = { client_name: `bench ${oauth.random(4)}`, redirect_uris: [oauth.DEFAULT_REDIRECT], token_endpoint_auth_method: 'none' };
  const registered = await oauth.register(body);
  rows.push({ step: 'POST /register', ms: performance.now() - t0, timing: registered.headers.get('server-timing') ?? '' });
  if (registered.status !== 201) throw new Error(`registration: ${registered.status} ${registered.text}`);
  const client = { ...registered.json, redirect_uri: oauth.DEFAULT_REDIRECT };
  const browser = new oauth.Browser();
  const fetchHop = browser.jar.fetch.bind(browser.jar);
  browser.jar.fetch = async (u, init = {}) => {
    const t = performance.now();
    const res = await fetchHop(u, init);
    const where = new URL(u);
    const who = where.origin === oauth.ORIGIN ? '' : 'WorkOS ';
    rows.push({ step: `${init.method ?? 'GET'} ${who}${where.pathname}`, ms: performance.now() - t, timing: res.headers.get('server-timing') ?? '' });
    return res;
  };
  const got = await oauth.obtainCode(browser, client);
  const t1 = performance.now();
  const tokens = await oauth.exchangeCode(got);
  rows.push({ step: 'POST /token', ms: performance.now() - t1, timing: tokens.headers.get('server-timing') ?? '' });
  if (tokens.status !== 200) throw new Error(`token exchange: ${tokens.status} ${tokens.text}`);
  return { rows, total: performance.now() - start };
}

/**
 * The storage operations the Worker reported over the hops of `rows` (its `Server-Timing`: `kv`
 * reads and writes, deletes counted as writes, from the Worker and from the grant's object, and
 * `grant-object` requests): {reads, writes, objectRequests}.
 */
function storageTotals(rows) {
  const totals = { reads: 0, writes: 0, objectRequests: 0 };
  for (const { timing } of rows) {
    for (const m of timing.matchAll(/kv;desc="reads=(\d+) writes=(\d+)"/g)) {
      totals.reads += Number(m[1]);
      totals.writes += Number(m[2]);
    }
    for (const m of timing.matchAll(/grant-object;desc="requests=(\d+)"/g)) totals.objectRequests += Number(m[1]);
  }
  return totals;
}

/** The first WARMUP requests on a fresh token, one after another. */
const WARMUP = 20;
async function benchSequentialWarmup(mcp, token) {
  const kv = kvStats();
  const times = [];
  let errors = 0;
  const t0 = performance.now();
  for (let i = 0; i < WARMUP; i++) {
    const start = performance.now();
    const r = await mcp.mcpPost(token, mcp.callTool('add', { a: 1, b: 1 }));
    times.push(performance.now() - start);
    kv.add(r.kvReads);
    if (r.status !== 200 || !r.json?.result) errors++;
  }
  const total = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  return {
    name: `POST /mcp first ${WARMUP} requests of a new token (sequential)`,
    requests: WARMUP, rps: WARMUP / total, p50: percentile(times, 50), p99: percentile(times, 99), kv, errors,
  };
}

/** The template's first WARMUP calls in a new session, one after another. */
async function benchTemplateWarmup(tpl, token, sessionId) {
  const times = [];
  let errors = 0;
  let firstBad;
  const t0 = performance.now();
  for (let i = 0; i < WARMUP; i++) {
    const call = await tpl.callAdd(token, sessionId, 1, i, i + 1);
    times.push(call.ms);
    if (!call.ok) { errors++; firstBad ??= call.answer; }
  }
  const total = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  return {
    name: `TS template: POST /mcp first ${WARMUP} requests of a new session (sequential)`,
    requests: WARMUP, rps: WARMUP / total, p50: percentile(times, 50), p99: percentile(times, 99), kv: null, errors, note: firstBad,
  };
}

/** One SSE session; sequential round trips: POST /sse/message → the response event on the stream. */
async function benchSse(mcp, token) {
  const session = await mcp.openSession(token);
  try {
    const init = mcp.initialize();
    await session.call(init);
    await session.post(mcp.notification('notifications/initialized'));
    const kv = kvStats();
    const times = [];
    let errors = 0;
    let firstBad;
    const t0 = performance.now();
    for (let i = 0; i < ROUND_TRIPS; i++) {
      const msg = mcp.callTool('add', { a: i, b: 1 });
      const start = performance.now();
      const posted = await session.post(msg);
      kv.add(posted.kvReads);
      if (posted.status !== 202) {
        errors++;
        firstBad ??= `POST → ${posted.status} ${posted.text.slice(0, 200)}`;
        continue;
      }
      const event = await session.stream.response(msg.id, { timeoutMs: 10000 });
      times.push(performance.now() - start);
      if (event.json?.result?.content?.[0]?.text !== String(i + 1)) {
        errors++;
        firstBad ??= `response ${event.data.slice(0, 200)}`;
      }
    }
    const total = (performance.now() - t0) / 1000;
    times.sort((a, b) => a - b);
    return {
      name: `SSE round trip tools/call add (1 session, sequential, ${ROUND_TRIPS}×)`,
      requests: times.length,
      rps: times.length / total,
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      kv,
      errors,
      note: firstBad,
    };
  } finally {
    await session.close();
  }
}

function printTable(rows) {
  const head = ['scenario', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'KV reads/req avg', 'KV max', 'errors'];
  const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');
  const body = rows.map((r) => [
    r.name, String(r.requests), fmt(r.rps), fmt(r.p50), fmt(r.p99),
    !r.kv ? '–' : r.kv.n ? fmt(r.kv.avg, 3) : 'no header', r.kv?.n ? String(r.kv.max) : '–', String(r.errors),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const b of body) console.log(line(b));
  for (const r of rows) {
    if (r.kv?.missing) console.log(`note: ${r.kv.missing} response(s) of "${r.name}" had no Server-Timing kv reads`);
    if (r.note) console.log(`note: first bad answer of "${r.name}": ${r.note}`);
  }
}

/** The commit measured (`-dirty`: with uncommitted changes in the work tree, which the build includes). */
function revision() {
  try {
    return `at ${execFileSync('git', ['describe', '--always', '--dirty'], { cwd: ROOT, encoding: 'utf8' }).trim()}`;
  } catch {
    return 'not in git';
  }
}

/** The last table: one row per measure, a column per Worker (`–` where it does not apply). */
function printSideBySide(rows) {
  const head = ['measure', 'this Worker', 'TS template', 'no-op', 'Rust no-op'];
  const body = rows.map((r) => head.map((_, i) => (r[i] === undefined || r[i] === null || r[i] === false ? '–' : String(r[i]))));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const b of body) console.log(line(b));
}

/** Deploy bundle and start-up profiles of the Worker configured by `config` (a temporary directory for the files). */
async function sizeAndStartup(config) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-startup-'));
  try {
    return await startupProfile({ config: typeof config === 'function' ? config(tmp) : config, dir: tmp, runs: STARTUP_RUNS });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function main() {
  let stack;
  let template;
  let templateLog;
  let templateState;
  let templateOptions;
  try {
    if (TEMPLATE) await ensureTemplateInstalled({ say });
    const started = await startBenchStack({ say });
    stack = started.stack;
    const { testEnv, mcp } = started;
    const { control, ALICE } = await import('../tests/e2e/helpers.mjs');
    say('signing in as Alice (OAuth through the emulator) for O/mcp and O/sse');
    const httpToken = (await mcp.accessToken(ALICE, '/mcp')).token;
    const sseToken = (await mcp.accessToken(ALICE, '/sse')).token;

    // Warm-up, measured on its own: the first requests instantiate the Wasm and the bearer check
    // reads the token's grant from KV (once per grant and minute per isolate).
    const warm = await benchSequentialWarmup(mcp, httpToken);

    mkdirSync(ARTIFACTS, { recursive: true });
    const noopLog = createWriteStream(path.join(ARTIFACTS, 'wrangler-noop.log'));
    const noop = await startNoop({ port: NOOP_PORT, log: (line) => noopLog.write(`${line}\n`) });
    let rustNoop;
    const ours = [];
    const floors = [];
    const rustFloors = [];
    try {
      say('the Rust no-op Worker (bench/noop-rs): its build, then wrangler dev');
      rustNoop = await startNoop({ port: RUST_NOOP_PORT, rust: true, log: (line) => noopLog.write(`rust: ${line}\n`) });
      const headers = { authorization: `Bearer ${httpToken}`, 'mcp-protocol-version': mcp.LATEST_PROTOCOL_VERSION };
      for (let round = 1; round <= ROUNDS; round++) {
        say(`Streamable HTTP, round ${round} of ${ROUNDS}: this Worker, the no-op Worker, the Rust no-op, ${CONNECTIONS} connections for ${DURATION_S} s each`);
        ours.push(await benchLoad({ url: `${mcp.ORIGIN}/mcp`, headers, name: 'POST /mcp tools/call add' }));
        floors.push(await benchLoad({ url: noop.url, headers, name: 'no-op Worker' }));
        rustFloors.push(await benchLoad({ url: rustNoop.url, headers, name: 'Rust no-op Worker' }));
      }
    } finally {
      await noop.stop();
      await rustNoop?.stop();
      noopLog.end();
    }
    const http = combineRounds(ours, 'POST /mcp tools/call add');
    const floor = combineRounds(floors, 'no-op Worker, the same load');
    const rustFloor = combineRounds(rustFloors, 'Rust no-op Worker, the same load');
    say(`legacy SSE: ${ROUND_TRIPS} round trips on one session`);
    const sse = await benchSse(mcp, sseToken);

    let tpl;
    let tplWarm;
    let tplHttp;
    if (TEMPLATE) {
      say(`the TS template (bench/template): wrangler dev on 127.0.0.1:${TEMPLATE_PORT}, against the same WorkOS emulator`);
      const workos = new URL(testEnv.WORKOS_URL);
      const { CLIENT_ID } = await import('../dev/emulator.mjs');
      templateState = mkdtempSync(path.join(os.tmpdir(), 'bench-template-'));
      templateLog = createWriteStream(path.join(ARTIFACTS, 'wrangler-template.log'));
      templateOptions = {
        port: TEMPLATE_PORT,
        persistTo: templateState,
        log: (line) => templateLog.write(`${line}\n`),
        vars: {
          WORKOS_CLIENT_ID: CLIENT_ID,
          WORKOS_CLIENT_SECRET: 'sk_test_default', // the emulator's API key (the stack gives our Worker the same)
          WORKOS_API_HOSTNAME: workos.hostname,
          WORKOS_API_PORT: workos.port,
          WORKOS_API_HTTPS: 'false',
          COOKIE_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
        },
      };
      template = await startTemplate(templateOptions);
      tpl = await templateClient({ origin: template.url, protocolVersion: mcp.LATEST_PROTOCOL_VERSION });
      say('TS template: signing in as Alice (the SDK\'s auth()), one MCP session, the same load in it');
      const { token } = await tpl.accessToken(ALICE);
      const { sessionId } = await tpl.openSession(token);
      tplWarm = await benchTemplateWarmup(tpl, token, sessionId);
      tplHttp = await benchLoad({
        url: `${template.url}/mcp`,
        headers: { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': mcp.LATEST_PROTOCOL_VERSION },
        name: 'TS template: POST /mcp tools/call add, one session',
      });
    }

    say(`OAuth: ${FLOWS} full flows on each side, in turn (each followed by the new token's first calls), `
      + `then ${BY_HAND} by hand on each side with each hop's breakdown`);
    const flowSides = [
      {
        flow: async () => (await mcp.accessToken(ALICE, '/mcp')).token,
        firstCalls: (token) => ourFirstCalls(mcp, token),
        port: Number(new URL(testEnv.WORKER_URL).port),
      },
      ...(TEMPLATE ? [{
        flow: async () => (await tpl.accessToken(ALICE)).token, firstCalls: (token) => templateFirstCalls(tpl, token), port: TEMPLATE_PORT,
      }] : []),
    ];
    const [flows, tplFlows] = await benchFlowsInTurn(flowSides);
    const [breakdown, tplBreakdown] = await byHandInTurn(control, [
      () => flowBreakdown(started.oauth),
      ...(TEMPLATE ? [() => tpl.authorizeByHand()] : []),
    ]);
    // The same flows with both Workers on wrangler's dev engine without its DevTools inspector
    // (dev/wrangler-dev-no-inspector.mjs): under `wrangler dev` each subrequest (a WorkOS call,
    // a Durable Object request) also costs wrangler's processes the relay of its DevTools
    // events, which production does not have (bench/storage's `fetch` and object rows).
    say(`OAuth: the ${FLOWS} flows on each side again, both Workers without wrangler's DevTools inspector`);
    await stack.restartWorker({ inspector: false });
    if (TEMPLATE) {
      await template.stop();
      template = await startTemplate({ ...templateOptions, inspector: false });
    }
    const [quietFlows, quietTplFlows] = await benchFlowsInTurn(flowSides);
    // And once more with the same work on both sides: this Worker sends each sign-in to WorkOS's
    // audit log (after the answer), which the template does not do, and here WorkOS's stand-in
    // shares the machine; AUDIT_SIGN_INS=off leaves the event out.
    say(`OAuth: the ${FLOWS} flows on each side again without the inspector, this Worker with AUDIT_SIGN_INS=off`);
    await stack.restartWorker({ inspector: false, env: { AUDIT_SIGN_INS: 'off' } });
    const [unauditedFlows, unauditedTplFlows] = await benchFlowsInTurn(flowSides);
    if (TEMPLATE) {
      await template.stop();
      template = null;
    }
    say('what one local KV or Durable Object operation, or outbound request, costs (bench/storage), with and without the inspector');
    const storageLog = createWriteStream(path.join(ARTIFACTS, 'wrangler-storage.log'));
    const storageRun = async (inspector) => {
      const storageState = mkdtempSync(path.join(os.tmpdir(), 'bench-storage-'));
      return storageCosts({ port: STORAGE_PORT, persistTo: storageState, inspector, log: (line) => storageLog.write(`${line}\n`) })
        .finally(() => rmSync(storageState, { recursive: true, force: true }));
    };
    const storage = await storageRun(true);
    const quietStorage = await storageRun(false);

    say(`size and start-up (${STARTUP_RUNS} profiles of each Worker)`);
    const wasm = readFileSync(path.join(ROOT, 'build/index_bg.wasm'));
    const { writePrebuiltConfig } = await import('../tests/e2e/stack.mjs');
    const startup = await sizeAndStartup(writePrebuiltConfig);
    const tplStartup = TEMPLATE ? await sizeAndStartup(path.join(ROOT, 'bench/template/wrangler.toml')) : null;
    const noopStartup = await sizeAndStartup(path.join(ROOT, 'bench/noop/wrangler.toml'));
    const rustNoopStartup = await sizeAndStartup(path.join(ROOT, 'bench/noop-rs/wrangler.toml'));

    console.log('');
    console.log(`MCP benchmark — ${new Date().toISOString().slice(0, 10)}, ${revision()}, node ${process.version}, `
      + `${os.cpus().length}× ${os.cpus()[0]?.model?.trim() ?? 'cpu'}, wrangler dev (local workerd) on ${testEnv.WORKER_URL}`
      + (TEMPLATE ? `, the TS template on ${tpl.origin}` : ''));
    printTable([warm, http, floor, rustFloor, sse, ...(TEMPLATE ? [tplWarm, tplHttp] : [])]);
    const pct = (a, b) => `${((100 * a) / b).toFixed(0)}%`;
    const ms = (x) => (Number.isFinite(x) ? x.toFixed(0) : '–');
    const ms1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');
    const cpuMs = (r, ...keys) => (r?.cpu ? keys.map((k) => r.cpu[k].toFixed(3)).join(' + ') : '–');
    console.log('');
    console.log(`hot path: ${pct(http.rps, floor.rps)} of the no-op Worker's throughput; p99 ${(http.p99 / floor.p99).toFixed(2)}× its p99 `
      + `(medians of ${ROUNDS} rounds each; req/s by round: this Worker ${http.each.join(', ')}, the no-op ${floor.each.join(', ')})`);
    console.log(`hot path against the Rust no-op (a worker-rs Worker's floor): this Worker ${pct(http.rps, rustFloor.rps)} of its throughput; `
      + `the Rust no-op ${pct(rustFloor.rps, floor.rps)} of the no-op's (req/s by round: ${rustFloor.each.join(', ')})`);
    if (http.cpu && floor.cpu && rustFloor.cpu) {
      const three = (k) => `${http.cpu[k].toFixed(3)} / ${floor.cpu[k].toFixed(3)} / ${rustFloor.cpu[k].toFixed(3)} ms`;
      console.log(`hot path CPU per call (medians), this Worker / the no-op / the Rust no-op: the Worker's workerd ${three('runtime')}; `
        + `wrangler's dev proxy ${three('proxy')} and wrangler ${three('wrangler')}, which share the cores`);
    }
    console.log(`OAuth flow (discovery → token, sign-in included): median ${median(flows.times).toFixed(0)} ms, fastest ${Math.min(...flows.times).toFixed(0)} ms (${FLOWS} flows)`);
    console.log(`OAuth flow without wrangler's DevTools inspector: median ${median(quietFlows.times).toFixed(0)} ms, fastest ${Math.min(...quietFlows.times).toFixed(0)} ms`
      + (TEMPLATE ? `; the TS template's ${median(quietTplFlows.times).toFixed(0)} / ${Math.min(...quietTplFlows.times).toFixed(0)} ms` : ''));
    console.log(`OAuth flow without the inspector, and without the sign-in's audit event (AUDIT_SIGN_INS=off; the template sends none): median ${median(unauditedFlows.times).toFixed(0)} ms, fastest ${Math.min(...unauditedFlows.times).toFixed(0)} ms`
      + (TEMPLATE ? `; the TS template's ${median(unauditedTplFlows.times).toFixed(0)} / ${Math.min(...unauditedTplFlows.times).toFixed(0)} ms` : ''));
    console.log(`one authorization by hand (registration → code → token; the median of ${BY_HAND}), ${breakdown.result.total.toFixed(0)} ms, each hop and its Server-Timing:`);
    for (const r of breakdown.result.rows) console.log(`  ${r.step.padEnd(44)} ${r.ms.toFixed(1).padStart(7)} ms  ${r.timing}`);
    console.log(`  WorkOS requests: ${breakdown.server} by the Worker (${breakdown.paths.join(', ')}), ${breakdown.browser} by the browser (sign-in)`);
    const ops = storageTotals(breakdown.result.rows);
    console.log(`  storage, as the Worker's Server-Timing reports it: KV reads ${ops.reads}, KV writes ${ops.writes} (deletes included), `
      + `requests to grants' Durable Objects ${ops.objectRequests} (what the object does at POST /authorize is not reported)`);
    for (const [costs, how] of [[storage, 'under wrangler dev'], [quietStorage, 'without wrangler\'s DevTools inspector']]) {
      if (!costs) continue;
      const op = (k) => `${costs[k].runtime.toFixed(2)} + ${costs[k].proxy.toFixed(2)} + ${costs[k].wrangler.toFixed(2)}`;
      console.log(`local storage ${how} (bench/storage), CPU per operation, the runtime's workerd + wrangler's proxy + wrangler, ms: `
        + `KV get ${op('kv-get')}, put ${op('kv-put')}, delete ${op('kv-delete')}; a Durable Object's first request ${op('do-new')}, `
        + `a request to a live object ${op('do-live')}, with a storage put ${op('do-put')}, with an alarm set ${op('do-alarm')}; `
        + `an outbound request ${op('fetch')}`);
    }
    console.log(`Wasm: ${wasm.length} bytes, ${gzipSync(wasm, { level: 9 }).length} gzip; deploy bundle: `
      + (startup.upload ? `${startup.upload.kib} KiB, gzip ${startup.upload.gzipKib} KiB` : 'not reported by wrangler'));
    console.log(`start-up (${STARTUP_RUNS} profiles): busy median ${median(startup.runs.map((r) => r.busyMs)).toFixed(1)} ms, `
      + `span median ${median(startup.runs.map((r) => r.spanMs)).toFixed(1)} ms `
      + `(busy ${startup.runs.map((r) => r.busyMs.toFixed(1)).join(', ')}; samples per profile ${startup.runs.map((r) => r.samples).join(', ')})`);
    if (TEMPLATE) {
      console.log(`TS template, one authorization by hand (the median of ${BY_HAND}), ${tplBreakdown.result.total.toFixed(0)} ms, each hop:`);
      for (const r of tplBreakdown.result.rows) console.log(`  ${r.step.padEnd(44)} ${r.ms.toFixed(1).padStart(7)} ms`);
      console.log(`  WorkOS requests: ${tplBreakdown.server} by the Worker (${tplBreakdown.paths.join(', ')}), ${tplBreakdown.browser} by the browser (sign-in)`);
      console.log(`TS template start-up (${STARTUP_RUNS} profiles): busy ${tplStartup.runs.map((r) => r.busyMs.toFixed(1)).join(', ')} ms `
        + `(samples per profile ${tplStartup.runs.map((r) => r.samples).join(', ')})`);
    }

    const T = TEMPLATE;
    const firstOf = (f, key) => median(f.first.map((x) => x[key]));
    const firstTotal = (f) => median(f.first.map((x) => x.initializeMs + x.initializedMs + x.callMs));
    const size = (p) => (p?.upload ? `${p.upload.kib} / ${p.upload.gzipKib}` : undefined);
    const busy = (p) => (p ? ms1(median(p.runs.map((r) => r.busyMs))) : undefined);
    const span = (p) => (p ? ms1(median(p.runs.map((r) => r.spanMs))) : undefined);
    const hot = `tools/call add, ${CONNECTIONS} conn`;
    const byHandRequests = (b) => b.result.rows.length;
    const flowCpu = (f) => (f.cpu ? `${ms1(f.cpu.runtime)} / ${ms1(f.cpu.proxy)} / ${ms1(f.cpu.wrangler)}` : 'not read');
    console.log('');
    printSideBySide([
      [`${hot}: req/s`, ms(http.rps), T && ms(tplHttp.rps), ms(floor.rps), ms(rustFloor.rps)],
      [`${hot}: p50 / p99 ms`, `${http.p50} / ${http.p99}`, T && `${tplHttp.p50} / ${tplHttp.p99}`, `${floor.p50} / ${floor.p99}`, `${rustFloor.p50} / ${rustFloor.p99}`],
      [`${hot}: responses (bad)`, `${http.requests} (${http.errors})`, T && `${tplHttp.requests} (${tplHttp.errors})`, `${floor.requests} (${floor.errors})`,
        `${rustFloor.requests} (${rustFloor.errors})`],
      [`${hot}: throughput, share of the no-op`, pct(http.rps, floor.rps), T && pct(tplHttp.rps, floor.rps), '100%', pct(rustFloor.rps, floor.rps)],
      [`${hot}: throughput, share of the Rust no-op`, pct(http.rps, rustFloor.rps), T && pct(tplHttp.rps, rustFloor.rps), pct(floor.rps, rustFloor.rps), '100%'],
      [`${hot}: CPU per call, the Worker's workerd, ms`, cpuMs(http, 'runtime'), T && cpuMs(tplHttp, 'runtime'), cpuMs(floor, 'runtime'), cpuMs(rustFloor, 'runtime')],
      [`${hot}: CPU per call, wrangler's proxy + wrangler, ms`, cpuMs(http, 'proxy', 'wrangler'), T && cpuMs(tplHttp, 'proxy', 'wrangler'), cpuMs(floor, 'proxy', 'wrangler'),
        cpuMs(rustFloor, 'proxy', 'wrangler')],
      [`first ${WARMUP} calls of a new token, sequential: p50 ms`, ms1(warm.p50), T && ms1(tplWarm.p50)],
      [`new token: initialize, median ms (${FLOWS})`, ms1(firstOf(flows, 'initializeMs')), T && ms1(firstOf(tplFlows, 'initializeMs'))],
      [`new token: notifications/initialized, median ms`, ms1(firstOf(flows, 'initializedMs')), T && ms1(firstOf(tplFlows, 'initializedMs'))],
      [`new token: first tools/call, median ms`, ms1(firstOf(flows, 'callMs')), T && ms1(firstOf(tplFlows, 'callMs'))],
      [`new token: initialize → first result, median ms`, ms1(firstTotal(flows)), T && ms1(firstTotal(tplFlows))],
      [`OAuth flow, SDK auth() + sign-in: median / fastest ms (${FLOWS})`, `${ms(median(flows.times))} / ${ms(Math.min(...flows.times))}`,
        T && `${ms(median(tplFlows.times))} / ${ms(Math.min(...tplFlows.times))}`],
      ['OAuth flow: CPU per flow, the Worker\'s workerd / wrangler\'s proxy / wrangler, ms', flowCpu(flows), T && flowCpu(tplFlows)],
      [`OAuth flow, no DevTools inspector: median / fastest ms (${FLOWS})`, `${ms(median(quietFlows.times))} / ${ms(Math.min(...quietFlows.times))}`,
        T && `${ms(median(quietTplFlows.times))} / ${ms(Math.min(...quietTplFlows.times))}`],
      ['OAuth flow, no DevTools inspector: CPU per flow, the same three, ms', flowCpu(quietFlows), T && flowCpu(quietTplFlows)],
      [`OAuth flow, no inspector, AUDIT_SIGN_INS=off: median / fastest ms (${FLOWS})`, `${ms(median(unauditedFlows.times))} / ${ms(Math.min(...unauditedFlows.times))}`,
        T && `${ms(median(unauditedTplFlows.times))} / ${ms(Math.min(...unauditedTplFlows.times))}`],
      [`one authorization by hand: ms (median of ${BY_HAND})`, ms(breakdown.result.total), T && ms(tplBreakdown.result.total)],
      ['one authorization by hand: HTTP requests (browser hops)', `${byHandRequests(breakdown)} (${byHandRequests(breakdown) - 2})`,
        T && `${byHandRequests(tplBreakdown)} (${tplBreakdown.result.browserHops})`],
      ['one authorization by hand: WorkOS calls by the Worker', breakdown.server, T && tplBreakdown.server],
      ['deploy bundle (wrangler --dry-run): KiB / gzip KiB', size(startup), T && size(tplStartup), size(noopStartup), size(rustNoopStartup)],
      [`start-up (wrangler check startup): busy median ms (${STARTUP_RUNS})`, busy(startup), T && busy(tplStartup), busy(noopStartup), busy(rustNoopStartup)],
      ['start-up: span median ms', span(startup), T && span(tplStartup), span(noopStartup), span(rustNoopStartup)],
    ]);
    console.log(`(tools/call add: this Worker and the two no-ops, medians of ${ROUNDS} rounds of ${DURATION_S} s taken in turn; `
      + `the TS template, one round of ${DURATION_S} s. OAuth flows: the two sides in turn.)`);
    return 0;
  } catch (err) {
    console.error(`bench: ${err.stack ?? err.message}`);
    return 1;
  } finally {
    await template?.stop();
    templateLog?.end();
    if (templateState) rmSync(templateState, { recursive: true, force: true });
    await stack?.stop();
  }
}

process.exit(await main());
