// bench/mcp.mjs's OAuth flows: complete flows on each side in turn, a new token's first calls,
// and authorizations by hand with each hop timed and the WorkOS requests they caused.
import { performance } from 'node:perf_hooks';
import { cpuDuring } from './lib.mjs';
import { FLOWS } from './mcp-options.mjs';

/**
 * FLOWS complete OAuth flows for new clients on each side, the sides in turn, after WARM_FLOWS
 * on each kept apart (`flow()` → a token;
 * each: discovery, DCR, sign-in, consent, token), timed; after each, not timed with it,
 * `firstCalls(token)` → {initializeMs, initializedMs, callMs} (it throws on a wrong answer).
 * Each side's `wrangler dev` on `port` is read for the CPU its processes spent on the flows
 * (`cpuDuring`; each flow's answer may leave background work, so the reading after it waits
 * FLOW_SETTLE_MS, which is not in the flow's time). Returns, per side, {times, warm (the times
 * of the flows before them), first: [...], cpu: {runtime, proxy, wrangler} per flow, or null}.
 */
const FLOW_SETTLE_MS = 100;
// Flows on each side first, in turn, outside the median: after a restart a Worker's first flows
// also pay for its start (this Worker's Wasm compiled, then its hot functions compiled again by
// the optimizing tier, on the same two cores). Twenty flows a side after a restart (2026-12-03):
// this Worker's took ~100 ms for the first five and ~80 from about the tenth; the template's
// stayed near 90 from the second. With two such flows the median mixed the two states on this
// side only; five leave both sides at their pace. Their times are reported apart (`warm`).
export const WARM_FLOWS = 5;
export async function benchFlowsInTurn(sides) {
  const out = sides.map(() => ({ times: [], warm: [], first: [], cpu: { runtime: 0, proxy: 0, wrangler: 0 } }));
  for (let i = 0; i < WARM_FLOWS; i++) {
    for (const [k, { flow }] of sides.entries()) {
      const start = performance.now();
      await flow();
      out[k].warm.push(performance.now() - start);
    }
  }
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
export const BY_HAND = 3;
export async function byHandInTurn(control, sides) {
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
export async function ourFirstCalls(mcp, token) {
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
export async function templateFirstCalls(tpl, token) {
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
export async function flowBreakdown(oauth) {
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
export function storageTotals(rows) {
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
