// bench/mcp.mjs's loads: autocannon rounds on POST /mcp (with each `wrangler dev`'s CPU), a new
// token's first calls one after another, and legacy-SSE round trips.
import { performance } from 'node:perf_hooks';
import { loadToolsCall, median, percentile } from './lib.mjs';
import { CONNECTIONS, DURATION_S, ROUND_TRIPS } from './mcp-options.mjs';

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

/** lib.mjs's `loadToolsCall` at bench/mcp.mjs's connections and duration. */
export const benchLoad = ({ url, headers, name, duration = DURATION_S }) =>
  loadToolsCall({ url, headers, name, duration, connections: CONNECTIONS });

/** Rounds of one load, combined: total requests and errors, median req/s, p50 and p99. */
export function combineRounds(rounds, name) {
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
    eachP99: rounds.map((r) => r.p99),
    cpu: rounds.every((r) => r.cpu)
      ? Object.fromEntries(Object.keys(rounds[0].cpu).map((k) => [k, median(rounds.map((r) => r.cpu[k]))]))
      : null,
  };
}

/** The first WARMUP requests on a fresh token, one after another. */
export const WARMUP = 20;
export async function benchSequentialWarmup(mcp, token) {
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
export async function benchTemplateWarmup(tpl, token, sessionId) {
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
export async function benchSse(mcp, token) {
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
