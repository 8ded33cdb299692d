// bench/mcp.mjs's report: the tables and lines it prints at the end of a run.
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { median } from './lib.mjs';
import { CONNECTIONS, DURATION_S, FLOWS, ROOT, ROUNDS, STARTUP_RUNS, TEMPLATE } from './mcp-options.mjs';
import { WARMUP } from './mcp-hot.mjs';
import { BY_HAND, WARM_FLOWS, storageTotals } from './mcp-flows.mjs';

/** A Markdown table: the first column left-aligned, the rest right-aligned. */
function printMarkdown(head, body) {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const b of body) console.log(line(b));
}

function printTable(rows) {
  const head = ['scenario', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'KV reads/req avg', 'KV max', 'errors'];
  const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');
  const body = rows.map((r) => [
    r.name, String(r.requests), fmt(r.rps), fmt(r.p50), fmt(r.p99),
    !r.kv ? '–' : r.kv.n ? fmt(r.kv.avg, 3) : 'no header', r.kv?.n ? String(r.kv.max) : '–', String(r.errors),
  ]);
  printMarkdown(head, body);
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

/**
 * The ratio of two samples' medians (`a` over `b`) and its 90 % bootstrap interval: each side
 * resampled with replacement 2,000 times (a fixed seed, so a report reads the same twice). An
 * interval that holds 1 is a difference this run cannot tell from the host's noise.
 */
export function medianRatio(a, b, draws = 2000) {
  const resample = resampler();
  const ratios = Array.from({ length: draws }, () => median(resample(a)) / median(resample(b))).sort((x, y) => x - y);
  return { ratio: median(a) / median(b), lo: ratios[Math.floor(0.05 * draws)], hi: ratios[Math.ceil(0.95 * draws) - 1] };
}

/**
 * Paired rounds (`a[i]` and `b[i]` taken back to back): the median of the rounds' ratios
 * `a[i] / b[i]` and its 90 % bootstrap interval (the rounds resampled 2,000 times). Each ratio
 * carries its round's drift on both sides alike, which the ratio of the two medians does not.
 */
export function pairedRatio(a, b, draws = 2000) {
  const resample = resampler();
  const each = a.map((x, i) => x / b[i]);
  const medians = Array.from({ length: draws }, () => median(resample(each))).sort((x, y) => x - y);
  return { each, ratio: median(each), lo: medians[Math.floor(0.05 * draws)], hi: medians[Math.ceil(0.95 * draws) - 1] };
}

/** Resampling with replacement from a fixed seed, so a report reads the same twice. */
function resampler() {
  let seed = 0x2545f491;
  const next = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) / 2 ** 32; };
  return (xs) => xs.map(() => xs[Math.floor(next() * xs.length)]);
}

/** The last table: one row per measure, a column per Worker (`–` where it does not apply). */
function printSideBySide(rows) {
  const head = ['measure', 'this Worker', 'TS template', 'no-op', 'Rust no-op'];
  const body = rows.map((r) => head.map((_, i) => (r[i] === undefined || r[i] === null || r[i] === false ? '–' : String(r[i]))));
  printMarkdown(head, body);
}

