// use-mcp (npm `use-mcp`, the React hook browser playgrounds use) in Chromium, from a page on
// another origin, against the Worker — the way the Workers AI playground connects:
//
//   * a Worker under `wrangler dev` on 127.0.0.1:8793 whose MCP_ALLOWED_ORIGINS is the page's
//     origin, on the same WorkOS stack as the other tests;
//   * the page (tests/e2e/use-mcp/app.mjs, bundled here with esbuild) and its OAuth callback page,
//     served on http://localhost:8794;
//   * for each transport mode the hook offers — `auto` (its default) on /sse and /mcp, `sse` on
//     /sse, `http` on /mcp — the hook discovers, registers, opens the sign-in popup; the person
//     signs in and allows the client there; the popup's callback hands the tokens back; the hook
//     lists the tools and the test calls `add` through it.
// `auto` on /sse is the case the 405 wording is for: the hook tries Streamable HTTP first, and
// falls back to SSE only when the error names 405 / Method Not Allowed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import os from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import { ALICE, TESTID, launchChromium, artifact } from './helpers.mjs';
import { ALL_TOOLS } from './mcp-helpers.mjs';
import { ROOT, logFile, writeWorkerEnv, writePrebuiltConfig, startWrangler, waitForWorker } from './stack.mjs';
import { stopChild } from '../../dev/child.mjs';

const WORKER_PORT = 8793;
const WORKER = `http://127.0.0.1:${WORKER_PORT}`;
const PAGE_ORIGIN = 'http://localhost:8794';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'use-mcp-'));
const log = logFile(path.join(ROOT, 'target/e2e-artifacts'), 'wrangler-use-mcp.log');

let wrangler;
let server;
let browser;

