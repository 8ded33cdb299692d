// Running mcp-remote (the stdio↔remote proxy Claude Desktop and others use) under the SDK's
// `StdioClientTransport`, with its browser hand-off played by the cookie-jar `Browser`
// (mcp-remote-browser.mjs passes the URL it would open to a hook here). Used by
// mcp-remote.test.mjs and connected-apps.test.mjs.
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { artifact } from './helpers.mjs';
import { Browser } from './oauth-helpers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROXY = path.join(ROOT, 'node_modules/mcp-remote/dist/proxy.js');
export const HANDOFF = path.join(ROOT, 'tests/e2e/mcp-remote-browser.mjs');
export const MCP_REMOTE_VERSION = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/mcp-remote/package.json'), 'utf8')).version;
const CONNECT_TIMEOUT_MS = 90000;

const short = (s, n = 300) => String(s ?? '').replace(/\s+/g, ' ').slice(0, n);

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

/**
 * The "browser" mcp-remote opens: a loopback hook that receives the authorization URL from
 * mcp-remote-browser.mjs and plays the person (sign-in as `loginHint`, consent), then delivers
 * the redirect to mcp-remote's callback. `opened` lists every hand-off with what happened.
 */
export async function startBrowserHook(loginHint) {
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
 * Starts `mcp-remote <serverUrl> <callbackPort> --transport <mode> [--protocol <protocol>]` under an SDK stdio client
 * and connects (initialize through the proxy; OAuth happens on the way). Returns
 * {client, transport, stderr()}; mcp-remote's stderr also goes to target/e2e-artifacts/.
 */
export async function runMcpRemote({ serverUrl, mode, protocol, callbackPort, configDir, home, hook, wrapper, logName }) {
  const log = createWriteStream(artifact(logName));
  const lines = [];
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [PROXY, serverUrl, String(callbackPort), '--transport', mode, ...(protocol ? ['--protocol', protocol] : []),
      '--auth-timeout', '60'],
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

/**
 * A place for one mcp-remote configuration: its own config dir and HOME (never the user's), the
 * browser wrapper, the hook signing in as `loginHint`, and a free callback port.
 */
export async function mcpRemoteSandbox(name, loginHint) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), `mcp-remote-e2e-${name}-`));
  const configDir = path.join(tmp, 'config');
  const home = path.join(tmp, 'home');
  mkdirSync(configDir);
  mkdirSync(home);
  const wrapper = path.join(tmp, 'browser.sh');
  writeFileSync(wrapper, `#!/bin/sh\nexec '${process.execPath}' '${HANDOFF}' "$@"\n`, { mode: 0o755 });
  const hook = await startBrowserHook(loginHint);
  const callbackPort = await freePort();
  return {
    configDir, home, wrapper, hook, callbackPort,
    cleanup: async () => { await hook.close(); rmSync(tmp, { recursive: true, force: true }); },
  };
}
