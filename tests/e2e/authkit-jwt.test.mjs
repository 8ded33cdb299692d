// AuthKit mode, token verification (issue 5): the AuthKit-mode Worker (127.0.0.1:8789) accepts
// AuthKit access tokens — RS256 JWTs minted here by the AuthKit stand-in (dev/authkit.mjs) — on
// POST /mcp (`tools/list`: 200) and refuses everything else with 401 invalid_token: the matrix of
// issue 5 (expired, not yet valid, wrong iss/aud, alg none, HS256 keyed with the public key,
// tampered, no sub, unknown kid), then key rotation and JWKS outages.
//
// The tests in this file run in order and share the Worker's per-isolate JWKS cache. The first one
// can only observe "no keys cached" if nothing verified a token on this Worker before (the file
// sorts before authkit-sdk; the discovery and bridge files present no valid token); otherwise it
// is skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AUTHKIT_WORKER_URL, AUTHKIT_URL, AUTHKIT_AUDIENCE, mint, authkit, mcpCall, expectAccepted, expectRefused, resourceOf, until,
} from './authkit-helpers.mjs';

const now = () => Math.floor(Date.now() / 1000);
/** A JWT with its payload replaced (header and signature kept). */
const withPayload = (token, payload) => {
  const [h, , s] = token.split('.');
  return `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
};
const payloadOf = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));

test('no keys cached yet and the JWKS down: 503 with Retry-After, no fetch per request until then, and it recovers after Retry-After', async () => {
  // A failure, not a skip: a skip would quietly drop what this test covers.
  assert.deepEqual(await authkit.jwksFetches(), [],
    'the AuthKit-mode Worker fetched the JWKS before this test (an earlier file verified a token): run this file before any that does');
  const token = await mint();
  await authkit.jwksDown(true);
  let wait;
  try {
    const r = await mcpCall(token);
    assert.equal(r.status, 503, `JWKS unreachable and nothing cached: ${r.status} ${r.text.slice(0, 200)}`);
    wait = Number(r.headers.get('retry-after'));
    assert.ok(wait > 0, '503 carries Retry-After');
    assert.equal(r.json?.error, 'temporarily_unavailable');
  } finally {
    await authkit.jwksDown(false);
  }
  // The failed fetch paces the next: a request right after it is 503 without asking AuthKit.
  const fetches = (await authkit.jwksFetches()).length;
  assert.equal((await mcpCall(token)).status, 503, 'within Retry-After: not fetched again yet');
  assert.equal((await authkit.jwksFetches()).length, fetches, 'no fetch for it');
  await new Promise((resolve) => setTimeout(resolve, wait * 1000));
  await expectAccepted(token, 'the same token once Retry-After has passed');
});

test('a valid token is accepted: aud = the /mcp resource, the origin, the configured audience, or an array', async () => {
  const tools = await expectAccepted(await mint(), 'aud = …/mcp');
  assert.ok(tools.includes('whoami'), `tools: ${tools}`);
  await expectAccepted(await mint({ aud: AUTHKIT_WORKER_URL }), 'aud = the Worker origin');
  await expectAccepted(await mint({ aud: AUTHKIT_AUDIENCE }), `aud = ${AUTHKIT_AUDIENCE} (WORKOS_AUTHKIT_AUDIENCE)`);
  await expectAccepted(await mint({ aud: ['https://other.example', resourceOf('/mcp')] }), 'aud = [other, …/mcp]');
  // Claims as AuthKit (Connect) issues them: sid app_consent_…, client_id, scope, org_id.
  await expectAccepted(await mint({
    sid: 'app_consent_01JQ0E27WE4K1RCMH7Q094M1GJ',
    client_id: 'client_01MCP', scope: 'openid profile email offline_access',
  }), 'Connect-shaped claims');
});

test('exp and nbf: refused when expired or not yet valid, accepted within the 60 s leeway', async () => {
  await expectRefused(await mint({ iat: now() - 600, exp: now() - 120 }), 'expired 2 minutes ago');
  await expectRefused(await mint({ nbf: now() + 300 }), 'nbf 5 minutes ahead');
  await expectAccepted(await mint({ iat: now() - 330, exp: now() - 20 }), 'expired 20 s ago (within leeway)');
  await expectAccepted(await mint({ nbf: now() + 20 }), 'nbf 20 s ahead (within leeway)');
  await expectRefused(await mint({ exp: null }), 'no exp');
});

test('wrong iss is refused (another domain, a trailing slash, WorkOS API)', async () => {
  for (const iss of ['https://other.authkit.app', `${AUTHKIT_URL}/`, 'https://api.workos.com', 'http://127.0.0.1:4100']) {
    await expectRefused(await mint({ iss }), `iss ${iss}`);
  }
  await expectRefused(await mint({ iss: null }), 'no iss');
});

test('wrong aud is refused (another server, another endpoint, none)', async () => {
  await expectRefused(await mint({ aud: 'https://other.example/mcp' }), 'aud of another server');
  await expectRefused(await mint({ aud: 'http://127.0.0.1:8788/mcp' }), 'aud of the other (Worker-mode) server');
  await expectRefused(await mint({ aud: resourceOf('/sse') }), 'aud …/sse used on /mcp');
  await expectRefused(await mint({ aud: 'client_other' }), 'another client id');
  await expectRefused(await mint({ aud: null }), 'no aud');
  await expectRefused(await mint({ aud: [] }), 'aud []');
});

test('alg none, HS256 keyed with the public key, and a tampered payload are refused', async () => {
  await expectRefused(await mint({}, { alg: 'none' }), 'alg none');
  await expectRefused(await mint({}, { alg: 'HS256' }), 'HS256 with the public key as secret');
  const good = await mint({ permissions: [] });
  await expectAccepted(good, 'the untampered token');
  await expectRefused(withPayload(good, { ...payloadOf(good), permissions: ['image_generation'] }), 'payload with permissions added');
  await expectRefused(withPayload(good, { ...payloadOf(good), sub: 'user_someone_else' }), 'payload with another sub');
  const [h, p, s] = good.split('.');
  const flipped = s.slice(0, 10) + (s[10] === 'A' ? 'B' : 'A') + s.slice(11);
  await expectRefused(`${h}.${p}.${flipped}`, 'a changed signature');
  await expectRefused(`${h}.${p}`, 'two segments');
  await expectRefused('a.b.c', 'garbage');
});

test('a missing or empty sub is refused', async () => {
  await expectRefused(await mint({ sub: null }), 'no sub');
  await expectRefused(await mint({ sub: '' }), 'empty sub');
});

test('the steady state makes no JWKS fetch', async () => {
  const before = (await authkit.jwksFetches()).length;
  for (let i = 0; i < 5; i++) await expectAccepted(await mint(), `request ${i + 1}`);
  assert.equal((await authkit.jwksFetches()).length, before, 'no JWKS fetch for tokens signed with a cached key');
});

test('the JWKS down with keys cached: tokens keep being accepted', async () => {
  await authkit.jwksDown(true);
  try {
    await expectAccepted(await mint(), 'during a JWKS outage (503)');
    await authkit.jwksDown(true, { mode: 'drop' });
    await expectAccepted(await mint({ aud: AUTHKIT_AUDIENCE }), 'during a JWKS outage (connection dropped)');
    await expectRefused(await mint({ iss: 'https://other.authkit.app' }), 'still checked during the outage');
  } finally {
    await authkit.jwksDown(false);
  }
});

test('an unknown kid is refused; after a rotation the new key is picked up (at most one JWKS fetch a minute)', async () => {
  const unknown = await mint({}, { kid: 'key_not_published' });
  await expectRefused(unknown, 'kid not in the JWKS');
  const oldKey = await mint();

  const { kid } = await authkit.rotate();
  const rotated = await mint();
  assert.equal(JSON.parse(Buffer.from(rotated.split('.')[0], 'base64url')).kid, kid);
  const fetchesBefore = (await authkit.jwksFetches()).length;
  // The Worker refetches for an unknown kid, but not more than once a minute: poll until the
  // new key works (at most a minute after the last fetch), refusals meanwhile being 401s.
  const t0 = Date.now();
  const accepted = await until(async () => {
    const r = await mcpCall(rotated);
    if (r.status === 200) return true;
    assert.equal(r.status, 401, `while waiting for the refetch: ${r.status} ${r.text.slice(0, 200)}`);
    return false;
  }, { timeoutMs: 75000, intervalMs: 2000 });
  assert.ok(accepted, `the rotated key was not accepted within ${Math.round((Date.now() - t0) / 1000)} s`);
  const fetches = (await authkit.jwksFetches()).length - fetchesBefore;
  assert.ok(fetches >= 1 && fetches <= 2, `JWKS fetches while waiting: ${fetches} (polled every 2 s for ${Math.round((Date.now() - t0) / 1000)} s)`);

  await expectAccepted(oldKey, 'a token of the previous key (still published)');
  await expectRefused(unknown, 'the unknown kid still');
});
