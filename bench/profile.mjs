#!/usr/bin/env node
// A CPU profile of the hot path — not a test, and not run by the test command.
//
//   node bench/profile.mjs [--duration 6] [--connections 16] [--top 30] [--flows N]
//
// Starts the benchmark's stack with a release build that keeps function names
// (WASM_KEEP_NAMES=1, see scripts/build.sh; the next ordinary build rebuilds), signs Alice in,
// and puts authenticated `tools/call add` load on POST /mcp while V8's sampling profiler runs in
// the Worker's isolate, driven over the DevTools protocol through `wrangler dev`'s inspector
// (127.0.0.1:9229). The runtime answers that protocol only while requests are flowing, so the
// profiler is started during a first burst of load and stopped during a last one.
//
// With --flows N it profiles sign-ins instead: N complete OAuth flows (the MCP SDK's auth(),
// sign-in at the emulator, consent, token), one after another, written to flows.cpuprofile.
//
// Writes target/bench-artifacts/hot.cpuprofile (open it in Chrome DevTools or speedscope) and
// prints where the isolate's samples went: by kind (this Worker's Wasm, the JS glue, the
// runtime's native code, idle), the functions of this crate and its dependencies with the
// largest inclusive share, and the functions of every kind with the largest self time.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import WebSocket from 'ws';
import { startBenchStack } from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '6' },
    connections: { type: 'string', default: '16' },
    top: { type: 'string', default: '30' },
    flows: { type: 'string', default: '0' },
  },
});
const say = (m) => console.error(`profile: ${m}`);

/** A DevTools-protocol session on the first target `wrangler dev`'s inspector lists. */
async function inspector(port) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  let id = 0;
  const pending = new Map();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    if (pending.has(msg.id) && (msg.result || msg.error)) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
    }
  });
  // wrangler's proxy echoes each request and does not always pass the runtime's empty answers
  // back under our id: only a call whose result is needed waits for it.
  const send = (method, params = {}) => new Promise((resolve) => {
    id += 1;
    pending.set(id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });
  const fire = (method, params = {}) => {
    id += 1;
    ws.send(JSON.stringify({ id, method, params }));
  };
  return { send, fire, close: () => ws.close() };
}

/** Self time per node (µs) from the samples. */
function selfTimes(profile) {
  const self = new Map();
  profile.samples.forEach((node, i) => self.set(node, (self.get(node) ?? 0) + (profile.timeDeltas[i + 1] ?? 0)));
  return self;
}

function summarize(profile, top) {
  const self = selfTimes(profile);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const pct = (t) => `${((100 * t) / total).toFixed(1).padStart(5)} %`;
  // Where a node's code lives: this Worker's Wasm, the JS glue, or the runtime (no URL).
  const origin = ({ callFrame: { functionName: f, url } }) => (url.includes('.wasm') || f.startsWith('wasm-function') ? 'wasm'
    : url ? 'glue' : 'runtime');
  const name = (n) => (n.callFrame.functionName || '(anonymous)').replace(/::h[0-9a-f]{16}/g, '');
  const kinds = new Map();
  // Self time per function, whatever its kind: the runtime's native calls (`Response`,
  // `arrayBuffer`, `queueMicrotask`) and the glue's named imports beside the Rust functions.
  const own = new Map();
  for (const n of profile.nodes) {
    const f = n.callFrame.functionName;
    const where = origin(n);
    const kind = where === 'wasm' ? 'Wasm (this Worker and its crates)' : where === 'glue' ? 'JS (the wasm-bindgen glue)'
      : ['(idle)', '(program)', '(garbage collector)'].includes(f) ? f : 'native (the runtime)';
    kinds.set(kind, (kinds.get(kind) ?? 0) + (self.get(n.id) ?? 0));
    const k = `${name(n)} [${where}]`;
    own.set(k, (own.get(k) ?? 0) + (self.get(n.id) ?? 0));
  }
  console.log(`samples: ${(total / 1000).toFixed(0)} ms`);
  for (const [kind, t] of [...kinds].sort((a, b) => b[1] - a[1])) console.log(`${pct(t)}  ${kind}`);
  // Inclusive time per function name, each counted once per stack (recursion).
  const inclusive = new Map();
  const walk = (id, open) => {
    const n = byId.get(id);
    const k = name(n);
    const fresh = !open.has(k);
    if (fresh) open.add(k);
    const t = self.get(id) ?? 0;
    for (const o of open) inclusive.set(o, (inclusive.get(o) ?? 0) + t);
    for (const c of n.children ?? []) walk(c, open);
    if (fresh) open.delete(k);
  };
  walk(profile.nodes[0].id, new Set());
  console.log(`\nlargest inclusive shares (Rust functions; async bodies are their {{closure}}):`);
  const rust = [...inclusive].filter(([k]) => k.includes('::')
    && !/^(js_sys|wasm_bindgen)::(futures|convert)|^<core::panic::unwind_safe|externref shim|catch wrapper/.test(k));
  for (const [k, t] of rust.sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)}  ${k.slice(0, 150)}`);
  console.log('\nlargest self times (idle and program left out):');
  const busy = [...own].filter(([k]) => !/^\((idle|program)\) /.test(k));
  for (const [k, t] of busy.sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)}  ${k.slice(0, 150)}`);
}

/** `count` OAuth flows (`flow()` → a token) under the profiler; the first two start it. */
async function profileFlows(session, flow, count) {
  say(`profiling ${count} OAuth flows, one after another`);
  const starting = (async () => { await flow(); await flow(); })();
  session.fire('Profiler.enable');
  session.fire('Profiler.setSamplingInterval', { interval: 100 });
  session.fire('Profiler.start');
  await starting;
  for (let i = 0; i < count; i++) await flow();
  const stopping = flow();
  const stopped = await session.send('Profiler.stop');
  await stopping;
  session.close();
  const out = path.join(ROOT, 'target/bench-artifacts/flows.cpuprofile');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(stopped.result.profile));
  say(`profile written to ${path.relative(ROOT, out)}`);
  summarize(stopped.result.profile, Number(opts.top));
}

async function main() {
  process.env.WASM_KEEP_NAMES = '1';
  const { stack, mcp } = await startBenchStack({ say });
  try {
    const { ALICE } = await import('../tests/e2e/helpers.mjs');
    say('signing in as Alice (OAuth through the emulator)');
    const token = (await mcp.accessToken(ALICE, '/mcp')).token;
    const load = (seconds) => autocannon({
      url: `${mcp.ORIGIN}/mcp`,
      connections: Number(opts.connections),
      duration: seconds,
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
        'mcp-protocol-version': mcp.LATEST_PROTOCOL_VERSION,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } } }),
    });
    const session = await inspector(9229);
    if (Number(opts.flows) > 0) {
      await profileFlows(session, () => mcp.accessToken(ALICE, '/mcp'), Number(opts.flows));
      return;
    }
    say('profiling: a burst to start the profiler, the measured load, a burst to stop it');
    const before = load(3);
    session.fire('Profiler.enable');
    session.fire('Profiler.setSamplingInterval', { interval: 100 });
    session.fire('Profiler.start');
    await before;
    const measured = await load(Number(opts.duration));
    const after = load(3);
    const stopped = await session.send('Profiler.stop');
    await after;
    session.close();
    const bad = measured.non2xx + measured.errors;
    say(`${measured.requests.total} requests in the measured load (${bad} not 200)`);
    const out = path.join(ROOT, 'target/bench-artifacts/hot.cpuprofile');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(stopped.result.profile));
    say(`profile written to ${path.relative(ROOT, out)}`);
    summarize(stopped.result.profile, Number(opts.top));
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
