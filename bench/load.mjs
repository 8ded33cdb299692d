#!/usr/bin/env node
// Load benchmarks against local `wrangler dev` (workerd) — not a test: nothing is asserted and
// the test command does not run it. Figures are for this machine; docs/performance.md ("Load") records them.
//
//   node bench/load.mjs [--scenario all|sse|rate|max|refresh] [--minutes 5]
//                       [--sessions 1000] [--rate 500] [--clients 50]
//
//   sse      --sessions SSE sessions (GET /sse) opened and held for --minutes, keepalives
//            counted, one tools/call per session per minute (POST /sse/message → its event);
//   rate     authenticated tools/call on POST /mcp at a fixed --rate requests/s for --minutes
//            (autocannon overallRate), p50/p99 and errors;
//   max      the same, unthrottled, 8 connections for 20 s: the most this machine serves;
//   refresh  --clients OAuth clients (each its own grant) refreshing in a loop for 30 s (waiting
//            as Retry-After says on 503), then --clients concurrent refreshes of ONE refresh
//            token: how many were accepted, and how many of the issued tokens still refresh.
// Every scenario reports workerd's memory (RSS of the workerd processes) before and after.
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { percentile, startBenchStack } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'all' },
    minutes: { type: 'string', default: '5' },
    sessions: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '500' },
    clients: { type: 'string', default: '50' },
    'log-workos': { type: 'boolean', default: false },
  },
});
const MINUTES = Number(opts.minutes);
const say = (line) => console.log(`load: ${new Date().toISOString().slice(11, 19)} ${line}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resident memory of all workerd processes, in MB. */
function workerdMemoryMb() {
  const out = execFileSync('ps', ['-eo', 'rss=,comm='], { encoding: 'utf8' });
  const kb = out.split('\n').filter((l) => /workerd/.test(l)).reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[0] || 0), 0);
  return Math.round(kb / 1024);
}

async function sseScenario(h, token) {
  const n = Number(opts.sessions);
  const memStart = workerdMemoryMb();
  say(`sse: opening ${n} sessions`);
  const sessions = [];
  let openErrors = 0;
  let firstOpenError;
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(50, n - i) }, () => h.openSession(token)));
    for (const b of batch) {
      if (b.status === 'fulfilled') sessions.push(b.value);
      else { openErrors++; firstOpenError ??= String(b.reason?.message ?? b.reason).slice(0, 200); }
    }
  }
  const memOpen = workerdMemoryMb();
  say(`sse: ${sessions.length} open (${openErrors} failed), workerd ${memOpen} MB; holding ${MINUTES} min`);
  const times = [];
  let callErrors = 0;
  let firstCallError;
  const keepalivesBefore = sessions.reduce((s, x) => s + (x.stream.comments?.length ?? 0), 0);
  for (let minute = 0; minute < MINUTES; minute++) {
    const started = Date.now();
    // One tools/call per session, spread over the minute's first 30 s.
    await Promise.all(sessions.map(async (s, i) => {
      await sleep((i / sessions.length) * 30000);
      const msg = h.callTool('add', { a: i, b: minute });
      const t0 = performance.now();
      try {
        const posted = await s.post(msg);
        if (posted.status !== 202) throw new Error(`POST → ${posted.status}`);
        const ev = await s.stream.response(msg.id, { timeoutMs: 30000 });
        if (ev.json?.result?.content?.[0]?.text !== String(i + minute)) throw new Error(`wrong answer ${ev.data.slice(0, 80)}`);
        times.push(performance.now() - t0);
      } catch (e) {
        callErrors++;
        firstCallError ??= String(e.message).slice(0, 200);
      }
    }));
    say(`sse: minute ${minute + 1}: ${times.length} calls ok, ${callErrors} errors, workerd ${workerdMemoryMb()} MB`);
    await sleep(Math.max(0, 60000 - (Date.now() - started)));
  }
  const alive = sessions.filter((s) => !s.stream.ended).length;
  const keepalives = sessions.reduce((s, x) => s + (x.stream.comments?.length ?? 0), 0) - keepalivesBefore;
  const memEnd = workerdMemoryMb();
  await Promise.allSettled(sessions.map((s) => s.close()));
  times.sort((a, b) => a - b);
  return {
    scenario: `${n} SSE sessions held ${MINUTES} min, 1 tools/call/session/min`,
    figures: { opened: sessions.length, openErrors, stillOpenAtEnd: alive, keepaliveComments: keepalives, calls: times.length,
      callErrors, callP50ms: percentile(times, 50)?.toFixed(1), callP99ms: percentile(times, 99)?.toFixed(1),
      workerdMbStart: memStart, workerdMbOpen: memOpen, workerdMbEnd: memEnd },
    notes: [firstOpenError, firstCallError].filter(Boolean),
  };
}

async function cannon(h, token, { rate, seconds, connections }) {
  let bad = 0;
  let firstBad;
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } } });
  const memStart = workerdMemoryMb();
  const result = await autocannon({
    url: `${h.ORIGIN}/mcp`,
    connections,
    duration: seconds,
    ...(rate ? { overallRate: rate } : {}),
    requests: [{
      method: 'POST', path: '/mcp', body,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
      onResponse: (status, resBody) => {
        if (status !== 200 || !resBody.includes('"text":"5"')) { bad++; firstBad ??= `${status} ${resBody.slice(0, 160)}`; }
      },
    }],
  });
  return {
    figures: { requests: result.requests.total, reqPerSec: result.requests.average, p50ms: result.latency.p50, p99ms: result.latency.p99,
      maxMs: result.latency.max, errors: result.errors + result.timeouts + bad, non2xx: result.non2xx,
      workerdMbStart: memStart, workerdMbEnd: workerdMemoryMb() },
    notes: [firstBad].filter(Boolean),
  };
}

async function refreshScenario(oauth) {
  const n = Number(opts.clients);
  say(`refresh: authorizing ${n} clients (each its own grant)`);
  const grants = [];
  for (let i = 0; i < n; i++) grants.push(await oauth.clientWithTokens(new oauth.Browser({ loginHint: 'alice@example.com' })));
  const statuses = {};
  const count = (r) => { const k = `${r.status} ${r.json?.error ?? ''}`.trim(); statuses[k] = (statuses[k] ?? 0) + 1; };
  const times = [];
  const until = Date.now() + 30000;
  say(`refresh: ${n} clients refreshing in a loop for 30 s`);
  await Promise.all(grants.map(async (g, i) => {
    let rt = g.tokens.refresh_token;
    // Each client from its own address, as real clients are (the Worker limits /token per address).
    const headers = { 'cf-connecting-ip': `198.51.100.${i % 250}` };
    while (Date.now() < until) {
      const t0 = performance.now();
      const r = await oauth.tokenRequest({ grant_type: 'refresh_token', refresh_token: rt, client_id: g.client.client_id }, { headers });
      times.push(performance.now() - t0);
      count(r);
      if (r.status === 200) rt = r.json.refresh_token;
      // A well-behaved client waits as told (WorkOS's rate limit shows through as 503 + Retry-After).
      else if (r.status === 503) await sleep(Math.min(10, Number(r.headers.get('retry-after')) || 1) * 1000);
    }
    g.latest = rt;
  }));
  times.sort((a, b) => a - b);
  // Let WorkOS's per-minute rate limit (1,000 requests in the emulator) reset first.
  say('refresh: waiting 61 s for the WorkOS rate-limit window');
  await sleep(61000);
  say(`refresh: ${n} concurrent refreshes of one refresh token`);
  const target = grants[0];
  const race = await Promise.all(Array.from({ length: n }, () => oauth.refreshToken(target.client.client_id, target.latest)));
  const raceStatuses = {};
  for (const r of race) { const k = `${r.status} ${r.json?.error ?? ''}`.trim(); raceStatuses[k] = (raceStatuses[k] ?? 0) + 1; }
  const winners = race.filter((r) => r.status === 200).map((r) => r.json.refresh_token);
  // Which of the issued tokens still refresh afterwards (only one chain may live on).
  let live = 0;
  for (const rt of winners) if ((await oauth.refreshToken(target.client.client_id, rt)).status === 200) live++;
  return {
    scenario: `/token refresh: ${n} clients looping 30 s, then ${n} concurrent uses of one refresh token`,
    figures: { loopRefreshes: times.length, loopStatuses: statuses, loopP50ms: percentile(times, 50)?.toFixed(1),
      loopP99ms: percentile(times, 99)?.toFixed(1), raceStatuses, raceAccepted: winners.length, issuedTokensThatStillRefresh: live },
    notes: [],
  };
}

async function main() {
  let stack;
  try {
    const started = await startBenchStack({ say, logRequests: opts['log-workos'] });
    stack = started.stack;
    const { mcp: h, oauth } = started;
    const want = (s) => opts.scenario === 'all' || opts.scenario === s;
    const rows = [];
    console.log(`load benchmark — ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length}× ${os.cpus()[0]?.model?.trim()}, wrangler dev (workerd)`);
    if (want('sse')) rows.push(await sseScenario(h, (await h.accessToken('alice@example.com', '/sse')).token));
    if (want('rate') || want('max')) {
      const token = (await h.accessToken('alice@example.com', '/mcp')).token;
      if (want('rate')) {
        say(`rate: ${opts.rate} req/s for ${MINUTES} min`);
        rows.push({ scenario: `POST /mcp tools/call at ${opts.rate} req/s for ${MINUTES} min`, ...await cannon(h, token, { rate: Number(opts.rate), seconds: MINUTES * 60, connections: 50 }) });
      }
      if (want('max')) {
        say('max: unthrottled, 8 connections, 20 s');
        rows.push({ scenario: 'POST /mcp tools/call unthrottled, 8 connections, 20 s', ...await cannon(h, token, { seconds: 20, connections: 8 }) });
      }
    }
    if (want('refresh')) rows.push(await refreshScenario(oauth));
    for (const r of rows) {
      console.log(`\n## ${r.scenario}`);
      for (const [k, v] of Object.entries(r.figures)) console.log(`  ${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
      for (const n of r.notes) console.log(`  note: ${n}`);
    }
    return 0;
  } catch (err) {
    console.error(`load: ${err.stack ?? err.message}`);
    return 1;
  } finally {
    await stack?.stop();
  }
}

process.exit(await main());
