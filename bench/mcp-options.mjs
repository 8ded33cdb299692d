// The options of bench/mcp.mjs (see there), shared by its modules.
import path from 'node:path';
import { parseArgs } from 'node:util';

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
export const DURATION_S = Number(opts.duration);
export const ROUNDS = Number(opts.rounds);
export const CONNECTIONS = Number(opts.connections);
export const ROUND_TRIPS = Number(opts['round-trips']);
export const FLOWS = Number(opts.flows);
export const STARTUP_RUNS = Number(opts['startup-runs']);
export const TEMPLATE = !opts['no-template'];
for (const [name, v] of [['duration', DURATION_S], ['rounds', ROUNDS], ['connections', CONNECTIONS], ['round-trips', ROUND_TRIPS],
  ['flows', FLOWS], ['startup-runs', STARTUP_RUNS]]) {
  if (!Number.isInteger(v) || v < 1) { console.error(`--${name} must be a positive integer`); process.exit(2); }
}

export const say = (line) => console.log(`bench: ${line}`);
export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
