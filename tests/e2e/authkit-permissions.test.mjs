// AuthKit mode, permissions from WorkOS: AuthKit (Connect) access tokens name `org_id` but, by
// default, no role, permissions, email or name. The AuthKit-mode Worker then reads the user's
// membership and its role's permissions from WorkOS's management API (here the emulator, behind
// the front on 4100), caches the answer (per isolate and in KV), and gates tools exactly as in
// the Worker's own mode.
//
// Each test creates its own user in the emulator, so the front's request log tells which lookups
// the Worker made for that user alone.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ACME_ORG_ID, control, waitFor } from './helpers.mjs';
import { workosApi } from './oauth-helpers.mjs';
import { GATED_TOOL } from './mcp-helpers.mjs';
import { mint, mcpCall, authkit } from './authkit-helpers.mjs';

const PERMISSION = 'image_generation';

after(() => control.resetFault());

/** A new emulator user with an active membership in Acme. */
async function newMember(role, firstName = 'Carol') {
  assert.ok(ACME_ORG_ID, 'run under tests/e2e/run.mjs (ACME_ORG_ID)');
  const tag = randomBytes(4).toString('hex');
  const user = await workosApi('POST', '/user_management/users', { email: `${firstName.toLowerCase()}-${tag}@example.com`, first_name: firstName, last_name: tag });
  const m = await workosApi('POST', '/user_management/organization_memberships', { user_id: user.id, organization_id: ACME_ORG_ID, role_slug: role });
  return { ...user, membershipId: m.id, displayName: `${firstName} ${tag}` };
}

/** A token shaped like AuthKit's Connect tokens: no role, permissions, email or name. */
const connectToken = (user, extra = {}) => mint({
  sub: user.id, org_id: ACME_ORG_ID, sid: 'app_consent_01PERMS', client_id: 'client_01MCPCLIENT',
  scope: 'openid profile email offline_access', ...extra,
});

async function toolNames(token) {
  const r = await mcpCall(token, 'tools/list');
  assert.equal(r.status, 200, `tools/list → ${r.status} ${r.text}`);
  return r.json.result.tools.map((t) => t.name);
}

async function whoami(token) {
  const r = await mcpCall(token, 'tools/call', { name: 'whoami', arguments: {} });
  assert.equal(r.status, 200, `whoami → ${r.status} ${r.text}`);
  assert.ok(r.json.result?.structuredContent, `whoami structuredContent: ${r.text}`);
  return r.json.result;
}

/** The WorkOS calls the Worker made about `user` (memberships by user_id, the user by id). */
async function lookupsFor(user) {
  return (await control.requests()).filter((r) => r.query?.includes(user.id) || r.path.includes(user.id));
}

test('an admin\'s Connect token without permissions: they come from WorkOS, generateImage is listed and works', async () => {
  const carol = await newMember('admin');
  const token = await connectToken(carol);
  assert.ok((await toolNames(token)).includes(GATED_TOOL), 'generateImage listed for an admin');
  const image = await mcpCall(token, 'tools/call', { name: GATED_TOOL, arguments: { prompt: 'a red kite' } });
  assert.equal(image.status, 200);
  assert.ok(!image.json.result.isError, `generateImage succeeds: ${image.text.slice(0, 300)}`);
  assert.ok(image.json.result.content.some((c) => c.type === 'image'), 'an image');

  const who = await whoami(token);
  const s = who.structuredContent;
  assert.equal(s.user_id, carol.id);
  assert.equal(s.organization_id, ACME_ORG_ID);
  assert.equal(s.organization_name, 'Acme', 'the organization\'s name, read from WorkOS');
  assert.equal(s.role, 'admin');
  assert.deepEqual(s.permissions, [PERMISSION]);
  assert.equal(s.email, carol.email, 'the email WorkOS has for the user');
  assert.equal(s.name, carol.displayName);
  assert.match(who.content[0].text, /Organization: Acme \(/);
  // The audit event of the call names the client the token was issued to (its client_id claim).
  const called = await waitFor(async () => (await control.auditEvents())
    .find((e) => e.event.action === 'mcp.tool.called' && e.event.actor.id === carol.id), { timeoutMs: 5000 });
  assert.ok(called, 'the call was recorded');
  assert.equal(called.event.metadata.mcp_client_id, 'client_01MCPCLIENT');
});

test('a member\'s Connect token: generateImage is neither listed nor callable, and whoami says why', async () => {
  const dan = await newMember('member', 'Dan');
  const token = await connectToken(dan);
  assert.ok(!(await toolNames(token)).includes(GATED_TOOL), 'generateImage not listed for a member');
  const refused = await mcpCall(token, 'tools/call', { name: GATED_TOOL, arguments: { prompt: 'a red kite' } });
  assert.equal(refused.json.result?.isError, true, refused.text);
  assert.match(refused.json.result.content[0].text, new RegExp(PERMISSION));
  const s = (await whoami(token)).structuredContent;
  assert.equal(s.role, 'member');
  assert.deepEqual(s.permissions, []);
});

test('permissions in the token win over WorkOS\'s (no elevation, no stripping)', async () => {
  const erin = await newMember('admin', 'Erin');
  const none = await connectToken(erin, { permissions: [] });
  assert.ok(!(await toolNames(none)).includes(GATED_TOOL), 'an explicit empty permissions claim is kept');
  const dan = await newMember('member', 'Dan');
  const granted = await connectToken(dan, { permissions: [PERMISSION], role: 'member' });
  assert.ok((await toolNames(granted)).includes(GATED_TOOL), 'the token\'s own permissions hold');
});

test('a user with no membership in the token\'s organization is refused (this Worker is restricted to Acme)', async () => {
  // Without WORKOS_ORGANIZATION_ID such a caller would be let in with no permissions (native
  // tests); with it, the membership is required.
  const tag = randomBytes(4).toString('hex');
  const frank = await workosApi('POST', '/user_management/users', { email: `frank-${tag}@example.com`, first_name: 'Frank' });
  const token = await connectToken(frank);
  const r = await mcpCall(token, 'tools/list');
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json?.error, 'access_denied');
});

