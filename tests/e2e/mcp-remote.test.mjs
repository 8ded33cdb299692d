// mcp-remote (the stdio↔remote proxy Claude Desktop and others use) against the Worker, over
// `--transport sse-only` (O/sse), `--transport http-only` (O/mcp) and its default `http-first`
// on O/sse (POST /sse → 405 → falls back to GET /sse), driven over stdio by the
// SDK's `StdioClientTransport` + `Client`, as a desktop MCP client would.
//
// mcp-remote does the OAuth itself (discovery, DCR, PKCE, its own loopback callback server) and
// opens a browser for the sign-in: BROWSER points at tests/e2e/mcp-remote-browser.mjs, which
// hands the URL to this test, where the cookie-jar `Browser` signs in as Alice at the emulator,
// consents and follows the redirect to mcp-remote's callback. Each run has its own temporary
// MCP_REMOTE_CONFIG_DIR and HOME (never the user's); a second run with the same config dir reuses
// the stored tokens without opening a browser.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ALICE, artifact } from './helpers.mjs';
import { Browser, ORIGIN, url, PERMISSION } from './oauth-helpers.mjs';
import { ALL_TOOLS, GATED_TOOL, expectToolOk, expectPreviewImage } from './mcp-helpers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROXY = path.join(ROOT, 'node_modules/mcp-remote/dist/proxy.js');
const HANDOFF = path.join(ROOT, 'tests/e2e/mcp-remote-browser.mjs');
const MCP_REMOTE_VERSION = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/mcp-remote/package.json'), 'utf8')).version;
const CONNECT_TIMEOUT_MS = 90000;

const short = (s, n = 300) => String(s ?? '').replace(/\s+/g, ' ').slice(0, n);

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