/** Everything a run measured, printed: the loads' table, each measure's lines, the side-by-side table. */
export function printReport({
  testEnv, tpl, warm, http, floor, rustFloor, sse, tplWarm, tplHttp, flows, tplFlows, sameWorkFlows, sameWorkTplFlows, quietFlows, quietTplFlows,
  unauditedFlows, unauditedTplFlows, breakdown, tplBreakdown, storage, quietStorage, wasm, contributors, startup, tplStartup, noopStartup,
  rustNoopStartup,
}) {
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
  const paired = pairedRatio(http.each, floor.each);
  console.log(`hot path, each round's share of the no-op's throughput (its two loads back to back): ${paired.each.map((x) => pct(x, 1)).join(', ')}; `
    + `median ${pct(paired.ratio, 1)} (90 % bootstrap interval ${pct(paired.lo, 1)}–${pct(paired.hi, 1)})`);
  const tail = pairedRatio(http.eachP99, floor.eachP99);
  const times = (x) => `${x.toFixed(2)}×`;
  console.log(`hot path, each round's p99 against the no-op's (the same pairs): ${tail.each.map(times).join(', ')}; `
    + `median ${times(tail.ratio)} (90 % bootstrap interval ${times(tail.lo)}–${times(tail.hi)})`);
  console.log(`hot path against the Rust no-op (a worker-rs Worker's floor): this Worker ${pct(http.rps, rustFloor.rps)} of its throughput; `
    + `the Rust no-op ${pct(rustFloor.rps, floor.rps)} of the no-op's, its p99 ${(rustFloor.p99 / floor.p99).toFixed(2)}× the no-op's `
    + `(req/s by round: ${rustFloor.each.join(', ')})`);
  if (http.cpu && floor.cpu && rustFloor.cpu) {
    const three = (k) => `${http.cpu[k].toFixed(3)} / ${floor.cpu[k].toFixed(3)} / ${rustFloor.cpu[k].toFixed(3)} ms`;
    console.log(`hot path CPU per call (medians), this Worker / the no-op / the Rust no-op: the Worker's workerd ${three('runtime')}; `
      + `wrangler's dev proxy ${three('proxy')} and wrangler ${three('wrangler')}, which share the cores`);
  }
  console.log(`OAuth flow (discovery → token, sign-in included): median ${median(flows.times).toFixed(0)} ms, fastest ${Math.min(...flows.times).toFixed(0)} ms (${FLOWS} flows)`);
  console.log(`OAuth flow without the sign-in's audit event (AUDIT_SIGN_INS=off; the template sends none): median ${median(sameWorkFlows.times).toFixed(0)} ms, fastest ${Math.min(...sameWorkFlows.times).toFixed(0)} ms`
    + (TEMPLATE ? `; the TS template's ${median(sameWorkTplFlows.times).toFixed(0)} / ${Math.min(...sameWorkTplFlows.times).toFixed(0)} ms` : ''));
  console.log(`OAuth flow without wrangler's DevTools inspector: median ${median(quietFlows.times).toFixed(0)} ms, fastest ${Math.min(...quietFlows.times).toFixed(0)} ms`
    + (TEMPLATE ? `; the TS template's ${median(quietTplFlows.times).toFixed(0)} / ${Math.min(...quietTplFlows.times).toFixed(0)} ms` : ''));
  console.log(`OAuth flow without the inspector, and without the sign-in's audit event (AUDIT_SIGN_INS=off; the template sends none): median ${median(unauditedFlows.times).toFixed(0)} ms, fastest ${Math.min(...unauditedFlows.times).toFixed(0)} ms`
    + (TEMPLATE ? `; the TS template's ${median(unauditedTplFlows.times).toFixed(0)} / ${Math.min(...unauditedTplFlows.times).toFixed(0)} ms` : ''));
  if (TEMPLATE) {
    const r = (ours, theirs) => { const { ratio, lo, hi } = medianRatio(ours.times, theirs.times); return `${ratio.toFixed(2)} (${lo.toFixed(2)}–${hi.toFixed(2)})`; };
    console.log(`OAuth flow against the template, the ratio of the medians (90 % bootstrap interval; below 1: faster): `
      + `under wrangler dev ${r(flows, tplFlows)}, AUDIT_SIGN_INS=off ${r(sameWorkFlows, sameWorkTplFlows)}, `
      + `without the inspector ${r(quietFlows, quietTplFlows)}, both ${r(unauditedFlows, unauditedTplFlows)}`);
  }
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
      + `a request to a live object ${op('do-live')}, a method of it called by RPC ${op('do-rpc')}, with a storage put ${op('do-put')}, with an alarm set ${op('do-alarm')}; `
      + `an outbound request ${op('fetch')}`);
  }
  console.log(`Wasm: ${wasm.length} bytes, ${gzipSync(wasm, { level: 9 }).length} gzip; deploy bundle: `
    + (startup.upload ? `${startup.upload.kib} KiB, gzip ${startup.upload.gzipKib} KiB` : 'not reported by wrangler'));
  if (contributors) {
    const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB`;
    console.log(`Wasm's largest contributors (bench/size-contributors.mjs: the same build with names kept, optimized alike; `
      + `${kb(contributors.code)} of code, ${kb(contributors.data)} of data): by crate `
      + `${contributors.crates.map(([crate, bytes]) => `${crate} ${kb(bytes)}`).join(', ')}`);
    console.log(`  largest functions: ${contributors.functions.map(([name, bytes]) => `${name} ${kb(bytes)}`).join('; ')}`);
  }
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
  const warmFlows = (runs) => { const all = runs.flatMap((f) => f.warm); return `${ms(median(all))} / ${ms(Math.max(...all))}`; };
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
    [`OAuth flow: the first ${WARM_FLOWS} after each start, kept out of the medians (4 runs): median / slowest ms`, warmFlows([flows, sameWorkFlows, quietFlows, unauditedFlows]),
      T && warmFlows([tplFlows, sameWorkTplFlows, quietTplFlows, unauditedTplFlows])],
    [`OAuth flow, AUDIT_SIGN_INS=off: median / fastest ms (${FLOWS})`, `${ms(median(sameWorkFlows.times))} / ${ms(Math.min(...sameWorkFlows.times))}`,
      T && `${ms(median(sameWorkTplFlows.times))} / ${ms(Math.min(...sameWorkTplFlows.times))}`],
    ['OAuth flow, AUDIT_SIGN_INS=off: CPU per flow, the same three, ms', flowCpu(sameWorkFlows), T && flowCpu(sameWorkTplFlows)],
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
    + `the TS template, one round of ${DURATION_S} s. OAuth flows: the two sides in turn, each run after ${WARM_FLOWS} flows a side kept apart.)`);
}