test('steady state: after the first request, the same user\'s requests make no WorkOS call', async () => {
  const gina = await newMember('admin', 'Gina');
  const token = await connectToken(gina);
  await toolNames(token);
  const first = await lookupsFor(gina);
  assert.ok(first.some((r) => r.path === '/user_management/organization_memberships'), `the first request looked the membership up: ${JSON.stringify(first)}`);
  await control.clearRequests();
  const jwksBefore = (await authkit.jwksFetches()).length;
  for (let i = 0; i < 5; i++) {
    assert.ok((await toolNames(token)).includes(GATED_TOOL));
    const again = await connectToken(gina); // a new token for the same user and organization
    const r = await mcpCall(again, 'tools/list');
    assert.ok(r.json.result.tools.some((t) => t.name === GATED_TOOL));
    assert.match(r.headers.get('server-timing') ?? '', /reads=0/, 'no KV read either');
  }
  assert.deepEqual(await control.requests(), [], 'no WorkOS request at all (permissions cached)');
  assert.equal((await authkit.jwksFetches()).length, jwksBefore, 'no JWKS fetch (keys cached)');
});

test('WorkOS unreachable: a cached user keeps working; an unknown one gets 503 with Retry-After, not an empty permission set', async () => {
  const hana = await newMember('admin', 'Hana');
  const cached = await connectToken(hana);
  assert.ok((await toolNames(cached)).includes(GATED_TOOL));
  const ivan = await newMember('admin', 'Ivan');
  const fresh = await connectToken(ivan);
  await control.setFault({ mode: 'status', status: 503, paths: ['/user_management', '/authorization', '/organizations'] });
  try {
    assert.ok((await toolNames(cached)).includes(GATED_TOOL), 'the cached answer serves');
    const r = await mcpCall(fresh, 'tools/list');
    assert.equal(r.status, 503, `no copy for Ivan: ${r.status} ${r.text}`);
    assert.equal(r.json?.error, 'temporarily_unavailable');
    assert.ok(Number(r.headers.get('retry-after')) > 0, 'Retry-After');
    // For the next few seconds the isolate answers with that failure instead of asking again.
    await control.clearRequests();
    assert.equal((await mcpCall(fresh, 'tools/list')).status, 503);
    assert.deepEqual(await lookupsFor(ivan), [], 'no second lookup right after a failed one');
    // This Worker is restricted to Acme (WORKOS_ORGANIZATION_ID): the membership must be checked
    // even when the token carries permissions, so without a copy that is a 503 too (unrestricted,
    // such a token needs no lookup — native tests).
    const carrying = await mcpCall(await connectToken(ivan, { permissions: [PERMISSION] }), 'tools/list');
    assert.equal(carrying.status, 503, 'the membership cannot be checked');
  } finally {
    await control.resetFault();
  }
  // Once WorkOS answers again, Ivan is resolved when the pause (5 s) is over.
  const back = await waitFor(async () => (await mcpCall(fresh, 'tools/list')).status === 200, { timeoutMs: 8000, intervalMs: 500 });
  assert.ok(back, 'Ivan resolved after the pause');
  assert.ok((await toolNames(fresh)).includes(GATED_TOOL));
});
