// The stack the end-to-end tests and the benchmark run against, as an importable module
// (tests/e2e/run.mjs and bench/mcp.mjs use it):
//
//   const stack = createStack({ artifacts, say });
//   const { testEnv } = await stack.start();  // WorkOS stack + `wrangler dev`, both answering;
//                                              // testEnv: WORKER_URL, WORKOS_URL, ALICE_ID, … for tests
//   stack.contract();                          // what the front's OpenAPI check saw (after tests)
//   await stack.stop();                        // any time, also during start()
//
// 1. the WorkOS stack (dev/emulator.mjs: emulator on 4101 + front on 4100, seeded);
// 2. the Worker with `wrangler dev` on 127.0.0.1:8788 against it — wrangler runs the project's
//    build command first (scripts/build.sh; minutes the first time) — with a generated env file
//    and a fresh local KV directory, so every start begins from nothing;
// 3. once that one answers, a second Worker in AuthKit mode on 127.0.0.1:8789
//    (WORKOS_AUTHKIT_DOMAIN = the AuthKit stand-in on 127.0.0.1:4102, WORKOS_AUTHKIT_AUDIENCE = the
//    client id, WORKOS_ORGANIZATION_ID = Acme) with its own env file and KV directory. It runs the build the first one made: its
//    generated wrangler config is the project's without [build], so it neither rebuilds (which
//    would rewrite build/ under the first Worker) nor watches src/.
// Logs (wrangler.log, wrangler-authkit.log, workos-stack.log) land in `artifacts`.
import path from 'node:path';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startWorkosStack, startWorkosStackProcess, assertPortFree, CLIENT_ID } from '../../dev/emulator.mjs';
import { spawnNode, stopChild, eachLine } from '../../dev/child.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WORKER_PORT = 8788;
export const WORKER_URL = `http://127.0.0.1:${WORKER_PORT}`;
export const AUTHKIT_WORKER_PORT = 8789;
export const AUTHKIT_WORKER_URL = `http://127.0.0.1:${AUTHKIT_WORKER_PORT}`;
/** What WorkOS would sign webhook deliveries with, for this run. */
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const READY_TIMEOUT_MS = 15 * 60 * 1000; // the first build compiles the whole crate to Wasm
const PROGRESS_EVERY_MS = 30 * 1000;
const BROKEN_AFTER_MS = 20 * 1000;       // /login answering, but not 200, for this long = broken Worker

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const elapsed = (t0) => { const s = Math.round((Date.now() - t0) / 1000); return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`; };

/** A log file in the artifacts directory that also remembers its last lines (for error messages). */
export function logFile(dir, name) {
  const stream = createWriteStream(path.join(dir, name));
  const tail = [];
  return {
    name,
    where: path.relative(ROOT, path.join(dir, name)),
    write(raw) {
      const line = raw.replace(/\x1b\[[0-9;]*m/g, ''); // wrangler colours some lines regardless
      stream.write(`${line}\n`);
      tail.push(line);
      if (tail.length > 400) tail.shift();
    },
    tail: (n = 25) => tail.slice(-n).join('\n'),
    /** What explains a failed start: the build's own output and wrangler's error lines, else the tail. */
    summary() {
      const useful = tail.filter((l) => /^\[custom build\]|✘|\[ERROR\]/.test(l) && l.replace('[custom build]', '').trim());
      return (useful.length ? useful.slice(-30) : tail.slice(-25)).join('\n');
    },
    last: () => tail.findLast((l) => l.trim()) ?? '',
    close: () => new Promise((r) => stream.end(r)),
  };
}

/**
 * `MCP_SSE_IDLE_SECONDS` for the suite (the Worker's default is half an hour): short enough for
 * mcp-sse's test to see an idle session end, longer than any other test leaves a session idle.
 */
export const SSE_IDLE_SECONDS = 40;

/** The env file wrangler loads as the Worker's secrets (and only it: no .dev.vars, no process env). */
export function writeWorkerEnv(dir, workosUrl, extra = {}, name = 'worker.env') {
  const file = path.join(dir, name);
  writeFileSync(file, [
    `WORKOS_CLIENT_ID=${CLIENT_ID}`,
    'WORKOS_API_KEY=sk_test_default',
    `WORKOS_API_BASE_URL=${workosUrl}`,
    `COOKIE_ENCRYPTION_KEY=${randomBytes(32).toString('hex')}`,
    // Local development only: the CIMD tests serve client metadata documents on http://127.0.0.1.
    'ALLOW_LOOPBACK_CLIENT_METADATA=true',
    // The front signs the WorkOS events it sends with it (dev/webhooks.mjs).
    `WORKOS_WEBHOOK_SECRET=${WEBHOOK_SECRET}`,
    ...Object.entries(extra).map(([k, v]) => `${k}=${v}`),
    '',
  ].join('\n'), { mode: 0o600 });
  return file;
}

/**
 * The project's wrangler.toml without its [build] section and with `main` made absolute: a
 * Worker started from it runs the existing build/ as is.
 */
export function writePrebuiltConfig(dir) {
  const lines = readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8').split('\n');
  const out = [];
  let inBuild = false;
  for (const line of lines) {
    if (/^\s*\[/.test(line)) inBuild = /^\s*\[build\]\s*$/.test(line);
    if (inBuild) continue;
    out.push(line.replace(/^main\s*=\s*"([^"]+)"/, (_, m) => `main = ${JSON.stringify(path.join(ROOT, m))}`));
  }
  const file = path.join(dir, 'wrangler.prebuilt.toml');
  writeFileSync(file, out.join('\n'));
  return file;
}

/**
 * The node arguments that start `wrangler dev` (the project's pinned wrangler); with
 * `inspector: false` the same engine without wrangler's DevTools inspector
 * (dev/wrangler-dev-no-inspector.mjs, for the benchmark). Its arguments follow.
 */
export const wranglerDev = (inspector = true) => (inspector
  ? [path.join(ROOT, 'node_modules/.bin/wrangler'), 'dev']
  : [path.join(ROOT, 'dev/wrangler-dev-no-inspector.mjs')]);

export function startWrangler(envFile, persistDir, log, { port = WORKER_PORT, config, features = 'conformance-fixtures', inspector = true } = {}) {
  const child = spawnNode([...wranglerDev(inspector), '--env', 'local',
    ...(config ? ['--config', config] : []),
    '--ip', '127.0.0.1', '--port', String(port), '--env-file', envFile, '--persist-to', persistDir,
    '--show-interactive-dev-session=false', '--log-level', 'log'], {
    cwd: ROOT,
    group: true, // wrangler → build script, workerd: stopped together
    env: {
      ...process.env,
      CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: 'true',
      CLOUDFLARE_INCLUDE_PROCESS_ENV: 'false',
      WRANGLER_SEND_METRICS: 'false',
      // No fetch of workers.cloudflare.com/cf.json: `request.cf` is wrangler's placeholder, as
      // it is anyway on a machine that reaches only the package registries.
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      FORCE_COLOR: '0',
      // The build's cargo features (scripts/build.sh, run by wrangler): the tests' build has the
      // MCP conformance suite's fixtures; the benchmark's is the deployed one (none).
      WORKER_FEATURES: features,
    },
  });
  eachLine(child.stdout, log.write);
  eachLine(child.stderr, log.write);
  return child;
}

/** Resolves once GET /login answers 200; throws a readable reason otherwise. */
export async function waitForWorker(wrangler, log, say, workerUrl = WORKER_URL) {
  const t0 = Date.now();
  let lastProgress = t0;
  let brokenSince = null;
  let lastAnswer = '';
  let exited = null;
  wrangler.exited.then((e) => { exited = e; });
  const where = log.where;
  for (;;) {
    if (exited) {
      throw new Error(`wrangler dev exited (${exited.signal ?? `code ${exited.code}`}) before the Worker answered. `
        + `From ${where}:\n${log.summary()}`);
    }
    if (/Running custom build .* failed/.test(log.tail(40))) {
      throw new Error(`the Worker's build failed (wrangler runs scripts/build.sh). From ${where}:\n${log.summary()}`);
    }
    let res = null;
    let body = '';
    try {
      res = await fetch(`${workerUrl}/login`, { redirect: 'manual', signal: AbortSignal.timeout(10000) });
      body = await res.text();
    } catch { /* not listening yet: still building or starting */ }
    if (res?.status === 200) return elapsed(t0);
    if (res) {
      lastAnswer = `${res.status}: ${body.replace(/\s+/g, ' ').slice(0, 300)}`;
      brokenSince ??= Date.now();
      if (Date.now() - brokenSince > BROKEN_AFTER_MS) {
        throw new Error(`the Worker runs but GET /login keeps answering ${lastAnswer}\nLast lines of ${where}:\n${log.tail()}`);
      }
    } else {
      brokenSince = null;
    }
    if (Date.now() - t0 > READY_TIMEOUT_MS) {
      throw new Error(`the Worker did not answer GET /login with 200 within ${READY_TIMEOUT_MS / 60000} minutes`
        + `${lastAnswer ? ` (last answer ${lastAnswer})` : ''}. Last lines of ${where}:\n${log.tail()}`);
    }
    if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = Date.now();
      say(`still waiting for the Worker (${elapsed(t0)}) — wrangler: ${log.last().slice(0, 160)}`);
    }
    await sleep(1000);
  }
}

