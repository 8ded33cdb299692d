#!/usr/bin/env node
// End-to-end entry point (scripts/test.sh runs it):
//
//   node tests/e2e/run.mjs [filter…]      e.g. `node tests/e2e/run.mjs audit logout`
//
// 1. starts the WorkOS stack and the Worker under `wrangler dev` (tests/e2e/stack.mjs: emulator
//    on 4101 + front on 4100, seeded; the Worker on 127.0.0.1:8788, built first, fresh local KV);
// 2. runs `node --test` on tests/e2e/*.test.mjs (those whose name contains a filter, if given)
//    with WORKER_URL, WORKOS_URL, WORKOS_CONTROL, ALICE_ID, BOB_ID, ACME_ORG_ID and, for the
//    AuthKit-mode Worker on 127.0.0.1:8789, AUTHKIT_WORKER_URL, AUTHKIT_URL, AUTHKIT_AUDIENCE in the env;
// 3. stops everything — also on failure and Ctrl-C — and exits with the test runner's code.
// Logs (wrangler.log, workos-stack.log) and screenshots land in target/e2e-artifacts/.
import path from 'node:path';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { spawnNode, stopChild } from '../../dev/child.mjs';
import { ROOT, SSE_IDLE_SECONDS, createStack } from './stack.mjs';
import { launchChromium } from './helpers.mjs';

const HERE = path.join(ROOT, 'tests/e2e');
const ARTIFACTS = path.join(ROOT, 'target/e2e-artifacts');
const TEST_TIMEOUT_MS = 3 * 60 * 1000;   // per test

const say = (line) => console.log(`e2e: ${line}`);

/**
 * Opens each Worker's sign-in page once in Chromium before any test runs. Twice in CI the first
 * navigation of the run's first browser stalled (past 20 s, then past 45 s) while every later
 * one took well under a second; the cause did not show here (not the DNS of a machine without
 * network, tried). Whatever is paid once is paid here, under a generous limit, its time printed.
 */
async function warmBrowser(urls) {
  const t0 = Date.now();
  const browser = await launchChromium();
  try {
    // As the tests open theirs: a context of its own, with a route (interception) in place.
    const context = await browser.newContext();
    await context.route('https://warm-up.invalid/**', (route) => route.abort());
    const page = await context.newPage();
    for (const url of urls) {
      const res = await page.goto(`${url}/login`, { timeout: 120000 });
      if (res?.status() !== 200) throw new Error(`warming Chromium: GET ${url}/login answered ${res?.status()}`);
    }
  } finally {
    await browser.close();
  }
  say(`Chromium warmed up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

function selectTestFiles(filters) {
  const all = readdirSync(HERE).filter((f) => f.endsWith('.test.mjs')).sort();
  const chosen = filters.length ? all.filter((f) => filters.some((x) => f.includes(x))) : all;
  return chosen.map((f) => path.join('tests/e2e', f));
}

/**
 * Prints every WorkOS operation the run exercised (checked against WorkOS's OpenAPI document by
 * the front) and the deliberate violations the check caught; false when any request broke the
 * document, or a deliberate violation went unnoticed.
 */
function reportContract(report) {
  if (!report) return true;
  say(`WorkOS contract: ${report.operations.length} operation(s) exercised, each request checked against @workos/openapi-spec:`);
  for (const o of report.operations) say(`  ${o.operation.padEnd(62)} ${String(o.count).padStart(4)}×  by ${o.callers.join(', ')}`);
  const caught = report.probes.filter((p) => p.caught);
  say(`WorkOS contract: ${caught.length} deliberate violation(s) caught by the check`);
  const missed = report.probes.filter((p) => !p.caught);
  for (const p of missed) say(`  MISSED deliberate violation: ${p.operation}`);
  for (const v of report.violations) say(`  VIOLATION by ${v.caller}: ${v.operation}: ${v.problems.join('; ')}`);
  const ok = report.violations.length === 0 && missed.length === 0;
  say(ok ? 'WorkOS contract: no request broke the document' : `WorkOS contract: FAILED (${report.violations.length} violation(s), ${missed.length} missed probe(s))`);
  return ok;
}

async function main() {
  const files = selectTestFiles(process.argv.slice(2));
  if (!files.length) {
    console.error(`e2e: no test file in tests/e2e matches ${process.argv.slice(2).join(' ')}`);
    return 2;
  }
  rmSync(ARTIFACTS, { recursive: true, force: true }); // no stale screenshots from an earlier run
  mkdirSync(ARTIFACTS, { recursive: true });
  const stack = createStack({ artifacts: ARTIFACTS, say, workerEnv: { MCP_SSE_IDLE_SECONDS: SSE_IDLE_SECONDS } });
  let runner;
  let cleaning;
  const cleanup = () => (cleaning ??= (async () => {
    await stopChild(runner);
    await stack.stop();
  })());
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
    process.once(sig, async () => {
      say(`${sig}: stopping everything`);
      await cleanup();
      process.exit(code);
    });
  }

  try {
    const { testEnv } = await stack.start();
    await warmBrowser([testEnv.WORKER_URL, testEnv.AUTHKIT_WORKER_URL].filter(Boolean));
    say(`running ${files.length} test file(s)`);
    runner = spawnNode(['--test', '--test-concurrency=1', `--test-timeout=${TEST_TIMEOUT_MS}`, ...files], {
      cwd: ROOT,
      output: 'inherit',
      env: { ...process.env, ...testEnv },
    });
    const { code, signal } = await runner.exited;
    say(`tests finished (${signal ?? `exit code ${code}`}); logs and screenshots in target/e2e-artifacts/`);
    const contractOk = reportContract(stack.contract());
    return (code ?? 1) || (contractOk ? 0 : 1);
  } catch (err) {
    console.error(`e2e: ${err.message}`);
    return 1;
  } finally {
    await cleanup();
  }
}

process.exit(await main());
