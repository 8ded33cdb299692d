#!/usr/bin/env node
// Two builds of this Worker side by side on the hot path — not a test, and not run by the test
// command.
//
//   node bench/ab.mjs --a DIR --b DIR [--rounds 8] [--duration 6] [--warmup 2] [--connections 16]
//
// DIR: a copy of build/ as `scripts/build.sh` leaves it (e.g. `bash scripts/build.sh && cp -r
// build /tmp/a`). Starts the benchmark's stack once and signs Alice in; then each round serves A
// and B in turn (the order turned every other round) on the same port, with the same local state
// and token: build/ replaced, the Worker restarted (a new workerd, so that neither side inherits
// the other's heap), a warm-up load not counted, then the measured `tools/call add` load with
// the runtime's CPU per call (`devCpuMs`). The two sides of a round run back to back, so the
// machine's drift falls on both: the report gives each side's medians and the median of the
// rounds' B/A ratios. build/ is put back as it was found.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadToolsCall, median, startBenchStack } from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILD = path.join(ROOT, 'build');
const { values: opts } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string' },
    rounds: { type: 'string', default: '8' },
    duration: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '16' },
  },
});
if (!opts.a || !opts.b) {
  console.error('usage: node bench/ab.mjs --a DIR --b DIR [--rounds 8] [--duration 6] [--warmup 2] [--connections 16]');
  process.exit(2);
}
const say = (m) => console.error(`ab: ${m}`);

/** One load of `tools/call add` on `/mcp` (lib.mjs's); every answer checked. */
async function load(url, token, protocol, seconds) {
  const r = await loadToolsCall({
    url: `${url}/mcp`,
    headers: { authorization: `Bearer ${token}`, 'mcp-protocol-version': protocol },
    name: 'ab',
    connections: Number(opts.connections),
    duration: seconds,
  });
  return { rps: r.rps, p99: r.p99, cpu: r.cpu ? r.cpu.runtime : NaN, bad: r.errors };
}

async function main() {
  const saved = mkdtempSync(path.join(tmpdir(), 'ab-build-'));
  const { stack, mcp } = await startBenchStack({ say });
  cpSync(BUILD, saved, { recursive: true });
  const sides = { A: [], B: [] };
  try {
    const { ALICE } = await import('../tests/e2e/helpers.mjs');
    const token = (await mcp.accessToken(ALICE, '/mcp')).token;
    for (let round = 0; round < Number(opts.rounds); round++) {
      for (const side of round % 2 ? ['B', 'A'] : ['A', 'B']) {
        rmSync(BUILD, { recursive: true, force: true });
        cpSync(side === 'A' ? opts.a : opts.b, BUILD, { recursive: true });
        await stack.restartWorker({ inspector: true });
        await load(mcp.ORIGIN, token, mcp.LATEST_PROTOCOL_VERSION, Number(opts.warmup));
        const r = await load(mcp.ORIGIN, token, mcp.LATEST_PROTOCOL_VERSION, Number(opts.duration));
        if (r.bad) throw new Error(`${side}: ${r.bad} answers were not the sum`);
        sides[side].push(r);
        say(`round ${round + 1} ${side}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms, runtime ${r.cpu.toFixed(3)} ms/call`);
      }
    }
  } finally {
    rmSync(BUILD, { recursive: true, force: true });
    cpSync(saved, BUILD, { recursive: true });
    rmSync(saved, { recursive: true, force: true });
    await stack.stop();
  }
  const of = (side, k) => median(sides[side].map((r) => r[k]));
  const ratio = (k) => median(sides.A.map((a, i) => sides.B[i][k] / a[k]));
  for (const side of ['A', 'B']) {
    console.log(`${side}: ${of(side, 'rps').toFixed(0)} req/s, p99 ${of(side, 'p99')} ms, runtime ${of(side, 'cpu').toFixed(3)} ms/call (medians of ${sides[side].length})`);
  }
  console.log(`B/A, the median of the rounds' ratios: req/s ${ratio('rps').toFixed(3)}, p99 ${ratio('p99').toFixed(3)}, runtime CPU per call ${ratio('cpu').toFixed(3)}`);
  console.log(`B/A by round, runtime CPU per call: ${sides.A.map((a, i) => (sides.B[i].cpu / a.cpu).toFixed(3)).join(', ')}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
