// The test harness itself: the seeded WorkOS emulator behind the front (dev/emulator.mjs,
// dev/front.mjs). Needs no Worker, so it also runs on its own:
//   node --test tests/e2e/workos-stack.test.mjs     (starts a stack on 4100/4101 if WORKOS_URL is unset)
// Under tests/e2e/run.mjs it checks the stack the Worker uses, so a broken fault injection or
// audit stand-in shows up here rather than as a puzzling Worker failure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { createFront } from '../../dev/front.mjs';

let stack; // only when this file started its own
let WORKOS;
let ORG;
let GLOBEX;
let USERS;
const API_KEY = 'sk_test_default';
const CLIENT_ID = 'client_01LOCALEMULATOR';

before(async () => {
  if (process.env.WORKOS_URL) {
    WORKOS = process.env.WORKOS_URL;
    ORG = process.env.ACME_ORG_ID;
    GLOBEX = process.env.GLOBEX_ORG_ID;
    USERS = { alice: process.env.ALICE_ID, bob: process.env.BOB_ID, carol: process.env.CAROL_ID };
  } else {
    const { startWorkosStack } = await import('../../dev/emulator.mjs');
    stack = await startWorkosStack({});
    WORKOS = stack.url;
    ORG = stack.seeded.organizationId;
    GLOBEX = stack.seeded.globexOrganizationId;
    USERS = { alice: stack.seeded.users.alice.id, bob: stack.seeded.users.bob.id, carol: stack.seeded.users.carol.id };
  }
});
after(async () => {
  await ctl('POST', 'fault', { mode: 'ok' }).catch(() => {});
  await stack?.stop();
});

async function ctl(method, p, body) {
  const r = await fetch(`${WORKOS}/__control/${p}`, { method, body: body && JSON.stringify(body), signal: AbortSignal.timeout(5000) });
  return { status: r.status, body: await r.json() };
}

const audit = (body, headers = {}) => fetch(`${WORKOS}/audit_logs/events`, {
  method: 'POST',
  headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

const validEvent = () => ({
  organization_id: ORG,
  event: {
    action: 'user.signed_in', occurred_at: new Date().toISOString(), version: 1,
    actor: { id: USERS.alice, type: 'user', name: 'Alice Admin' },
    targets: [{ id: USERS.alice, type: 'user' }],
    context: { location: '127.0.0.1', user_agent: 'stack-test' },
  },
});

const jwtClaims = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
const authenticateRaw = (body) => fetch(`${WORKOS}/user_management/authenticate`, {
  method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ client_id: CLIENT_ID, client_secret: API_KEY, ...body }),
});

/** A code for `email` from /user_management/authorize (extra query: e.g. organization_id). */
async function codeFor(email, extra = {}) {
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    client_id: CLIENT_ID, provider: 'authkit', response_type: 'code', state: 'st', login_hint: email,
    redirect_uri: 'http://127.0.0.1:8788/callback', code_challenge_method: 'S256',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), ...extra,
  });
  const redirect = await fetch(`${WORKOS}/user_management/authorize?${q}`, { redirect: 'manual' });
  assert.equal(redirect.status, 302);
  return { code: new URL(redirect.headers.get('location')).searchParams.get('code'), verifier };
}

/** authorize → code → authenticate → org-scoped refresh, through the front; returns token claims. */
async function orgClaims(email) {
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    client_id: CLIENT_ID, provider: 'authkit', response_type: 'code', state: 'st', login_hint: email,
    redirect_uri: 'http://127.0.0.1:8788/callback', code_challenge_method: 'S256',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
  });
  const redirect = await fetch(`${WORKOS}/user_management/authorize?${q}`, { redirect: 'manual' });
  assert.equal(redirect.status, 302);
  const location = new URL(redirect.headers.get('location'));
  assert.equal(`${location.origin}${location.pathname}`, 'http://127.0.0.1:8788/callback', 'Location passes through untouched');
  assert.equal(location.searchParams.get('state'), 'st');
  const authenticate = (body) => fetch(`${WORKOS}/user_management/authenticate`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: CLIENT_ID, client_secret: API_KEY, ...body }),
  }).then(async (r) => { assert.equal(r.status, 200, await r.clone().text()); return r.json(); });
  const first = await authenticate({ grant_type: 'authorization_code', code: location.searchParams.get('code'), code_verifier: verifier });
  const scoped = await authenticate({ grant_type: 'refresh_token', refresh_token: first.refresh_token, organization_id: ORG });
  return JSON.parse(Buffer.from(scoped.access_token.split('.')[1], 'base64url').toString());
}