/**
 * The stack, not yet started: `start()` brings up the WorkOS stack and the Worker and resolves
 * once both answer (on failure it stops what it started and throws a readable reason); `stop()`
 * stops whatever is running, at any point — also while `start()` is still under way.
 * @param {object} opts
 * @param {string} opts.artifacts directory for wrangler.log and workos-stack.log (created)
 * @param {(line: string) => void} [opts.say] progress lines
 * @param {boolean} [opts.logRequests] the front logs every WorkOS request (to workos-stack.log)
 * @param {object} [opts.workerEnv] extra variables for the Worker's env file
 * @param {boolean} [opts.authkitWorker] also start the AuthKit-mode Worker on 8789 (default true)
 * @param {string} [opts.features] the build's cargo features (default: the conformance fixtures;
 *   '' builds as `wrangler deploy` does)
 * @param {boolean} [opts.workosProcess] the WorkOS stack in a process of its own
 *   (`startWorkosStackProcess`; the benchmark) rather than in this one (default false; then
 *   `contract()` answers at once, else it is a promise)
 * @returns {{start: () => Promise<{workerUrl: string, workosUrl: string, authkitWorkerUrl?: string, authkitUrl: string, seeded: object, testEnv: object}>,
 *   restartWorker: (opts: {inspector: boolean, env?: object}) => Promise<void>, stop: () => Promise<void>}}
 *   (`restartWorker`: the Worker again on its port, with its local state and build as they are,
 *   with or without wrangler's DevTools inspector, and with its env file or, given `env`, a new
 *   one with those variables added (and a new cookie key); after `start()`)
 */
