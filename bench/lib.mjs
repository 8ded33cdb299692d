// Shared by the benchmarks: the e2e stack started for a benchmark, the no-op and template Workers
// (bench/noop, bench/noop-rs, bench/template) under `wrangler dev`, deploy size and start-up profiles, a percentile.
import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { createStack, wranglerDev } from '../tests/e2e/stack.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Nearest-rank percentile of sorted numbers. */
export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

/**
 * Starts the same stack as the end-to-end tests (Worker mode only; logs in
 * target/bench-artifacts/), stopped on SIGINT/SIGTERM too. Returns {stack, testEnv, mcp, oauth}:
 * the e2e helper modules, imported after the stack's addresses are in the environment (the
 * helpers read them when first imported).
 */
export async function startBenchStack({ say, logRequests = false }) {
  // The Worker as `wrangler deploy` builds it (no conformance fixtures): its deploy bundle is
  // measured. WorkOS (emulator, front, stand-ins) runs in a process of its own, as production's
  // runs elsewhere: the front's work for each WorkOS request (its OpenAPI check, the audit-log
  // stand-in) does not share the event loop of the client being timed.
  const stack = createStack({
    artifacts: path.join(ROOT, 'target/bench-artifacts'), say, logRequests, authkitWorker: false, features: '', workosProcess: true,
  });
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
    process.once(sig, async () => {
      say(`${sig}: stopping everything`);
      await stack.stop();
      process.exit(code);
    });
  }
  try {
    const { testEnv } = await stack.start();
    Object.assign(process.env, testEnv);
    const oauth = await import('../tests/e2e/oauth-helpers.mjs');
    const mcp = { ...(await import('../tests/e2e/mcp-helpers.mjs')), ORIGIN: oauth.ORIGIN };
    return { stack, testEnv, mcp, oauth };
  } catch (err) {
    await stack.stop();
    throw err;
  }
}

/**
 * CPU time used so far (ms, user + system) by the `wrangler dev` that serves 127.0.0.1:`port`,
 * per process: `proxy`, the workerd listening on the port (wrangler's dev proxy, which every
 * request passes); `runtime`, the other workerd wrangler started, which runs the Worker; and
 * `wrangler`, its Node process. Read from Linux's /proc; null where that cannot be done.
 */
export function devCpuMs(port) {
  try {
    const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    const listening = new Set();
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        if (cols[1]?.endsWith(hex) && cols[3] === '0A') listening.add(`socket:[${cols[9]}]`);
      }
    }
    const pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
    const fds = (pid) => { try { return readdirSync(`/proc/${pid}/fd`).map((fd) => { try { return readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return ''; } }); } catch { return []; } };
    const proxy = pids.find((pid) => fds(pid).some((l) => listening.has(l)));
    if (!proxy) return null;
    const ticksPerS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
    const stat = (pid) => {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      return { ppid: f[1], ms: ((Number(f[11]) + Number(f[12])) * 1000) / ticksPerS };
    };
    const wrangler = stat(proxy).ppid;
    const isWorkerd = (pid) => { try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'workerd'; } catch { return false; } };
    const runtime = pids.find((pid) => pid !== proxy && isWorkerd(pid) && stat(pid).ppid === wrangler);
    if (!runtime) return null;
    return { proxy: stat(proxy).ms, runtime: stat(runtime).ms, wrangler: stat(wrangler).ms };
  } catch {
    return null;
  }
}

/**
 * `fn()`, and the CPU the `wrangler dev` serving 127.0.0.1:`port` spent meanwhile, read
 * `settleMs` after it (for background work its answers left): [result, {runtime, proxy,
 * wrangler} ms in all, or null where /proc cannot be read].
 */