test('seeded: Alice is admin with image_generation, Bob member without, both in Acme', async () => {
  const alice = await orgClaims('alice@example.com');
  assert.equal(alice.sub, USERS.alice);
  assert.equal(alice.org_id, ORG);
  assert.equal(alice.role, 'admin');
  assert.deepEqual(alice.permissions, ['image_generation']);
  const bob = await orgClaims('bob@example.com');
  assert.equal(bob.sub, USERS.bob);
  assert.equal(bob.role, 'member');
  assert.ok(!(bob.permissions ?? []).includes('image_generation'));
  const org = await fetch(`${WORKOS}/organizations/${ORG}`, { headers: { authorization: `Bearer ${API_KEY}` } }).then((r) => r.json());
  assert.equal(org.name, 'Acme');
});

test('audit stand-in: 401 without the key, 422 per missing field, 400 bad date, 404 unknown org', async () => {
  await ctl('DELETE', 'audit-events');
  // Deliberately invalid requests test the stand-in's own answers: the contract check steps aside.
  const skip = { 'x-contract': 'skip' };
  let r = await fetch(`${WORKOS}/audit_logs/events`, { method: 'POST', body: JSON.stringify(validEvent()), headers: skip });
  assert.equal(r.status, 401);
  assert.deepEqual(await r.json(), { message: 'Unauthorized', code: 'unauthorized' });

  const noAction = validEvent();
  delete noAction.event.action;
  delete noAction.event.context.location;
  r = await audit(noAction, skip);
  assert.equal(r.status, 422);
  assert.deepEqual(await r.json(), { message: 'Validation failed.', errors: [
    { code: 'required', field: 'event.action' }, { code: 'required', field: 'event.context.location' }] });

  const badDate = validEvent();
  badDate.event.occurred_at = 'yesterday';
  r = await audit(badDate, skip);
  assert.equal(r.status, 400);
  assert.equal((await r.json()).code, 'invalid_audit_log_event');

  r = await audit({ ...validEvent(), organization_id: 'org_01NOSUCHORG' });
  assert.equal(r.status, 404);
  assert.deepEqual(await r.json(), { message: "Organization not found: 'org_01NOSUCHORG'." });

  assert.deepEqual((await ctl('GET', 'audit-events')).body.events, [], 'refused events are not recorded');
});

test('audit stand-in: valid event → 200 {success:true}, recorded once per Idempotency-Key', async () => {
  await ctl('DELETE', 'audit-events');
  const body = validEvent();
  for (let i = 0; i < 3; i++) {
    const r = await audit(body, { 'idempotency-key': 'stack-test-key-1', 'x-extra': 'kept' });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { success: true });
  }
  const { events } = (await ctl('GET', 'audit-events')).body;
  assert.equal(events.length, 1);
  assert.deepEqual(events[0].event, body.event);
  assert.equal(events[0].organization_id, ORG);
  assert.equal(events[0].headers['idempotency-key'], 'stack-test-key-1');
  assert.equal(events[0].headers['x-extra'], 'kept');
  assert.equal(events[0].headers.authorization, undefined, 'the API key is not recorded');

  // A different key is a different event; the same key keeps its first answer even if retried.
  assert.equal((await audit(body, { 'idempotency-key': 'stack-test-key-2' })).status, 200);
  assert.equal((await ctl('GET', 'audit-events')).body.events.length, 2);
  await ctl('DELETE', 'audit-events');
  assert.equal((await ctl('GET', 'audit-events')).body.events.length, 0);
});

test('fault down: the matching path gets no answer at all; others still work', async () => {
  await ctl('DELETE', 'requests');
  assert.equal((await ctl('POST', 'fault', { mode: 'down', paths: ['/user_management/authenticate'] })).status, 200);
  await assert.rejects(fetch(`${WORKOS}/user_management/authenticate`, { method: 'POST', body: '{}' }), TypeError);
  assert.equal((await fetch(`${WORKOS}/health`)).status, 200);
  await ctl('POST', 'fault', { mode: 'ok' });
  const reqs = (await ctl('GET', 'requests')).body.requests;
  assert.deepEqual(reqs.map((r) => [r.method, r.path, r.status, r.by]), [
    ['POST', '/user_management/authenticate', null, 'fault:down'],
    ['GET', '/health', 200, 'emulator'],
  ]);
});

