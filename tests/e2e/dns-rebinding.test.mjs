// DNS rebinding: a web page that points its own name at this (local) server reaches it with
// `Host: <its name>` and `Origin: http://<its name>`. The server takes its origin from the Host
// only when it is a loopback name (or, in production, from PUBLIC_ORIGIN / Cloudflare's routes):
// a foreign Host on a request from this machine is refused with 421 before anything else, even
// with a valid token, and never echoed in a discovery document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { WORKER_URL } from './helpers.mjs';
import { accessToken } from './mcp-helpers.mjs';

const target = new URL(WORKER_URL);

/** A request to the Worker with a Host of our choosing (fetch does not let one set Host). */
function raw(method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: target.hostname, port: target.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e', version: '0' } } });

test('a rebound name is refused with 421 before anything else, even with a valid token', async () => {
  const { token } = await accessToken();
  const evil = 'evil.example.com:8788';
  const mcp = await raw('POST', '/mcp', {
    host: evil, origin: `http://${evil}`, authorization: `Bearer ${token}`,
    'content-type': 'application/json', accept: 'application/json, text/event-stream',
  }, INIT);
  assert.equal(mcp.status, 421, mcp.text);
  for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-authorization-server', '/login', '/nowhere']) {
    const r = await raw('GET', path, { host: evil });
    assert.equal(r.status, 421, `${path}: ${r.status}`);
    assert.doesNotMatch(r.text, /evil/, `${path}: the host is not echoed`);
  }
  // The same requests under the server's own (loopback) name work.
  const ok = await raw('POST', '/mcp', {
    host: target.host, authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream',
  }, INIT);
  assert.equal(ok.status, 200, ok.text);
  const prm = await raw('GET', '/.well-known/oauth-protected-resource/mcp', { host: target.host });
  assert.equal(JSON.parse(prm.text).resource, `${WORKER_URL}/mcp`);
});

test('a rebound page that forges a public client address is refused all the same', async () => {
  // wrangler dev keeps a CF-Connecting-IP the request brings (Cloudflare's edge would replace
  // it), and a rebound page is same-origin with the server, so it may send one.
  const evil = 'rebind.example.net:8788';
  for (const path of ['/.well-known/oauth-authorization-server', '/login', '/register']) {
    const r = await raw(path === '/register' ? 'POST' : 'GET', path, {
      host: evil, origin: `http://${evil}`, 'cf-connecting-ip': '203.0.113.7', 'content-type': 'application/json',
    }, path === '/register' ? JSON.stringify({ redirect_uris: [`http://${evil}/cb`] }) : undefined);
    assert.equal(r.status, 421, `${path}: ${r.status} ${r.text.slice(0, 200)}`);
    assert.doesNotMatch(r.text, /rebind/, `${path}: the host is not echoed`);
  }
});

test('loopback names are all this server: localhost works as well as 127.0.0.1', async () => {
  const r = await raw('GET', '/.well-known/oauth-protected-resource', { host: `localhost:${target.port}` });
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.text).resource, `http://localhost:${target.port}`);
});