export async function cpuDuring(port, fn, { settleMs = 0 } = {}) {
  const before = devCpuMs(port);
  const result = await fn();
  if (settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
  const after = devCpuMs(port);
  const spent = before && after ? Object.fromEntries(Object.keys(before).map((k) => [k, after[k] - before[k]])) : null;
  return [result, spent];
}

/** Median of numbers. */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

/**
 * `wrangler dev --config <config>` (the project's pinned wrangler) on 127.0.0.1:`port`, extra
 * arguments after (`inspector: false`: without wrangler's DevTools inspector); resolves
 * {url, stop()} once `ready(url)` resolves true (polled, 60 s at most).
 */
async function startWranglerDev({ config, port, args = [], log, ready, what, inspector = true }) {
  const { spawnNode, stopChild, eachLine } = await import('../dev/child.mjs');
  const child = spawnNode([...wranglerDev(inspector), '--config', config,
    '--ip', '127.0.0.1', '--port', String(port), '--show-interactive-dev-session=false', ...args], {
    // (No fetch of workers.cloudflare.com/cf.json, as for this Worker's: tests/e2e/stack.mjs.)
    cwd: ROOT, group: true, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', FORCE_COLOR: '0', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  });
  eachLine(child.stdout, log);
  eachLine(child.stderr, log);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60000;
  for (;;) {
    try {
      if (await ready(url)) break;
    } catch { /* not up yet */ }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`${what} did not start within 60 s (its wrangler log says why)`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, stop: () => stopChild(child) };
}

/**
 * The no-op Worker under `wrangler dev` on `port`: bench/noop (JavaScript), or with `rust`
 * bench/noop-rs (the same in Rust on `worker`, built first by its build.sh: about a minute the
 * first time, seconds after).
 * Resolves {url, stop()} once it answers a POST.
 */
export async function startNoop({ port, log, rust = false }) {
  if (rust) {
    try {
      const built = await promisify(execFile)('bash', [path.join(ROOT, 'bench/noop-rs/build.sh')], { cwd: ROOT, maxBuffer: 1 << 24 });
      log(`${built.stdout}${built.stderr}`);
    } catch (err) {
      throw new Error(`bench/noop-rs/build.sh failed: ${String(err.stderr ?? err.message).slice(-500)}`);
    }
  }
  const noop = await startWranglerDev({
    config: path.join(ROOT, rust ? 'bench/noop-rs/wrangler.toml' : 'bench/noop/wrangler.toml'),
    port,
    log,
    what: rust ? 'the Rust no-op Worker' : 'the no-op Worker',
    ready: async (base) => {
      const r = await fetch(`${base}/`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(5000) });
      return r.ok && Boolean((await r.json()).result);
    },
  });
  return { ...noop, url: `${noop.url}/` };
}

/** The operations bench/storage's Worker makes, one per request, by path. */
export const STORAGE_OPS = ['kv-get', 'kv-put', 'kv-delete', 'do-new', 'do-live', 'do-rpc', 'do-put', 'do-alarm', 'fetch'];

/**
 * What one local storage operation costs (bench/storage under `wrangler dev` on `port`, its KV
 * and Durable Objects in `persistTo`): for each of STORAGE_OPS, `requests` sequential requests
 * that make it, less as many that make none, in `rounds` rounds that take every operation in
 * turn (the machine's drift falls on all); CPU per operation of the runtime's workerd, of
 * wrangler's dev proxy and of wrangler's Node process (`devCpuMs`), and wall time. `do-put` and
 * `do-alarm` include their request to the (live) object: subtract `do-live` for the operation
 * alone. `do-rpc` calls a method of the live object by Workers RPC instead of sending it a request
 * (as the product Worker calls its grant objects). `fetch` is an outbound request to a server of this process that answers at once.
 * `inspector: false`: without wrangler's DevTools inspector (dev/wrangler-dev-no-inspector.mjs).
 * Resolves {op: {runtime, proxy, wrangler, wallMs}}, or null when /proc cannot be read.
 */
export async function storageCosts({ port, log, persistTo, requests = 150, rounds = 5, inspector = true }) {
  const { createServer } = await import('node:http');
  const target = createServer((_, res) => res.end('ok'));
  await new Promise((resolve) => target.listen(0, '127.0.0.1', resolve));
  const server = await startWranglerDev({
    config: path.join(ROOT, 'bench/storage/wrangler.toml'), port, log, what: 'the storage-cost Worker', inspector,
    args: ['--persist-to', persistTo, '--var', `FETCH_URL:http://127.0.0.1:${target.address().port}/`],
    ready: async (base) => (await fetch(`${base}/none`, { signal: AbortSignal.timeout(5000) })).ok,
  }).catch((err) => { target.close(); throw err; });
  try {
    const ops = ['none', ...STORAGE_OPS];
    const KEYS = ['runtime', 'proxy', 'wrangler', 'wallMs'];
    const sum = Object.fromEntries(ops.map((op) => [op, Object.fromEntries(KEYS.map((k) => [k, 0]))]));
    const batch = Math.ceil(requests / rounds);
    const run = async (op, n) => {
      const [wallMs, spent] = await cpuDuring(port, async () => {
        const start = performance.now();
        for (let i = 0; i < n; i++) {
          const r = await fetch(`${server.url}/${op}`);
          if (!r.ok) throw new Error(`storage-cost Worker: /${op} answered ${r.status}`);
          await r.arrayBuffer();
        }
        return performance.now() - start;
      }, { settleMs: 100 });
      return spent ? { ...spent, wallMs } : null;
    };
    for (const op of ops) await run(op, 5); // every path once before anything counts
    for (let round = 0; round < rounds; round++) {
      for (const op of ops) {
        const c = await run(op, batch);
        if (!c) return null;
        for (const k of KEYS) sum[op][k] += c[k] / (batch * rounds);
      }
    }
    return Object.fromEntries(STORAGE_OPS.map((op) => [op, Object.fromEntries(KEYS.map((k) => [k, sum[op][k] - sum.none[k]]))]));
  } finally {
    await server.stop();
    target.close();
  }
}

/**
 * bench/template's npm packages (its package-lock.json): `npm ci` when node_modules is missing or
 * was installed from another lock (the lock's SHA-256 is kept in node_modules after an install).
 */
export async function ensureTemplateInstalled({ say }) {
  const { createHash } = await import('node:crypto');
  const { existsSync, readFileSync, writeFileSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const dir = path.join(ROOT, 'bench/template');
  const stamp = path.join(dir, 'node_modules/.bench-lock-sha256');
  const lock = createHash('sha256').update(readFileSync(path.join(dir, 'package-lock.json'))).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === lock) return;
  say('installing bench/template\'s npm packages (npm ci)');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
  writeFileSync(stamp, `${lock}\n`);
}

/**
 * The TypeScript template's reconstruction (bench/template) under `wrangler dev` on `port`, with
 * local KV and Durable Objects in `persistTo`; `vars` are passed as --var (WorkOS's address, the
 * secrets). Resolves {url, stop()} once its authorization-server metadata answers.
 */
export function startTemplate({ port, log, vars, persistTo, inspector = true }) {
  return startWranglerDev({
    config: path.join(ROOT, 'bench/template/wrangler.toml'), port, log, what: 'the template Worker', inspector,
    args: ['--persist-to', persistTo, ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`])],
    ready: async (base) => {
      const r = await fetch(`${base}/.well-known/oauth-authorization-server`, { signal: AbortSignal.timeout(5000) });
      return r.ok && (await r.json()).issuer === base;
    },
  });
}

/**
 * The deploy bundle of the built Worker (`wrangler deploy --dry-run`, nothing uploaded) and its
 * start-up profile (`wrangler check startup`, `runs` times). Busy is the profile's sampled time
 * outside `(idle)`; span is the profile's duration; samples, how many the profile holds (a start-up
 * of a few milliseconds gets few: busy is as coarse as they are). Resolves {upload: {kib, gzipKib},
 * runs: [{busyMs, spanMs, samples}]}.
 */
export async function startupProfile({ config, dir, runs }) {
  const { execFileSync } = await import('node:child_process');
  const { readFileSync } = await import('node:fs');
  const wrangler = path.join(ROOT, 'node_modules/.bin/wrangler');
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', FORCE_COLOR: '0' };
  const bundle = path.join(dir, 'worker.bundle');
  const deploy = execFileSync(wrangler, ['deploy', '--dry-run', '--outfile', bundle, '--config', config],
    { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const m = deploy.match(/Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/);
  const upload = m ? { kib: Number(m[1]), gzipKib: Number(m[2]) } : null;
  const results = [];
  for (let i = 0; i < runs; i++) {
    const out = path.join(dir, `startup-${i}.cpuprofile`);
    execFileSync(wrangler, ['check', 'startup', '--worker', bundle, '--outfile', out, '--config', config],
      { cwd: dir, env, stdio: 'ignore' });
    const p = JSON.parse(readFileSync(out, 'utf8'));
    const idle = new Set(p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
    const busyUs = p.samples.reduce((sum, id, k) => sum + (idle.has(id) ? 0 : p.timeDeltas[k]), 0);
    results.push({ busyMs: busyUs / 1000, spanMs: (p.endTime - p.startTime) / 1000, samples: p.samples.length });
  }
  return { upload, runs: results };
}

const ADD_BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } } });

/**
 * `tools/call add` POSTed to `url` under autocannon (`connections` of them, for `duration`
 * seconds), with `headers` beside the JSON ones; each response's status and body checked (200,
 * the sum). Every Worker gets the same load: this one, the template (its session in `headers`)
 * and the no-ops (the very request this Worker gets: the bearer token and protocol version they
 * ignore still pass the dev proxy and the runtime). The load generator shares the machine, so it
 * does the same work for each.
 */
export async function loadToolsCall({ url, headers, name, connections, duration }) {
  let bad = 0;
  let firstBad;
  const [result, cpu] = await withCpu(url, () => autocannon({
    url,
    connections,
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
    name: `${name} (autocannon, ${connections} conn, ${duration} s)`,
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