test('fault status: 429 with Retry-After and the WorkOS body; 503; times limits it', async () => {
  await ctl('POST', 'fault', { mode: 'status', status: 429, retryAfter: '7' });
  let r = await fetch(`${WORKOS}/user_management/users`);
  assert.equal(r.status, 429);
  assert.equal(r.headers.get('retry-after'), '7');
  assert.deepEqual(await r.json(), { message: 'Too many requests.', code: 'rate_limit_exceeded' });

  await ctl('POST', 'fault', { mode: 'status', status: 503, times: 1 });
  r = await fetch(`${WORKOS}/health`);
  assert.equal(r.status, 503);
  assert.deepEqual(await r.json(), { message: 'Internal Server Error' });
  assert.equal((await fetch(`${WORKOS}/health`)).status, 200, 'back to ok after `times`');
  assert.deepEqual((await ctl('GET', 'fault')).body.fault, { mode: 'ok' });

  assert.equal((await ctl('POST', 'fault', { mode: 'nonsense' })).status, 400);
});

test('fault slow: answers after delayMs', async () => {
  await ctl('POST', 'fault', { mode: 'slow', delayMs: 700, paths: ['/health'] });
  const t0 = Date.now();
  assert.equal((await fetch(`${WORKOS}/health`)).status, 200);
  assert.ok(Date.now() - t0 >= 650, `took ${Date.now() - t0} ms`);
  await ctl('POST', 'fault', { mode: 'ok' });
});

test('a failed audit call is not remembered under its Idempotency-Key: the retry is recorded', async () => {
  await ctl('DELETE', 'audit-events');
  await ctl('POST', 'fault', { mode: 'status', status: 429, retryAfter: '1', times: 1, paths: ['/audit_logs/events'] });
  assert.equal((await audit(validEvent(), { 'idempotency-key': 'retry-key' })).status, 429);
  assert.equal((await audit(validEvent(), { 'idempotency-key': 'retry-key' })).status, 200);
  assert.equal((await ctl('GET', 'audit-events')).body.events.length, 1);
});

test('forwarding is verbatim: method, path+query, headers, body; status, Location, every Set-Cookie', async () => {
  // A stand-in upstream that echoes what it received, so nothing depends on the emulator here.
  const upstream = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(302, [
        'Location', 'http://127.0.0.1:8788/callback?code=c&state=s',
        'Set-Cookie', 'a=1; Path=/; HttpOnly',
        'Set-Cookie', 'b=2; Path=/; Max-Age=0',
        'X-Echo', JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }),
      ]);
      res.end('moved');
    });
  });
  await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
  const front = createFront({ upstream: `http://127.0.0.1:${upstream.address().port}`, apiKey: API_KEY, contract: false });
  const port = await front.listen(0);
  try {
    const r = await fetch(`http://127.0.0.1:${port}/some/path?x=1&y=%2F`, {
      method: 'PUT', redirect: 'manual', body: '{"hello":"world"}',
      headers: { authorization: 'Bearer sk_x', 'content-type': 'application/json', 'x-custom': 'v' },
    });
    assert.equal(r.status, 302);
    assert.equal(r.headers.get('location'), 'http://127.0.0.1:8788/callback?code=c&state=s');
    assert.deepEqual(r.headers.getSetCookie(), ['a=1; Path=/; HttpOnly', 'b=2; Path=/; Max-Age=0']);
    assert.equal(await r.text(), 'moved');
    const echo = JSON.parse(r.headers.get('x-echo'));
    assert.equal(echo.method, 'PUT');
    assert.equal(echo.url, '/some/path?x=1&y=%2F');
    assert.equal(echo.body, '{"hello":"world"}');
    assert.equal(echo.headers.authorization, 'Bearer sk_x');
    assert.equal(echo.headers['x-custom'], 'v');
    assert.deepEqual(front.control.requests().map((e) => [e.method, e.path, e.status]), [['PUT', '/some/path', 302]]);
  } finally {
    await front.close();
    await new Promise((r) => upstream.close(r));
  }
});

// ---- where the front answers as production WorkOS does (dev/workos-corrections.mjs) -------------

