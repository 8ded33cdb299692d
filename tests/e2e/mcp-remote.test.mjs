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
import os from 'node:os';
import path from 'node:path';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync, statSync } from 'node:fs';
import { ALICE } from './helpers.mjs';
import { HANDOFF, MCP_REMOTE_VERSION, freePort, runMcpRemote, startBrowserHook } from './mcp-remote-helpers.mjs';

const short = (s, n = 300) => String(s ?? '').replace(/\s+/g, ' ').slice(0, n);
import { Browser, ORIGIN, url, PERMISSION } from './oauth-helpers.mjs';
import { ALL_TOOLS, GATED_TOOL, expectToolOk, expectPreviewImage } from './mcp-helpers.mjs';

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

const MODES = [
  { mode: 'sse-only', path: '/sse', connectedWith: 'SSEClientTransport' },
  { mode: 'http-only', path: '/mcp', connectedWith: 'StreamableHTTPClientTransport' },
  // mcp-remote's default: Streamable HTTP first. On /sse the authenticated POST gets 405, and it
  // falls back to GET /sse — what the Worker's 405 on POST /sse is for.
  { mode: 'http-first', path: '/sse', connectedWith: 'SSEClientTransport' },
  // Dual-era: `--protocol auto` asks server/discover first. /mcp answers it (2026-07-28), so
  // mcp-remote answers the local handshake itself and sends every request the stateless way...
  { mode: 'http-only', protocol: 'auto', path: '/mcp', connectedWith: 'StreamableHTTPClientTransport', modern: true },
  // ...while the legacy SSE transport does not know it (-32601), so mcp-remote stays 2025-11-25.
  { mode: 'sse-only', protocol: 'auto', path: '/sse', connectedWith: 'SSEClientTransport', modern: false },
];

const MODERN_LOG = /Remote server speaks MCP 2026-07-28/;

for (const { mode, protocol, path: endpoint, connectedWith, modern } of MODES) {
  const name = `${mode}${protocol ? `-${protocol}` : ''}`;
  describe(`mcp-remote ${MCP_REMOTE_VERSION} --transport ${mode}${protocol ? ` --protocol ${protocol}` : ''} on ${endpoint}`, () => {
    let tmp;
    let configDir;
    let home;
    let wrapper;
    let hook;
    let callbackPort;
    const running = [];

    before(async () => {
      tmp = mkdtempSync(path.join(os.tmpdir(), `mcp-remote-e2e-${name}-`));
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
        serverUrl: url(endpoint), mode, protocol, callbackPort, configDir, home, hook, wrapper, logName,
      });
      running.push(r);
      return r;
    };

    test('signs in through the (stand-in) browser and completes tools/call', async () => {
      const r = await start(`mcp-remote-${name}-1.log`);
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
      if (protocol) {
        assert.equal(MODERN_LOG.test(r.stderr()), modern, `--protocol auto ${modern ? 'bridged to 2026-07-28' : 'stayed 2025-11-25'}`);
      }
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
      const r = await start(`mcp-remote-${name}-2.log`);
      const sum = await r.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
      assert.match(expectToolOk(sum, 'add on the second run'), /\b3\b/);
      assert.equal(hook.opened.length, before, 'no browser opened the second time');
      await r.close();
    });
  });
}
