// AuthKit mode, discovery (issue 5): the AuthKit-mode Worker (127.0.0.1:8789) is only a resource
// server. Its protected-resource documents name the AuthKit domain (the stand-in,
// http://127.0.0.1:4102) as the authorization server; /.well-known/oauth-authorization-server is
// AuthKit's own RFC 8414 document; the Worker's /register, /authorize, /token and /revoke are not
// offered; a 401 points at the endpoint's own resource document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readResponse, parseChallenge } from './oauth-helpers.mjs';
import { AUTHKIT_WORKER_URL, AUTHKIT_URL, PRM_PATH, AS_METADATA_PATH, akUrl } from './authkit-helpers.mjs';

const getJson = async (u) => readResponse(await fetch(u, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10000) }));

test('protected-resource metadata: root, /mcp and /sse name the AuthKit domain as authorization server', async () => {
  for (const [suffix, resource] of [['', AUTHKIT_WORKER_URL], ['/mcp', akUrl('/mcp')], ['/sse', akUrl('/sse')]]) {
    const r = await getJson(akUrl(`${PRM_PATH}${suffix}`));
    assert.equal(r.status, 200, `GET ${PRM_PATH}${suffix} → ${r.status}: ${r.text.slice(0, 200)}`);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(r.json.resource, resource, `GET ${PRM_PATH}${suffix}: resource`);
    assert.deepEqual(r.json.authorization_servers, [AUTHKIT_URL], `GET ${PRM_PATH}${suffix}: authorization_servers`);
    assert.deepEqual(r.json.bearer_methods_supported, ['header'], `GET ${PRM_PATH}${suffix}: bearer_methods_supported`);
  }
  const other = await getJson(akUrl(`${PRM_PATH}/other`));
  assert.equal(other.status, 404, `GET ${PRM_PATH}/other → ${other.status}`);
});

test("/.well-known/oauth-authorization-server is AuthKit's RFC 8414 document", async () => {
  const [ours, authkits] = await Promise.all([getJson(akUrl(AS_METADATA_PATH)), getJson(`${AUTHKIT_URL}${AS_METADATA_PATH}`)]);
  assert.equal(ours.status, 200, `GET ${AS_METADATA_PATH} → ${ours.status}: ${ours.text.slice(0, 300)}`);
  assert.match(ours.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(authkits.status, 200);
  assert.deepEqual(ours.json, authkits.json, 'the same document as AuthKit serves');
  // The RFC 8414 one, not the OpenID one (which lacks these).
  assert.equal(ours.json.issuer, AUTHKIT_URL);
  assert.equal(ours.json.registration_endpoint, `${AUTHKIT_URL}/oauth2/register`);
  assert.equal(ours.json.client_id_metadata_document_supported, true);
  assert.deepEqual(ours.json.code_challenge_methods_supported, ['S256']);
});

test("the Worker's own authorization-server endpoints answer 404", async () => {
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const calls = [
    ['POST', '/register', { 'content-type': 'application/json' }, JSON.stringify({ redirect_uris: ['http://localhost:33418/cb'] })],
    ['GET', '/authorize?response_type=code&client_id=x&redirect_uri=http%3A%2F%2Flocalhost%3A33418%2Fcb&code_challenge=abc&code_challenge_method=S256', {}, undefined],
    ['POST', '/authorize', form, 'x=1'],
    ['POST', '/token', form, 'grant_type=authorization_code&code=x'],
    ['POST', '/revoke', form, 'token=x'],
  ];
  for (const [method, p, headers, body] of calls) {
    const res = await fetch(akUrl(p), { method, headers: { origin: AUTHKIT_WORKER_URL, ...headers }, body, redirect: 'manual', signal: AbortSignal.timeout(10000) });
    await res.arrayBuffer();
    assert.equal(res.status, 404, `${method} ${p.split('?')[0]} → ${res.status}`);
  }
});

test('a 401 on /mcp and /sse names the endpoint\'s resource document (no token, then a garbage token)', async () => {
  for (const [p, method] of [['/mcp', 'POST'], ['/sse', 'GET']]) {
    const res = await fetch(akUrl(p), {
      method,
      headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
      body: method === 'POST' ? JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) : undefined,
      signal: AbortSignal.timeout(10000),
    });
    await res.arrayBuffer();
    assert.equal(res.status, 401, `${method} ${p} without a token → ${res.status}`);
    const header = res.headers.get('www-authenticate');
    assert.equal(header, `Bearer resource_metadata="${akUrl(`${PRM_PATH}${p}`)}"`, `${method} ${p}: WWW-Authenticate`);
  }
  const res = await fetch(akUrl('/mcp'), {
    method: 'POST',
    headers: { authorization: 'Bearer not-a-jwt', accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    signal: AbortSignal.timeout(10000),
  });
  const r = await readResponse(res);
  assert.equal(r.status, 401);
  const c = parseChallenge(res.headers.get('www-authenticate'));
  assert.equal(c.params.resource_metadata, akUrl(`${PRM_PATH}/mcp`));
  assert.equal(c.params.error, 'invalid_token');
  assert.equal(r.json?.error, 'invalid_token');
});
