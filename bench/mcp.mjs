#!/usr/bin/env node
// Benchmark of the MCP endpoints against local `wrangler dev` — not a test: nothing is asserted
// and the test command does not run it.
//
//   node bench/mcp.mjs [--duration 10] [--rounds 3] [--connections 16] [--round-trips 300] [--flows 5] [--startup-runs 5] [--no-template]
//
//   --duration N      seconds of Streamable HTTP load per round, for this Worker, the two no-ops and the template (default 10)
//   --rounds N        rounds of load on this Worker and the no-op, taken in turn (default 3): the machine's
//                     drift falls on both alike; medians are reported
//   --connections N   concurrent connections for it (default 16)
//   --round-trips N   legacy-SSE round trips (default 300)
//   --flows N         full OAuth flows timed, discovery → token with sign-in, on each side (default 5)
//   --startup-runs N  start-up profiles (`wrangler check startup`) taken of each Worker (default 5)
//   --no-template     leave out the TypeScript template (bench/template)
//
// What it does:
// 1. starts the same stack as `node tests/e2e/run.mjs` (tests/e2e/stack.mjs: the WorkOS emulator
//    on 4101 and its front on 4100, here in a process of their own, as WorkOS runs elsewhere; the Worker
//    under `wrangler dev` on 127.0.0.1:8788 with fresh local KV) — so nothing else may hold those
//    ports; logs go to target/bench-artifacts/;
// 2. obtains access tokens for Alice through the real OAuth flow (the SDK's `auth()` with the
//    cookie-jar browser from tests/e2e/oauth-helpers.mjs): one for O/mcp, one for O/sse;
// 3. Streamable HTTP: 20 sequential warm-up requests (the first reads the grant from KV; KV reads
//    per request are counted here), then autocannon (programmatic) sends authenticated
//    `tools/call add` to POST /mcp for --duration seconds over --connections connections, every
//    response checked (200 + the sum) exactly as the no-op's are, in --rounds rounds taken in turn
//    with the no-op Worker's (step 6), the order reversed every other round, after a warm-up load
//    of a few seconds on each side that is not counted;
// 4. legacy SSE: opens one session (GET /sse), then, one after another, POSTs `tools/call add` to
//    /sse/message and times until its response event arrives on the stream;
// 5. prints requests/s, p50/p99 latency and KV reads per request (from the Worker's
//    `Server-Timing: kv;desc="reads=N"` header: average and max) as a compact table;
// 6. the same load (the same request: the bearer token and protocol version header too) against
//    a no-op Worker (bench/noop: reads the body, answers a fixed result) under `wrangler dev` on
//    127.0.0.1:8796, round for round with this Worker's, and this Worker's
//    median throughput and p99 as a fraction of the no-op's; with each load, the CPU per call of
//    the processes of each `wrangler dev` (Linux /proc: the workerd running the Worker, the
//    workerd of wrangler's dev proxy that every request passes, wrangler's Node process); and the
//    same again against bench/noop-rs, the no-op in Rust on `worker` (built as this Worker is, on
//    127.0.0.1:8798): what a worker-rs Worker costs before it does anything of its own, and
//    this Worker's share of its throughput beside the JS no-op's;
// 7. the TypeScript system this Worker replaces — bench/template, our reconstruction of Cloudflare's
//    remote-mcp-authkit template (workers-oauth-provider, agents' McpAgent, @workos-inc/node, hono;
//    its npm packages installed by `npm ci` when missing or when its lock changed) — under
//    `wrangler dev` on 127.0.0.1:8797 against the same emulator: a token for Alice by the same
//    SDK `auth()` (its approval page pressed by the same kind of cookie-jar browser), one MCP
//    session (initialize + notifications/initialized: its /mcp wants the Mcp-Session-Id on every
//    later request), 20 sequential calls, then the same autocannon load in that session, every
//    response checked (200 + the sum);
// 8. the full OAuth flow (discovery → registration → sign-in at the emulator → consent → token)
//    --flows times on each side, the two sides in turn, after five a side whose times are
//    reported apart (a Worker's first flows after a start also pay for its compilation; see
//    bench/mcp-flows.mjs): median and fastest; after each flow (not
//    timed with it) the new token's first calls: initialize, notifications/initialized and the
//    first `tools/call add`; the CPU each side's `wrangler dev` spent per flow (its workerd, its
//    dev proxy, wrangler's Node process); then three authorizations by hand on each side, in
//    turn, each HTTP hop timed, the one of median total shown with the WorkOS requests it caused
//    (the front's request log: the browser's sign-in and the Worker's own calls) and, for this
//    Worker, the KV and Durable Object operations its `Server-Timing` reported; then the flows
//    again with this Worker's sign-in audit event left out (AUDIT_SIGN_INS=off: the template
//    sends none, and WorkOS's stand-in shares the machine); then with both Workers restarted
//    without wrangler's DevTools inspector (dev/wrangler-dev-no-inspector.mjs: the same engine;
//    the `wrangler dev` command relays the DevTools events of every outbound request to
//    wrangler's processes, which production does not); then a fourth time, without the
//    inspector and without the audit event;
//    then what one local KV or Durable Object operation, or an outbound request, costs, with and
//    without the inspector (bench/storage on 127.0.0.1:8795: each kind 150 times, against
//    requests that make none);
// 9. size: the Wasm (raw, gzip -9), its largest contributors by crate and by function (the same
//    build with names kept: bench/size-contributors.mjs), and the deploy bundle (`wrangler deploy
//    --dry-run`: upload and gzip), and start-up (`wrangler check startup`, --startup-runs times:
//    median busy ms and span), for this Worker, the template and the two no-ops;
// 10. a side-by-side table: measure | this Worker | TS template | no-op | Rust no-op.
// Its parts: mcp-options.mjs (the options), mcp-hot.mjs (the loads), mcp-flows.mjs (the OAuth
// flows), mcp-report.mjs (what it prints).
// Figures are for this machine and `wrangler dev` (workerd, local KV, the release
// build that scripts/build.sh makes); they compare runs on one machine, they do not predict production.
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  startBenchStack, startNoop, startupProfile, ensureTemplateInstalled, startTemplate, storageCosts,
} from './lib.mjs';
import { templateClient } from './template-client.mjs';
import {
  CONNECTIONS, DURATION_S, FLOWS, ROOT, ROUND_TRIPS, ROUNDS, STARTUP_RUNS, TEMPLATE, say,
} from './mcp-options.mjs';
import { benchLoad, benchSequentialWarmup, benchSse, benchTemplateWarmup, combineRounds } from './mcp-hot.mjs';
import {
  BY_HAND, benchFlowsInTurn, byHandInTurn, flowBreakdown, ourFirstCalls, templateFirstCalls,
} from './mcp-flows.mjs';
import { printReport } from './mcp-report.mjs';
import { sizeContributors } from './size-contributors.mjs';

