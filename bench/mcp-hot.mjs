// bench/mcp.mjs's loads: autocannon rounds on POST /mcp (with each `wrangler dev`'s CPU), a new
// token's first calls one after another, and legacy-SSE round trips.
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { cpuDuring, median, percentile } from './lib.mjs';
import { CONNECTIONS, DURATION_S, ROUND_TRIPS } from './mcp-options.mjs';

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
export async function benchLoad({ url, headers, name, duration = DURATION_S }) {
  let bad = 0;
  let firstBad;
  const [result, cpu] = await withCpu(url, () => autocannon({
    url,
    connections: CONNECTIONS,
    duration,
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
    name: `${name} (autocannon, ${CONNECTIONS} conn, ${duration} s)`,
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