/** The two pages, bundled: the app (React + use-mcp) and the OAuth callback. */
async function bundle() {
  const dir = path.join(ROOT, 'tests/e2e/use-mcp');
  const out = await build({
    entryPoints: { app: path.join(dir, 'app.mjs'), callback: path.join(dir, 'callback.mjs') },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    outdir: '/bundle',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  const js = Object.fromEntries(out.outputFiles.map((f) => [path.basename(f.path, '.js'), f.text]));
  const page = (title, script) => `<!doctype html><meta charset="utf-8"><title>${title}</title>`
    + `<div id="root"></div><script type="module">${script.replace(/<\/script/gi, '<\\/script')}</script>`;
  return { '/': page('use-mcp e2e', js.app), '/oauth/callback': page('Signing in…', js.callback) };
}

before(async () => {
  const pages = await bundle();
  server = http.createServer((req, res) => {
    const body = pages[new URL(req.url, PAGE_ORIGIN).pathname];
    res.writeHead(body ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(body ?? 'not found');
  });
  await new Promise((resolve) => server.listen(8794, '127.0.0.1', resolve));
  const envFile = writeWorkerEnv(tmp, process.env.WORKOS_URL, { MCP_ALLOWED_ORIGINS: PAGE_ORIGIN });
  wrangler = startWrangler(envFile, path.join(tmp, 'state'), log, { port: WORKER_PORT, config: writePrebuiltConfig(tmp) });
  await waitForWorker(wrangler, log, () => {}, WORKER);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await stopChild(wrangler);
  await new Promise((r) => (server ? server.close(r) : r()));
  await log.close();
  rmSync(tmp, { recursive: true, force: true });
});

/**
 * Plays the person in the sign-in popup: WorkOS's sign-in (the emulator's, no page), then consent.
 * On a 401 the SDK's transport starts an authorization and then use-mcp starts another (a second
 * PKCE verifier replaces the first). Both open the popup by the same window name, which means
 * "load this in that popup"; a person acts on what it shows last. Chromium, though, forgets a
 * window's name once it has gone to another site, so whether the second request lands in the
 * popup, in a second one, or loses to the first navigation depends on timing. The test therefore
 * waits for the hook to be done ("Waiting for callback") and loads the last authorization request
 * in the popup itself — what the named window is for.
 */
async function signInAndAllow(page, popups) {
  await page.waitForFunction(() => window.mcp?.log.some((l) => l.includes('Waiting for callback')), null, { timeout: 30000 });
  const last = await page.evaluate(() => window.authUrls.at(-1));
  assert.ok(last.startsWith(`${WORKER}/authorize?`), `the hook opened the Worker's /authorize: ${last}`);
  let popup;
  for (const deadline = Date.now() + 10000; !popup && Date.now() < deadline;) {
    popup = popups.filter((p) => !p.isClosed()).at(-1);
    if (!popup) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(popup, 'the hook opened a popup');
  const state = new URL(last).searchParams.get('state');
  for (let attempt = 0; attempt < 5; attempt++) {
    await popup.waitForLoadState().catch(() => {});
    popup = popups.find((p) => !p.isClosed() && p.url().includes(state)) ?? popup;
    if (popup.url().includes(state)) break;
    // An earlier request's navigation may still land and interrupt this one: then again.
    await popup.goto(last).catch(() => {});
  }
  assert.ok(popup.url().includes(state), `the popup shows the last authorization request: ${popup.url()}`);
  popup.setDefaultTimeout(30000);
  await popup.waitForLoadState();
  // /authorize sends a signed-out browser straight to WorkOS (the emulator signs in Alice when no
  // login_hint is given), so the one page of ours the person sees is consent.
  const allow = popup.getByTestId('consent-approve');
  await allow.waitFor();
  assert.equal(await popup.getByTestId(TESTID.signIn).count(), 0, 'no sign-in page of ours on the way');
  assert.match(await popup.locator('main').innerText(), new RegExp(ALICE.replace('.', '\\.')), 'consent names Alice');
  assert.equal(await popup.getByTestId('consent-client-name').textContent(), 'use-mcp e2e page');
  const consoleLines = [];
  popup.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  const closed = popup.waitForEvent('close');
  await allow.click();
  try {
    await closed;
  } catch (err) {
    const where = popup.isClosed() ? 'closed' : popup.url();
    const text = popup.isClosed() ? '' : await popup.locator('body').innerText().catch(() => '');
    if (!popup.isClosed()) await popup.screenshot({ path: artifact('use-mcp-popup-stuck.png') }).catch(() => {});
    throw new Error(`the popup did not close after consent (${err.message}); at ${where}: ${text.slice(0, 500)}\n${consoleLines.join('\n')}`);
  }
}

const CASES = [
  { transport: 'auto', endpoint: '/sse', connected: 'SSE', fellBack: true },
  { transport: 'auto', endpoint: '/mcp', connected: 'HTTP', fellBack: false },
  { transport: 'sse', endpoint: '/sse', connected: 'SSE', fellBack: false },
  { transport: 'http', endpoint: '/mcp', connected: 'HTTP', fellBack: false },
];

for (const { transport, endpoint, connected, fellBack } of CASES) {
  test(`use-mcp transportType '${transport}' on ${endpoint}: popup sign-in and consent, tools listed, add called`, async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const popups = [];
      context.on('page', (p) => popups.push(p));
      await page.goto(`${PAGE_ORIGIN}/?transport=${transport}&url=${encodeURIComponent(`${WORKER}${endpoint}`)}`);
      await signInAndAllow(page, popups);

      // (On the way to SSE, `auto` may pass through 'failed' for a moment: the hook reports the
      // closing of the Streamable HTTP attempt before the fallback connects.)
      const ready = await page.waitForFunction(() => window.mcp?.state === 'ready', null, { timeout: 30000 }).catch(() => null);
      const mcp = await page.evaluate(() => window.mcp);
      await page.screenshot({ path: artifact(`use-mcp-${transport}-${endpoint.slice(1)}.png`) });
      assert.ok(ready, `the hook is ready (state ${mcp.state}): ${mcp.error}\n${mcp.log.slice(-25).join('\n')}`);
      assert.deepEqual([...mcp.tools].sort(), ALL_TOOLS, 'Alice sees all four tools');
      assert.ok(mcp.log.some((l) => l.includes(`Client connected via ${connected}`)), `connected via ${connected}:\n${mcp.log.join('\n')}`);
      assert.equal(mcp.log.some((l) => /HTTP transport failed \(405\)/.test(l)), fellBack,
        fellBack ? 'Streamable HTTP was tried first and the 405 made it fall back' : 'no fallback needed');

      const sum = await page.evaluate(() => window.mcp.callTool('add', { a: 19, b: 23 }));
      assert.equal(sum.isError ?? false, false);
      assert.match(sum.content[0].text, /\b42\b/);
      assert.deepEqual(sum.structuredContent, { sum: 42 });
    } finally {
      await context.close();
    }
  });
}
