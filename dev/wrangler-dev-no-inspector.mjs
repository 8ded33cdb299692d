#!/usr/bin/env node
// `wrangler dev` without the DevTools inspector, for the benchmark (bench/mcp.mjs).
//
//   node dev/wrangler-dev-no-inspector.mjs [--config F] [--env E] [--env-file F] --ip I --port P
//                                          [--persist-to D] [--log-level L] [--var K:V]…
//
// The `wrangler dev` command always attaches wrangler's inspector proxy to the runtime and enables
// DevTools' Network domain there, and the proxy relays every event it receives to wrangler's Node
// process. Each subrequest a Worker makes (an outbound fetch, a Durable Object request) then costs
// this machine several milliseconds of CPU in wrangler's processes (bench/storage measures it),
// which production does not have. This runs the same Worker on the same engine (wrangler's
// `startWorker`, which the command itself uses: the same workerd, local KV and Durable Objects,
// dev proxy) with the engine's `dev.inspector: false`. It takes the subset of the command's
// arguments the benchmark passes (other arguments, such as `--show-interactive-dev-session`, are
// ignored), prints "Ready on <url>" once the Worker answers, and stops it on SIGTERM or SIGINT.
import { unstable_startWorker } from 'wrangler';

const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const vars = argv.flatMap((arg, i) => (arg === '--var' ? [argv[i + 1]] : []));
const bindings = Object.fromEntries(vars.map((pair) => {
  const at = pair.indexOf(':');
  return [pair.slice(0, at), { type: 'plain_text', value: pair.slice(at + 1) }];
}));

// What the command derives from the configuration's date and flags (Node.js compatibility of
// the bundle: `nodejs_compat` is its v2 from 2024-09-23 on).
function nodejsCompatMode(config) {
  const flags = config.compatibility_flags ?? [];
  if (flags.includes('nodejs_compat_v2')) return 'v2';
  if (flags.includes('nodejs_compat')) return (config.compatibility_date ?? '') >= '2024-09-23' ? 'v2' : 'v1';
  if (flags.includes('nodejs_als')) return 'als';
  return null;
}

const port = Number(option('port'));
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node dev/wrangler-dev-no-inspector.mjs --ip 127.0.0.1 --port <port> [--config <file>] …');
  process.exit(2);
}
const worker = await unstable_startWorker({
  config: option('config') ?? 'wrangler.toml',
  env: option('env'),
  envFiles: option('env-file') ? [option('env-file')] : undefined,
  bindings: vars.length ? bindings : undefined,
  build: { nodejsCompatMode },
  dev: {
    inspector: false,
    server: { hostname: option('ip') ?? '127.0.0.1', port },
    persist: option('persist-to'),
    watch: false,
    logLevel: option('log-level') ?? 'log',
  },
});
await worker.ready;
console.log(`Ready on ${(await worker.url).href}`);
const stop = async () => {
  await worker.dispose().catch(() => {});
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