const ARTIFACTS = path.join(ROOT, 'target/bench-artifacts');
const NOOP_PORT = 8796;
const RUST_NOOP_PORT = 8798;
const TEMPLATE_PORT = 8797;
const STORAGE_PORT = 8795;
/** The hot path's warm-up load on each side, before its rounds (seconds). */
const WARM_UP_S = 3;

/** Deploy bundle and start-up profiles of the Worker configured by `config` (a temporary directory for the files). */
async function sizeAndStartup(config) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-startup-'));
  try {
    return await startupProfile({ config: typeof config === 'function' ? config(tmp) : config, dir: tmp, runs: STARTUP_RUNS });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function main() {
  let stack;
  let template;
  let templateLog;
  const templateState = [];
  let templateOptions;
  try {
    if (TEMPLATE) await ensureTemplateInstalled({ say });
    const started = await startBenchStack({ say });
    stack = started.stack;
    const { testEnv, mcp } = started;
    const { control, ALICE } = await import('../tests/e2e/helpers.mjs');
    say('signing in as Alice (OAuth through the emulator) for O/mcp and O/sse');
    const httpToken = (await mcp.accessToken(ALICE, '/mcp')).token;
    const sseToken = (await mcp.accessToken(ALICE, '/sse')).token;

    // Warm-up, measured on its own: the first requests instantiate the Wasm and the bearer check
    // reads the token's grant from KV (once per grant and minute per isolate).
    const warm = await benchSequentialWarmup(mcp, httpToken);

    mkdirSync(ARTIFACTS, { recursive: true });
    const noopLog = createWriteStream(path.join(ARTIFACTS, 'wrangler-noop.log'));
    const noop = await startNoop({ port: NOOP_PORT, log: (line) => noopLog.write(`${line}\n`) });
    let rustNoop;
    const ours = [];
    const floors = [];
    const rustFloors = [];
    try {
      say('the Rust no-op Worker (bench/noop-rs): its build, then wrangler dev');
      rustNoop = await startNoop({ port: RUST_NOOP_PORT, rust: true, log: (line) => noopLog.write(`rust: ${line}\n`) });
      const headers = { authorization: `Bearer ${httpToken}`, 'mcp-protocol-version': mcp.LATEST_PROTOCOL_VERSION };
      const sides = [
        ['this Worker', ours, `${mcp.ORIGIN}/mcp`, 'POST /mcp tools/call add'],
        ['the no-op Worker', floors, noop.url, 'no-op Worker'],
        ['the Rust no-op', rustFloors, rustNoop.url, 'Rust no-op Worker'],
      ];
      // A short load on each side first, not counted: no side's first counted load is then also
      // its first under load, whichever side a round starts with.
      say(`Streamable HTTP: a warm-up load of ${WARM_UP_S} s on each side, not counted`);
      for (const [, , url, name] of sides) await benchLoad({ url, headers, name, duration: WARM_UP_S });
      for (let round = 1; round <= ROUNDS; round++) {
        // The order turns each round (this Worker first, then last), with the no-op always next
        // to it: neither side always follows the same load, nor always comes first in a round.
        const order = round % 2 === 1 ? sides : [...sides].reverse();
        say(`Streamable HTTP, round ${round} of ${ROUNDS}: ${order.map(([who]) => who).join(', ')}, ${CONNECTIONS} connections for ${DURATION_S} s each`);
        for (const [, into, url, name] of order) into.push(await benchLoad({ url, headers, name }));
      }
    } finally {
      await noop.stop();
      await rustNoop?.stop();
      noopLog.end();
    }
    const http = combineRounds(ours, 'POST /mcp tools/call add');
    const floor = combineRounds(floors, 'no-op Worker, the same load');
    const rustFloor = combineRounds(rustFloors, 'Rust no-op Worker, the same load');
    say(`legacy SSE: ${ROUND_TRIPS} round trips on one session`);
    const sse = await benchSse(mcp, sseToken);

    let tpl;
    let tplWarm;
    let tplHttp;
    if (TEMPLATE) {
      say(`the TS template (bench/template): wrangler dev on 127.0.0.1:${TEMPLATE_PORT}, against the same WorkOS emulator`);
      const workos = new URL(testEnv.WORKOS_URL);
      const { CLIENT_ID } = await import('../dev/emulator.mjs');
      templateState.push(mkdtempSync(path.join(os.tmpdir(), 'bench-template-')));
      templateLog = createWriteStream(path.join(ARTIFACTS, 'wrangler-template.log'));
      templateOptions = {
        port: TEMPLATE_PORT,
        persistTo: templateState[0],
        log: (line) => templateLog.write(`${line}\n`),
        vars: {
          WORKOS_CLIENT_ID: CLIENT_ID,
          WORKOS_CLIENT_SECRET: 'sk_test_default', // the emulator's API key (the stack gives our Worker the same)
          WORKOS_API_HOSTNAME: workos.hostname,
          WORKOS_API_PORT: workos.port,
          WORKOS_API_HTTPS: 'false',
          COOKIE_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
        },
      };
      template = await startTemplate(templateOptions);
      tpl = await templateClient({ origin: template.url, protocolVersion: mcp.LATEST_PROTOCOL_VERSION });
      say('TS template: signing in as Alice (the SDK\'s auth()), one MCP session, the same load in it');
      const { token } = await tpl.accessToken(ALICE);
      const { sessionId } = await tpl.openSession(token);
      tplWarm = await benchTemplateWarmup(tpl, token, sessionId);
      tplHttp = await benchLoad({
        url: `${template.url}/mcp`,
        headers: { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': mcp.LATEST_PROTOCOL_VERSION },
        name: 'TS template: POST /mcp tools/call add, one session',
      });
    }

    say(`OAuth: ${FLOWS} full flows on each side, in turn (each followed by the new token's first calls), `
      + `then ${BY_HAND} by hand on each side with each hop's breakdown`);
    const flowSides = [
      {
        flow: async () => (await mcp.accessToken(ALICE, '/mcp')).token,
        firstCalls: (token) => ourFirstCalls(mcp, token),
        port: Number(new URL(testEnv.WORKER_URL).port),
      },
      ...(TEMPLATE ? [{
        flow: async () => (await tpl.accessToken(ALICE)).token, firstCalls: (token) => templateFirstCalls(tpl, token), port: TEMPLATE_PORT,
      }] : []),
    ];
    const [flows, tplFlows] = await benchFlowsInTurn(flowSides);
    const [breakdown, tplBreakdown] = await byHandInTurn(control, [
      () => flowBreakdown(started.oauth),
      ...(TEMPLATE ? [() => tpl.authorizeByHand()] : []),
    ]);
    // The same flows with the same work on both sides, under `wrangler dev` still: this Worker
    // sends each sign-in to WorkOS's audit log (after the answer), which the template does not
    // do, and here WorkOS's stand-in shares the machine; AUDIT_SIGN_INS=off leaves it out.
    // Each later run of the flows starts the template afresh, with empty local storage: its flows
    // slow down as a run goes on (by 16–35 % between twenty flows and the next twenty here),
    // this Worker's do not, so a template that had served the earlier runs would flatter it.
    const freshTemplate = async (inspector) => {
      if (!TEMPLATE) return;
      await template.stop();
      templateState.push(mkdtempSync(path.join(os.tmpdir(), 'bench-template-')));
      template = await startTemplate({ ...templateOptions, persistTo: templateState.at(-1), inspector });
    };
    say(`OAuth: the ${FLOWS} flows on each side again, this Worker with AUDIT_SIGN_INS=off, the template started afresh`);
    await stack.restartWorker({ inspector: true, env: { AUDIT_SIGN_INS: 'off' } });
    await freshTemplate(true);
    const [sameWorkFlows, sameWorkTplFlows] = await benchFlowsInTurn(flowSides);
    // The same flows with both Workers on wrangler's dev engine without its DevTools inspector
    // (dev/wrangler-dev-no-inspector.mjs): under `wrangler dev` each subrequest (a WorkOS call,
    // a Durable Object request) also costs wrangler's processes the relay of its DevTools
    // events, which production does not have (bench/storage's `fetch` and object rows).
    say(`OAuth: the ${FLOWS} flows on each side again, both Workers without wrangler's DevTools inspector`);
    await stack.restartWorker({ inspector: false });
    await freshTemplate(false);
    const [quietFlows, quietTplFlows] = await benchFlowsInTurn(flowSides);
    // And once more with the same work on both sides.
    say(`OAuth: the ${FLOWS} flows on each side again without the inspector, this Worker with AUDIT_SIGN_INS=off`);
    await stack.restartWorker({ inspector: false, env: { AUDIT_SIGN_INS: 'off' } });
    await freshTemplate(false);
    const [unauditedFlows, unauditedTplFlows] = await benchFlowsInTurn(flowSides);
    if (TEMPLATE) {
      await template.stop();
      template = null;
    }
    say('what one local KV or Durable Object operation, or outbound request, costs (bench/storage), with and without the inspector');
    const storageLog = createWriteStream(path.join(ARTIFACTS, 'wrangler-storage.log'));
    const storageRun = async (inspector) => {
      const storageState = mkdtempSync(path.join(os.tmpdir(), 'bench-storage-'));
      return storageCosts({ port: STORAGE_PORT, persistTo: storageState, inspector, log: (line) => storageLog.write(`${line}\n`) })
        .finally(() => rmSync(storageState, { recursive: true, force: true }));
    };
    const storage = await storageRun(true);
    const quietStorage = await storageRun(false);

    say(`size and start-up (${STARTUP_RUNS} profiles of each Worker)`);
    const wasm = readFileSync(path.join(ROOT, 'build/index_bg.wasm'));
    let contributors = null;
    try {
      contributors = sizeContributors({ root: ROOT, say });
    } catch (err) {
      say(`size: the largest contributors could not be read (${err.message})`);
    }
    const { writePrebuiltConfig } = await import('../tests/e2e/stack.mjs');
    const startup = await sizeAndStartup(writePrebuiltConfig);
    const tplStartup = TEMPLATE ? await sizeAndStartup(path.join(ROOT, 'bench/template/wrangler.toml')) : null;
    const noopStartup = await sizeAndStartup(path.join(ROOT, 'bench/noop/wrangler.toml'));
    const rustNoopStartup = await sizeAndStartup(path.join(ROOT, 'bench/noop-rs/wrangler.toml'));

    printReport({
      testEnv, tpl, warm, http, floor, rustFloor, sse, tplWarm, tplHttp, flows, tplFlows, sameWorkFlows, sameWorkTplFlows, quietFlows, quietTplFlows,
      unauditedFlows, unauditedTplFlows, breakdown, tplBreakdown, storage, quietStorage, wasm, contributors, startup, tplStartup, noopStartup,
      rustNoopStartup,
    });
    return 0;
  } catch (err) {
    console.error(`bench: ${err.stack ?? err.message}`);
    return 1;
  } finally {
    await template?.stop();
    templateLog?.end();
    for (const dir of templateState) rmSync(dir, { recursive: true, force: true });
    await stack?.stop();
  }
}

process.exit(await main());