/** Every file under `dir`, relative. */
function filesUnder(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

/**
 * The "browser" mcp-remote opens: a loopback hook that receives the authorization URL from
 * mcp-remote-browser.mjs and plays the person (sign-in as `loginHint`, consent), then delivers
 * the redirect to mcp-remote's callback. `opened` lists every hand-off with what happened.
 */
async function startBrowserHook(loginHint) {
  const browser = new Browser({ loginHint });
  const opened = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      res.writeHead(204).end(); // the launcher exits at once, as a browser launcher does
      const entry = { url: body, at: Date.now() };
      opened.push(entry);
      entry.done = (async () => {
        entry.nav = await browser.navigate(body);
        const to = entry.nav.redirect;
        if (!to) throw new Error(`the browser did not get back to mcp-remote: ${Browser.describe(entry.nav.hops)}`);
        // mcp-remote's callback server listens on 127.0.0.1 only; a real browser resolves
        // "localhost" to it too, Node's fetch may try ::1 first.
        const callback = new URL(to.href);
        if (callback.hostname === 'localhost') callback.hostname = '127.0.0.1';
        const r = await fetch(callback, { signal: AbortSignal.timeout(30000) });
        entry.callback = { status: r.status, text: await r.text() };
      })().catch((err) => { entry.error = err; });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/open`,
    opened,
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

/**
 * Starts `mcp-remote <serverUrl> <callbackPort> --transport <mode>` under an SDK stdio client
 * and connects (initialize through the proxy; OAuth happens on the way). Returns
 * {client, transport, stderr()}; mcp-remote's stderr also goes to target/e2e-artifacts/.
 */
async function runMcpRemote({ serverUrl, mode, callbackPort, configDir, home, hook, wrapper, logName }) {
  const log = createWriteStream(artifact(logName));
  const lines = [];
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [PROXY, serverUrl, String(callbackPort), '--transport', mode, '--auth-timeout', '60'],
    cwd: path.dirname(configDir),
    stderr: 'pipe',
    env: {
      HOME: home,
      MCP_REMOTE_CONFIG_DIR: configDir,
      BROWSER: wrapper,
      E2E_BROWSER_HOOK: hook.url,
      // No desktop session: xdg-open falls back to $BROWSER.
      DISPLAY: '',
      WAYLAND_DISPLAY: '',
      XDG_CURRENT_DESKTOP: '',
    },
  });
  transport.stderr.setEncoding('utf8');
  transport.stderr.on('data', (chunk) => { log.write(chunk); lines.push(...chunk.split('\n')); });
  const client = new Client({ name: `mcp-remote-e2e-${mode}`, version: '0' });
  try {
    await client.connect(transport, { timeout: CONNECT_TIMEOUT_MS });
  } catch (err) {
    await client.close().catch(() => {});
    log.end();
    const handoffs = hook.opened.map((o) => `${o.error ? `error: ${o.error.message}` : `callback ${o.callback?.status}`}`).join('; ');
    throw new Error(`mcp-remote (${mode}) did not connect: ${err.message}\nbrowser hand-offs: ${handoffs || 'none'}\n`
      + `mcp-remote stderr (last lines):\n${lines.filter(Boolean).slice(-25).join('\n')}`);
  }
  return {
    client,
    transport,
    stderr: () => lines.join('\n'),
    close: async () => { await client.close().catch(() => {}); log.end(); },
  };
}

const MODES = [
  { mode: 'sse-only', path: '/sse', connectedWith: 'SSEClientTransport' },
  { mode: 'http-only', path: '/mcp', connectedWith: 'StreamableHTTPClientTransport' },
  // mcp-remote's default: Streamable HTTP first. On /sse the authenticated POST gets 405, and it
  // falls back to GET /sse — what the Worker's 405 on POST /sse is for.
  { mode: 'http-first', path: '/sse', connectedWith: 'SSEClientTransport' },
];

for (const { mode, path: endpoint, connectedWith } of MODES) {
  describe(`mcp-remote ${MCP_REMOTE_VERSION} --transport ${mode} on ${endpoint}`, () => {
    let tmp;
    let configDir;
    let home;
    let wrapper;
    let hook;
    let callbackPort;
    const running = [];

    before(async () => {
      tmp = mkdtempSync(path.join(os.tmpdir(), `mcp-remote-e2e-${mode}-`));
      configDir = path.join(tmp, 'config');
      home = path.join(tmp, 'home');
      mkdirSync(configDir);
      mkdirSync(home);
      wrapper = path.join(tmp, 'browser.sh');
      writeFileSync(wrapper, `#!/bin/sh\nexec '${process.execPath}' '${HANDOFF}' "$@"\n`, { mode: 0o755 });
      hook = await startBrowserHook(ALICE);
      callbackPort = await freePort();
    });

    after(async () => {
      for (const r of running) await r.close();
      await hook?.close();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    const start = async (logName) => {
      const r = await runMcpRemote({
        serverUrl: url(endpoint), mode, callbackPort, configDir, home, hook, wrapper, logName,
      });
      running.push(r);
      return r;
    };

    test('signs in through the (stand-in) browser and completes tools/call', async () => {
      const r = await start(`mcp-remote-${mode}-1.log`);
      await Promise.all(hook.opened.map((o) => o.done));

      // The OAuth went through the browser once: sign-in, consent naming mcp-remote's loopback
      // callback, code delivered to mcp-remote's callback server.
      assert.equal(hook.opened.length, 1, `mcp-remote opened the browser once (${hook.opened.length})`);
      const [o] = hook.opened;
      assert.ifError(o.error);
      const authz = new URL(o.url);
      assert.equal(authz.origin + authz.pathname, `${ORIGIN}/authorize`, `opened the Worker's /authorize (${short(o.url)})`);
      assert.equal(authz.searchParams.get('resource'), url(endpoint), 'resource is the endpoint mcp-remote connects to');
      assert.equal(authz.searchParams.get('code_challenge_method'), 'S256');
      assert.equal(o.nav.signInPosted, 1, 'signed in at the emulator');
      assert.ok(o.nav.consent, 'consent was asked');
      assert.equal(o.nav.consent.redirectHost, `localhost:${callbackPort}`, 'the consent page names mcp-remote\'s callback');
      assert.equal(o.nav.redirect.pathname, '/oauth/callback');
      assert.ok(o.nav.params.code, 'a code for mcp-remote');
      assert.equal(o.callback.status, 200, `mcp-remote's callback accepted the code: ${short(o.callback.text)}`);

      assert.match(r.stderr(), new RegExp(`Connected to remote server using ${connectedWith}`),
        `mcp-remote connected with ${connectedWith}`);
      const { tools } = await r.client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), ALL_TOOLS, 'Alice sees all four tools through mcp-remote');

      const sum = await r.client.callTool({ name: 'add', arguments: { a: 19, b: 23 } });
      assert.match(expectToolOk(sum, 'add through mcp-remote'), /\b42\b/);
      const who = await r.client.callTool({ name: 'whoami', arguments: {} });
      assert.equal(who.structuredContent?.email, ALICE);
      assert.ok(who.structuredContent.permissions.includes(PERMISSION));
      expectPreviewImage(await r.client.callTool({ name: GATED_TOOL, arguments: { prompt: 'through mcp-remote' } }));

      // Tokens went to the temporary config dir, nothing to HOME.
      const stored = filesUnder(configDir);
      const tokenFile = stored.find((f) => f.endsWith('_tokens.json'));
      assert.ok(tokenFile, `mcp-remote stored tokens under MCP_REMOTE_CONFIG_DIR: ${stored.join(', ')}`);
      const tokens = JSON.parse(readFileSync(path.join(configDir, tokenFile), 'utf8'));
      assert.match(tokens.access_token ?? '', /^mcp_at_/, 'an access token of this Worker');
      assert.ok(statSync(path.join(configDir, tokenFile)).size > 0);
      assert.deepEqual(filesUnder(home), [], 'nothing written to HOME');
      await r.close();
    });

    test('a second run with the same config dir reuses the stored tokens: no browser', async () => {
      const before = hook.opened.length;
      const r = await start(`mcp-remote-${mode}-2.log`);
      const sum = await r.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
      assert.match(expectToolOk(sum, 'add on the second run'), /\b3\b/);
      assert.equal(hook.opened.length, before, 'no browser opened the second time');
      await r.close();
    });
  });
}