export function createStack({ artifacts, say = () => {}, logRequests = true, workerEnv = {}, authkitWorker = true, features, workosProcess = false }) {
  mkdirSync(artifacts, { recursive: true });
  const stackLog = logFile(artifacts, 'workos-stack.log');
  const wranglerLog = logFile(artifacts, 'wrangler.log');
  const authkitWranglerLog = logFile(artifacts, 'wrangler-authkit.log');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'mcp-e2e-'));
  let stack;
  let wrangler;
  let authkitWrangler;
  let envFile;
  let stopping;
  const stop = () => (stopping ??= (async () => {
    if (wrangler) say('stopping the Worker(s) (wrangler dev)');
    await Promise.all([stopChild(authkitWrangler), stopChild(wrangler)]);
    await stack?.stop().catch((err) => say(`stopping the WorkOS stack: ${err.message}`));
    rmSync(tmp, { recursive: true, force: true });
    await Promise.all([stackLog.close(), wranglerLog.close(), authkitWranglerLog.close()]);
  })());
  const start = async () => {
    try {
      await assertPortFree(WORKER_PORT, '127.0.0.1');
      if (authkitWorker) await assertPortFree(AUTHKIT_WORKER_PORT, '127.0.0.1');
      say('starting the WorkOS stack (emulator + front)');
      stack = await (workosProcess ? startWorkosStackProcess : startWorkosStack)({
        logRequests,
        log: (line) => {
          stackLog.write(line);
          if (!/^(front|emulator|authkit): /.test(line)) say(line);
        },
      });
      envFile = writeWorkerEnv(tmp, stack.url, workerEnv);
      say(`starting the Worker: wrangler dev on ${WORKER_URL} (runs the build first; the first build can take minutes)`);
      wrangler = startWrangler(envFile, path.join(tmp, 'state'), wranglerLog, { features });
      say(`Worker ready after ${await waitForWorker(wrangler, wranglerLog, say)}`);
      if (authkitWorker) {
        // Same WorkOS variables, plus AuthKit mode against the stand-in; WorkOS's default
        // audience (no Resource Indicator configured) is the environment's client id.
        // It is also the Worker restricted to one organization (WORKOS_ORGANIZATION_ID = Acme).
        const authkitEnv = writeWorkerEnv(tmp, stack.url, {
          ...workerEnv,
          WORKOS_AUTHKIT_DOMAIN: stack.authkitUrl,
          WORKOS_AUTHKIT_AUDIENCE: CLIENT_ID,
          WORKOS_ORGANIZATION_ID: stack.seeded.organizationId,
        }, 'worker-authkit.env');
        say(`starting the AuthKit-mode Worker: wrangler dev on ${AUTHKIT_WORKER_URL} (the same build)`);
        authkitWrangler = startWrangler(authkitEnv, path.join(tmp, 'state-authkit'), authkitWranglerLog,
          { port: AUTHKIT_WORKER_PORT, config: writePrebuiltConfig(tmp) });
        say(`AuthKit-mode Worker ready after ${await waitForWorker(authkitWrangler, authkitWranglerLog, say, AUTHKIT_WORKER_URL)}`);
      }
    } catch (err) {
      await stop();
      throw err;
    }
    const { alice, bob, carol } = stack.seeded.users;
    return {
      workerUrl: WORKER_URL,
      workosUrl: stack.url,
      authkitWorkerUrl: authkitWorker ? AUTHKIT_WORKER_URL : undefined,
      authkitUrl: stack.authkitUrl,
      seeded: stack.seeded,
      testEnv: {
        WORKER_URL,
        WORKOS_URL: stack.url,
        WORKOS_CONTROL: stack.url,
        ...(authkitWorker ? { AUTHKIT_WORKER_URL, AUTHKIT_URL: stack.authkitUrl, AUTHKIT_AUDIENCE: CLIENT_ID } : {}),
        ALICE_ID: alice.id,
        BOB_ID: bob.id,
        CAROL_ID: carol.id,
        ACME_ORG_ID: stack.seeded.organizationId,
        GLOBEX_ORG_ID: stack.seeded.globexOrganizationId,
        E2E_ARTIFACTS: artifacts,
        WEBHOOK_SECRET,
        // The Worker's local KV (wrangler dev --persist-to), for tests that check what was stored.
        WORKER_STATE_DIR: path.join(tmp, 'state'),
      },
    };
  };
  /** The front's contract report (dev/contract.mjs): operations exercised, violations, probes. */
  const contract = () => stack?.control.contract();
  const restartWorker = async ({ inspector, env }) => {
    await stopChild(wrangler);
    const vars = env ? ` with ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}` : '';
    say(`restarting the Worker on ${WORKER_URL} ${inspector ? 'under wrangler dev' : 'without wrangler\'s DevTools inspector'}${vars}`);
    const file = env ? writeWorkerEnv(tmp, stack.url, { ...workerEnv, ...env }, 'worker-restarted.env') : envFile;
    wrangler = startWrangler(file, path.join(tmp, 'state'), wranglerLog, { features, config: writePrebuiltConfig(tmp), inspector });
    say(`Worker ready after ${await waitForWorker(wrangler, wranglerLog, say)}`);
  };
  return { start, restartWorker, stop, contract };
}
