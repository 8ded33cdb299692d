#!/usr/bin/env node
// Benchmark of the MCP endpoints against local `wrangler dev` — not a test: nothing is asserted
// and the test command does not run it.
//
//   node bench/mcp.mjs [--duration 10] [--connections 16] [--round-trips 300] [--flows 5] [--startup-runs 5]
//
//   --duration N      seconds of Streamable HTTP load, for this Worker and for the no-op (default 10)
//   --connections N   concurrent connections for it (default 16)
//   --round-trips N   legacy-SSE round trips (default 300)
//   --flows N         full OAuth flows timed, discovery → token with sign-in (default 5)
//   --startup-runs N  start-up profiles (`wrangler check startup`) taken (default 5)
//
// What it does:
// 1. starts the same stack as `node tests/e2e/run.mjs` (tests/e2e/stack.mjs: the WorkOS emulator
//    and front on 4100/4101, the Worker under `wrangler dev` on 127.0.0.1:8788 with fresh local
//    KV) — so nothing else may hold those ports; logs go to target/bench-artifacts/;
// 2. obtains access tokens for Alice through the real OAuth flow (the SDK's `auth()` with the
//    cookie-jar browser from tests/e2e/oauth-helpers.mjs): one for O/mcp, one for O/sse;
// 3. Streamable HTTP: 20 sequential warm-up requests (the first reads the grant from KV), then
//    autocannon (programmatic) sends authenticated `tools/call add` to POST /mcp
//    for --duration seconds over --connections connections, every response checked (200 + result);
// 4. legacy SSE: opens one session (GET /sse), then, one after another, POSTs `tools/call add` to
//    /sse/message and times until its response event arrives on the stream;
// 5. prints requests/s, p50/p99 latency and KV reads per request (from the Worker's
//    `Server-Timing: kv;desc="reads=N"` header: average and max) as a compact table;
// 6. the same load against a no-op Worker (bench/noop: reads the body, answers a fixed result)
//    under `wrangler dev` on 127.0.0.1:8796, and this Worker's throughput and p99 as a fraction of it;
// 7. the full OAuth flow (discovery → registration → sign-in at the emulator → consent → token)
//    --flows times: median and fastest;
// 8. size: the Wasm (raw, gzip -9) and the deploy bundle (`wrangler deploy --dry-run`: upload and
//    gzip), and start-up (`wrangler check startup`, --startup-runs times: median busy ms and span).
// Figures are for this machine and `wrangler dev` (workerd, local KV, the release
// build that scripts/build.sh makes); they compare runs on one machine, they do not predict production.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync, createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { median, percentile, startBenchStack, startNoop, startupProfile } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
    'round-trips': { type: 'string', default: '300' },
    flows: { type: 'string', default: '5' },
    'startup-runs': { type: 'string', default: '5' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log('usage: node bench/mcp.mjs [--duration 10] [--connections 16] [--round-trips 300] [--flows 5] [--startup-runs 5]');
  process.exit(0);
}
const DURATION_S = Number(opts.duration);
const CONNECTIONS = Number(opts.connections);
const ROUND_TRIPS = Number(opts['round-trips']);
const FLOWS = Number(opts.flows);
const STARTUP_RUNS = Number(opts['startup-runs']);
for (const [name, v] of [['duration', DURATION_S], ['connections', CONNECTIONS], ['round-trips', ROUND_TRIPS],
  ['flows', FLOWS], ['startup-runs', STARTUP_RUNS]]) {
  if (!Number.isInteger(v) || v < 1) { console.error(`--${name} must be a positive integer`); process.exit(2); }
}

const say = (line) => console.log(`bench: ${line}`);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const ARTIFACTS = path.join(ROOT, 'target/bench-artifacts');
const NOOP_PORT = 8796;


const readsOf = (value) => {
  const m = String(value ?? '').match(/kv\s*;[^,]*desc="?reads=(\d+)/);
  return m ? Number(m[1]) : undefined;
};

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

/** POST /mcp `tools/call add` under autocannon; each response's status, body and Server-Timing checked. */
async function benchStreamable(mcp, token) {
  const kv = kvStats();
  let bad = 0;
  let firstBad;
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } } });
  const result = await autocannon({
    url: `${mcp.ORIGIN}/mcp`,
    connections: CONNECTIONS,
    duration: DURATION_S,
    requests: [{
      method: 'POST',
      path: '/mcp',
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
        'mcp-protocol-version': mcp.LATEST_PROTOCOL_VERSION,
      },
      body,
      onResponse: (status, resBody, _ctx, headers) => {
        const timing = Object.entries(headers).find(([k]) => k.toLowerCase() === 'server-timing')?.[1];
        kv.add(readsOf(timing));
        if (status !== 200 || !resBody.includes('"result"') || !resBody.includes('"text":"5"')) {
          bad++;
          firstBad ??= `${status} ${resBody.slice(0, 200)}`;
        }
      },
    }],
  });
  return {
    name: `POST /mcp tools/call add (autocannon, ${CONNECTIONS} conn, ${DURATION_S} s)`,
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    kv,
    errors: result.errors + result.timeouts + result.non2xx + bad,
    note: firstBad,
  };
}

/** The same load against the no-op Worker; every answer checked. */
async function benchNoop(url) {
  let bad = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    requests: [{
      method: 'POST',
      headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } } }),
      onResponse: (status, resBody) => { if (status !== 200 || !resBody.includes('"text":"5"')) bad++; },
    }],
  });
  return {
    name: `no-op Worker, the same load (${CONNECTIONS} conn, ${DURATION_S} s)`,
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    kv: kvStats(),
    errors: result.errors + result.timeouts + result.non2xx + bad,
  };
}

