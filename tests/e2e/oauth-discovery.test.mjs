// Discovery (RFC 8414, RFC 9728) and CORS: the documents an MCP client reads before anything
// else, exactly as published, and the CORS answers a browser-based client (the Workers AI
// playground) needs on every endpoint it calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ORIGIN, url, PRM_PATH, AS_METADATA_PATH, EXPECTED_AS_METADATA, expectedResourceMetadata, readResponse,
  callProtected, tokenRequest, register,
} from './oauth-helpers.mjs';

const BROWSER_ORIGIN = 'https://playground.ai.cloudflare.com';

async function getJson(path, headers = {}) {
  const r = await readResponse(await fetch(url(path), { headers: { accept: 'application/json', ...headers }, signal: AbortSignal.timeout(10000) }));
  return r;
}

function expectJsonDocument(r, path) {
  assert.equal(r.status, 200, `GET ${path} → ${r.status}: ${r.text.slice(0, 200)}`);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/, `GET ${path}: JSON`);
  assert.ok(r.json, `GET ${path}: parses as JSON`);
}

test('authorization-server metadata (RFC 8414) is exactly the published document', async () => {
  const r = await getJson(AS_METADATA_PATH);
  expectJsonDocument(r, AS_METADATA_PATH);
  assert.deepEqual(r.json, EXPECTED_AS_METADATA);
});

test('protected-resource metadata (RFC 9728): root → origin, /mcp → …/mcp, /sse → …/sse', async () => {
  for (const [suffix, resource] of [['', ORIGIN], ['/mcp', url('/mcp')], ['/sse', url('/sse')]]) {
    const path = `${PRM_PATH}${suffix}`;
    const r = await getJson(path);
    expectJsonDocument(r, path);
    const { resource_name: name, ...rest } = r.json;
    assert.deepEqual(rest, expectedResourceMetadata(resource), `GET ${path}`);
    assert.equal(typeof name, 'string', `GET ${path}: resource_name`);
    assert.ok(name.trim(), `GET ${path}: resource_name is not empty`);
  }
});

test('protected-resource metadata for any other suffix → 404', async () => {
  for (const suffix of ['/other', '/mcpx', '/mcp/x', '/ssex', '/.well-known']) {
    const r = await getJson(`${PRM_PATH}${suffix}`);
    assert.equal(r.status, 404, `GET ${PRM_PATH}${suffix} → ${r.status}`);
  }
});

// ---- CORS ----------------------------------------------------------------------------------------

const PREFLIGHTS = [
  [AS_METADATA_PATH, 'GET', 'mcp-protocol-version'],
  [PRM_PATH, 'GET', 'mcp-protocol-version'],
  [`${PRM_PATH}/mcp`, 'GET', 'mcp-protocol-version'],
  [`${PRM_PATH}/sse`, 'GET', 'mcp-protocol-version'],
  ['/register', 'POST', 'content-type'],
  ['/token', 'POST', 'content-type, authorization'],
  ['/revoke', 'POST', 'content-type, authorization'],
  ['/mcp', 'POST', 'authorization, content-type, mcp-protocol-version, mcp-session-id'],
  ['/mcp', 'POST', 'authorization, content-type, mcp-protocol-version, mcp-method, mcp-name'], // 2026-07-28
  ['/mcp', 'GET', 'authorization, mcp-protocol-version, mcp-session-id, last-event-id'],
  ['/sse', 'GET', 'authorization, last-event-id'],
  ['/sse/message', 'POST', 'authorization, content-type, mcp-protocol-version'],
];

const list = (h) => (h ?? '').split(',').map((x) => x.trim().toLowerCase()).filter(Boolean);

for (const [path, method, requestHeaders] of PREFLIGHTS) {
  test(`CORS preflight ${method} ${path}: allowed for a browser origin`, async () => {
    const res = await fetch(url(path), {
      method: 'OPTIONS',
      headers: { origin: BROWSER_ORIGIN, 'access-control-request-method': method, 'access-control-request-headers': requestHeaders },
      signal: AbortSignal.timeout(10000),
    });
    await res.text();
    assert.ok(res.status >= 200 && res.status < 300, `OPTIONS ${path} → ${res.status}`);
    assert.equal(res.headers.get('access-control-allow-origin'), BROWSER_ORIGIN, 'Allow-Origin echoes the Origin');
    const methods = list(res.headers.get('access-control-allow-methods'));
    assert.ok(methods.includes(method.toLowerCase()) || methods.includes('*'), `Allow-Methods ${methods} includes ${method}`);
    const allowed = list(res.headers.get('access-control-allow-headers'));
    for (const h of list(requestHeaders)) {
      assert.ok(allowed.includes(h), `Allow-Headers (${allowed.join(', ')}) includes ${h}`);
    }
  });
}

/** The CORS headers of an actual (non-preflight) answer. */
function expectCors(res, what) {
  assert.equal(res.headers.get('access-control-allow-origin'), BROWSER_ORIGIN, `${what}: Allow-Origin echoes the Origin`);
  const exposed = list(res.headers.get('access-control-expose-headers'));
  for (const h of ['www-authenticate', 'mcp-session-id']) {
    assert.ok(exposed.includes(h), `${what}: Expose-Headers (${exposed.join(', ')}) includes ${h}`);
  }
  assert.ok(list(res.headers.get('vary')).includes('origin'), `${what}: Vary: Origin (the answer depends on it)`);
}

test('CORS on the actual answers: metadata, /register, /token, /revoke, and the 401 of /mcp, /sse, /sse/message', async () => {
  const origin = { origin: BROWSER_ORIGIN };
  for (const path of [AS_METADATA_PATH, PRM_PATH, `${PRM_PATH}/mcp`, `${PRM_PATH}/sse`]) {
    const r = await getJson(path, origin);
    expectJsonDocument(r, path);
    expectCors(r, `GET ${path}`);
  }
  expectCors(await register({ redirect_uris: ['javascript:alert(1)'] }, origin), 'POST /register (refused)');
  expectCors(await tokenRequest({ grant_type: 'refresh_token', refresh_token: 'nope', client_id: 'nope' }, { headers: origin }), 'POST /token (refused)');
  expectCors(await tokenRequest({ token: 'nope', client_id: 'nope' }, { headers: origin, path: '/revoke' }), 'POST /revoke');
  for (const path of ['/mcp', '/sse', '/sse/message']) {
    const r = await callProtected(path, undefined, { headers: origin });
    assert.equal(r.status, 401, `${path} without a token`);
    expectCors(r, `${path} 401`);
  }
});