test('code exchange: one membership is scoped to it; several ask which (organization_selection_required)', async () => {
  const alice = await codeFor('alice@example.com');
  const a = await authenticateRaw({ grant_type: 'authorization_code', code: alice.code, code_verifier: alice.verifier });
  assert.equal(a.status, 200);
  const scoped = await a.json();
  assert.equal(scoped.organization_id, ORG, 'the only membership');
  assert.equal(jwtClaims(scoped.access_token).org_id, ORG);
  assert.deepEqual(jwtClaims(scoped.access_token).permissions, ['image_generation']);

  const carol = await codeFor('carol@example.com');
  const c = await authenticateRaw({ grant_type: 'authorization_code', code: carol.code, code_verifier: carol.verifier });
  assert.equal(c.status, 403);
  const pending = await c.json();
  assert.equal(pending.code, 'organization_selection_required');
  assert.equal(pending.user.id, USERS.carol);
  assert.deepEqual(pending.organizations.map((o) => o.name).sort(), ['Acme', 'Globex']);
  assert.ok(pending.pending_authentication_token?.startsWith('pending_'));

  const select = (organization_id) => authenticateRaw({
    grant_type: 'urn:workos:oauth:grant-type:organization-selection', pending_authentication_token: pending.pending_authentication_token, organization_id,
  });
  const chosen = await select(GLOBEX);
  assert.equal(chosen.status, 200);
  const g = await chosen.json();
  assert.equal(g.organization_id, GLOBEX);
  assert.equal(jwtClaims(g.access_token).role, 'member');
  const again = await select(GLOBEX);
  assert.equal(again.status, 400, 'a pending token is good once');
  assert.equal((await again.json()).code, 'invalid_pending_authentication_token');

  // The organization named at authorize scopes the exchange without asking.
  const named = await codeFor('carol@example.com', { organization_id: ORG });
  const n = await authenticateRaw({ grant_type: 'authorization_code', code: named.code, code_verifier: named.verifier });
  assert.equal(n.status, 200);
  assert.equal((await n.json()).organization_id, ORG);
});

test('an organization not offered is refused: invalid_organization_id', async () => {
  const carol = await codeFor('carol@example.com');
  const pending = await (await authenticateRaw({ grant_type: 'authorization_code', code: carol.code, code_verifier: carol.verifier })).json();
  const r = await authenticateRaw({ grant_type: 'urn:workos:oauth:grant-type:organization-selection', pending_authentication_token: pending.pending_authentication_token, organization_id: 'org_01NOTHERS' });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).code, 'invalid_organization_id');
});

test('a membership carries its user, as the document requires', async () => {
  const r = await fetch(`${WORKOS}/user_management/organization_memberships?user_id=${USERS.carol}&statuses=active`, { headers: { authorization: `Bearer ${API_KEY}` } });
  assert.equal(r.status, 200);
  const { data } = await r.json();
  assert.equal(data.length, 2);
  for (const m of data) {
    assert.equal(m.user?.id, USERS.carol);
    assert.equal(m.user.email, 'carol@example.com');
    assert.equal(m.directory_managed, false);
  }
});

test('a role carries its permissions, as the document requires', async () => {
  const r = await fetch(`${WORKOS}/authorization/roles/admin`, { headers: { authorization: `Bearer ${API_KEY}` } });
  assert.equal(r.status, 200);
  const role = await r.json();
  assert.equal(role.slug, 'admin');
  assert.deepEqual(role.permissions, ['image_generation']);
});

test('audit events are validated against the dashboard\'s action schemas', async () => {
  await ctl('DELETE', 'audit-events');
  const body = validEvent();
  body.event.action = 'report.exported';
  let r = await audit(body);
  assert.equal(r.status, 400);
  const refused = await r.json();
  assert.equal(refused.code, 'invalid_audit_log_event');
  assert.equal(refused.errors[0].instancePath, '/action');
  assert.equal((await ctl('PUT', 'audit-schemas', { action: 'report.exported', targets: ['report'] })).status, 200);
  r = await audit(body);
  assert.equal(r.status, 400, 'a target type the schema does not list');
  assert.equal((await r.json()).errors[0].instancePath, '/targets/0/type');
  body.event.targets = [{ id: 'rep_1', type: 'report' }];
  assert.equal((await audit(body)).status, 200);
  await ctl('PUT', 'audit-schemas', { action: 'report.exported', targets: null });
  assert.equal((await ctl('GET', 'audit-events')).body.events.length, 1);
});