/** FLOWS complete OAuth flows for new clients (each: discovery, DCR, sign-in, consent, token). */
async function benchFlows(mcp) {
  const times = [];
  for (let i = 0; i < FLOWS; i++) {
    const start = performance.now();
    const { token } = await mcp.accessToken('alice@example.com', '/mcp');
    if (!token) throw new Error('a flow ended without a token');
    times.push(performance.now() - start);
  }
  return times;
}

/**
 * One authorization by hand, each HTTP hop timed, with the Worker's `Server-Timing` breakdown:
 * registration, /authorize → WorkOS → /callback → consent → code, then the token exchange.
 */
async function flowBreakdown(oauth) {
  const rows = [];
  const start = performance.now();
  const t0 = performance.now();
  const client = await oauth.registerClient();
  rows.push({ step: 'POST /register', ms: performance.now() - t0, timing: '' });
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
    r.kv.n ? fmt(r.kv.avg, 3) : 'no header', r.kv.n ? String(r.kv.max) : '–', String(r.errors),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const b of body) console.log(line(b));
  for (const r of rows) {
    if (r.kv.missing) console.log(`note: ${r.kv.missing} response(s) of "${r.name}" had no Server-Timing kv reads`);
    if (r.note) console.log(`note: first bad answer of "${r.name}": ${r.note}`);
  }
}

async function main() {
  let stack;
  try {
    const started = await startBenchStack({ say });
    stack = started.stack;
    const { testEnv, mcp } = started;
    say('signing in as Alice (OAuth through the emulator) for O/mcp and O/sse');
    const httpToken = (await mcp.accessToken('alice@example.com', '/mcp')).token;
    const sseToken = (await mcp.accessToken('alice@example.com', '/sse')).token;

    // Warm-up, measured on its own: the first requests instantiate the Wasm and the bearer check
    // reads the token's grant from KV (once per grant and minute per isolate).
    const warm = await benchSequentialWarmup(mcp, httpToken);

    say(`Streamable HTTP: ${CONNECTIONS} connections for ${DURATION_S} s`);
    const http = await benchStreamable(mcp, httpToken);
    say(`legacy SSE: ${ROUND_TRIPS} round trips on one session`);
    const sse = await benchSse(mcp, sseToken);

    say('the no-op Worker: the same load');
    mkdirSync(ARTIFACTS, { recursive: true });
    const noopLog = createWriteStream(path.join(ARTIFACTS, 'wrangler-noop.log'));
    const noop = await startNoop({ port: NOOP_PORT, log: (line) => noopLog.write(`${line}\n`) });
    let floor;
    try {
      floor = await benchNoop(noop.url);
    } finally {
      await noop.stop();
      noopLog.end();
    }

    say(`OAuth: ${FLOWS} full flows, then one by hand with each hop's breakdown`);
    const flows = await benchFlows(mcp);
    const breakdown = await flowBreakdown(started.oauth);

    say(`size and start-up (${STARTUP_RUNS} profiles)`);
    const wasm = readFileSync(path.join(ROOT, 'build/index_bg.wasm'));
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-startup-'));
    let startup;
    try {
      const { writePrebuiltConfig } = await import('../tests/e2e/stack.mjs');
      startup = await startupProfile({ config: writePrebuiltConfig(tmp), dir: tmp, runs: STARTUP_RUNS });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }

    console.log('');
    console.log(`MCP benchmark — ${new Date().toISOString().slice(0, 10)}, node ${process.version}, `
      + `${os.cpus().length}× ${os.cpus()[0]?.model?.trim() ?? 'cpu'}, wrangler dev (local workerd) on ${testEnv.WORKER_URL}`);
    printTable([warm, http, floor, sse]);
    const pct = (a, b) => `${((100 * a) / b).toFixed(0)}%`;
    console.log('');
    console.log(`hot path: ${pct(http.rps, floor.rps)} of the no-op Worker's throughput; p99 ${(http.p99 / floor.p99).toFixed(2)}× its p99`);
    console.log(`OAuth flow (discovery → token, sign-in included): median ${median(flows).toFixed(0)} ms, fastest ${Math.min(...flows).toFixed(0)} ms (${FLOWS} flows)`);
    console.log(`one authorization by hand (registration → code → token), ${breakdown.total.toFixed(0)} ms, each hop and its Server-Timing:`);
    for (const r of breakdown.rows) console.log(`  ${r.step.padEnd(44)} ${r.ms.toFixed(1).padStart(7)} ms  ${r.timing}`);
    console.log(`Wasm: ${wasm.length} bytes, ${gzipSync(wasm, { level: 9 }).length} gzip; deploy bundle: `
      + (startup.upload ? `${startup.upload.kib} KiB, gzip ${startup.upload.gzipKib} KiB` : 'not reported by wrangler'));
    console.log(`start-up (${STARTUP_RUNS} profiles): busy median ${median(startup.runs.map((r) => r.busyMs)).toFixed(1)} ms, `
      + `span median ${median(startup.runs.map((r) => r.spanMs)).toFixed(1)} ms `
      + `(busy ${startup.runs.map((r) => r.busyMs.toFixed(1)).join(', ')})`);
    return 0;
  } catch (err) {
    console.error(`bench: ${err.stack ?? err.message}`);
    return 1;
  } finally {
    await stack?.stop();
  }
}

process.exit(await main());
