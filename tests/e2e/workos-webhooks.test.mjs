// WorkOS events change access now, not at the next refresh: the front (dev/webhooks.mjs) sends
// events to the Worker's POST /webhooks/workos signed with this run's secret, as WorkOS would —
// and forged, stale, unsigned or repeated ones. What changes is what the bearer check lets the
// same token do (within its one-minute window; at once here, where the isolate that takes the
// event also serves the requests); a token whose grant the event could not reach (made after the
// sign-in it outdates) is refused once, and its refresh reads WorkOS again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, BOB, ALICE_ID, BOB_ID, ACME_ORG_ID, WORKER_URL, WORKOS_CONTROL } from './helpers.mjs';
import { PERMISSION, workosApi, membership, setRole, callProtected, waitUntilRefused, refreshToken, Browser, registerClient, obtainCode, exchangeCode, expectOAuthError, atConsent, expectChallenge } from './oauth-helpers.mjs';
import { ALL_TOOLS, GATED_TOOL, accessToken, openSession, request, initialize, notification, expectResult, sleep, mcpPost } from './mcp-helpers.mjs';

const LIST_CHANGED = 'notifications/tools/list_changed';
const WINDOW_MS = 70000;
let restore;
let restorePermissions = false;
let readdBob;
let session;

async function control(method, path, body) {
  const res = await fetch(new URL(path, WORKOS_CONTROL), {
    method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body),
  });
  const json = await res.json();
  assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

/** WorkOS delivers `event`; the Worker's answer ({id, status, body}). */
const deliver = (event, data, opts = {}) => control('POST', '/__control/webhook/send', { event, data, ...opts });

before(async () => {
  assert.ok(process.env.WEBHOOK_SECRET && ALICE_ID && BOB_ID && ACME_ORG_ID, 'run under tests/e2e/run.mjs');
  await control('PUT', '/__control/webhook', { url: `${WORKER_URL}/webhooks/workos`, secret: process.env.WEBHOOK_SECRET });
});

after(async () => {
  await session?.close().catch(() => {});
  if (restore) await setRole(restore, 'admin');
  if (restorePermissions) await restoreAdminPermissions();
  await addBobBack();
});

/** The admin role's permission back, and the event saying so (the grants it reached take it). */
async function restoreAdminPermissions() {
  const role = await workosApi('PUT', '/authorization/roles/admin/permissions', { permissions: [PERMISSION] });
  assert.equal((await deliver('role.updated', role)).status, 200);
}

const names = (result) => result.tools.map((t) => t.name).sort();

test('Alice demoted in WorkOS: generateImage leaves tools/list with the same token, and her SSE session hears list_changed', async () => {
  const m = await membership(ALICE_ID, ACME_ORG_ID);
  assert.equal(m.role?.slug, 'admin', 'Alice starts as admin');
  const { token } = await accessToken(ALICE, '/sse');
  session = await openSession(token);
  const init = initialize();
  expectResult(await session.call(init), init.id);
  assert.equal((await session.post(notification('notifications/initialized'))).status, 202);
  const list1 = request('tools/list');
  assert.deepEqual(names(expectResult(await session.call(list1), list1.id)), ALL_TOOLS);

  restore = m.id;
  const demoted = await setRole(m.id, 'member');
  const answer = await deliver('organization_membership.updated', demoted);
  assert.equal(answer.status, 200, answer.body);
  assert.deepEqual(JSON.parse(answer.body), { received: true, duplicate: false });

  // The same token, no refresh: the next message is answered with Alice's new access, and the
  // stream first says the list changed.
  const deadline = Date.now() + WINDOW_MS;
  let result;
  let arrived;
  for (;;) {
    const before = session.stream.events.length;
    const list = request('tools/list');
    result = expectResult(await session.call(list), list.id);
    arrived = session.stream.events.slice(before);
    if (!names(result).includes(GATED_TOOL) || Date.now() > deadline) break;
    await sleep(2000);
  }
  assert.deepEqual(names(result), ALL_TOOLS.filter((n) => n !== GATED_TOOL), 'generateImage is gone');
  assert.equal(arrived[0]?.json?.method, LIST_CHANGED, `list_changed before the answer: ${session.stream.describe()}`);

  // Promoted back: the event brings generateImage back, again without a refresh.
  const promoted = await setRole(m.id, 'admin');
  restore = undefined;
  assert.equal((await deliver('organization_membership.updated', promoted)).status, 200);
  const list = request('tools/list');
  assert.deepEqual(names(expectResult(await session.call(list), list.id)), ALL_TOOLS);
});

test('Bob removed from Acme: his token is refused, refreshing it fails, and a code not yet exchanged is void', async () => {
  const { token, tokens, provider } = await accessToken(BOB, '/mcp');
  assert.equal((await callProtected('/mcp', token)).status, 200);
  // A grant whose code is still waiting (it has no KV mirror yet: the event finds it in its object).
  const waiting = await obtainCode(new Browser({ loginHint: BOB }), await registerClient());
  const m = await membership(BOB_ID, ACME_ORG_ID);
  await workosApi('DELETE', `/user_management/organization_memberships/${m.id}`);
  readdBob = m.role?.slug;
  assert.equal((await deliver('organization_membership.deleted', m)).status, 200);
  assert.equal((await waitUntilRefused('/mcp', token, WINDOW_MS)).status, 401, 'the token is refused');
  const refreshed = await refreshToken(provider.clientInformation().client_id, tokens.refresh_token);
  assert.equal(refreshed.status, 400);
  assert.equal(refreshed.json?.error, 'invalid_grant');
  expectOAuthError(await exchangeCode(waiting), 400, 'invalid_grant', 'the waiting code after the event');
});

test('a late retry of Bob\'s removal, after he was added back and signed in again, leaves his new grant', async () => {
  await addBobBack();
  const { token, tokens, provider } = await accessToken(BOB, '/mcp');
  // WorkOS retries a delivery that failed for days: the removal's event arrives now.
  const removed = { object: 'organization_membership', id: 'om_removed_bob', user_id: BOB_ID, organization_id: ACME_ORG_ID, status: 'inactive', role: { slug: 'member' } };
  assert.equal((await deliver('organization_membership.deleted', removed)).status, 200);
  assert.equal((await callProtected('/mcp', token)).status, 200, 'the token still works');
  const refreshed = await refreshToken(provider.clientInformation().client_id, tokens.refresh_token);
  assert.equal(refreshed.status, 200, refreshed.text);
});

test('an organization deleted in WorkOS: its member\'s token is refused and refreshing it fails', async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const org = await workosApi('POST', '/organizations', { name: `Doomed ${tag}` });
  const email = `doomed-${tag}@example.com`;
  const user = await workosApi('POST', '/user_management/users', { email, first_name: 'D' });
  await workosApi('POST', '/user_management/organization_memberships', { user_id: user.id, organization_id: org.id, role_slug: 'member' });
  const { token, tokens, provider } = await accessToken(email, '/mcp');
  assert.equal((await callProtected('/mcp', token)).status, 200);
  await workosApi('DELETE', `/organizations/${org.id}`);
  assert.equal((await deliver('organization.deleted', org)).status, 200);
  assert.equal((await waitUntilRefused('/mcp', token, WINDOW_MS)).status, 401, 'the token is refused');
  const refreshed = await refreshToken(provider.clientInformation().client_id, tokens.refresh_token);
  assert.equal(refreshed.json?.error, 'invalid_grant', refreshed.text);
});

/** Bob a member of Acme again, with the role he had (after the removal's test). */
async function addBobBack() {
  if (readdBob === undefined) return;
  const body = { user_id: BOB_ID, organization_id: ACME_ORG_ID, role_slug: readdBob };
  await workosApi('POST', '/user_management/organization_memberships', body);
  readdBob = undefined;
}

/**
 * Approves at the consent page after an event that arrived before the grant existed: the first
 * token carries the sign-in's standing, older than the event, so it is refused, and the client
 * refreshes (WorkOS is read again). The tools the refreshed token lists.
 */
async function approvedAfterTheEvent({ browser, client, req, consent }) {
  const approved = await browser.postConsent({ ...consent.fields, decision: 'approve' });
  assert.equal(approved.status, 303);
  const code = new URL(approved.headers.get('location')).searchParams.get('code');
  const tokens = await exchangeCode({ ...req, code });
  assert.equal(tokens.status, 200, tokens.text);
  expectChallenge(await callProtected('/mcp', tokens.json.access_token), '/mcp', { invalidToken: true });
  const refreshed = await refreshToken(client.client_id, tokens.json.refresh_token);
  assert.equal(refreshed.status, 200, refreshed.text);
  const list = request('tools/list');
  const r = await mcpPost(refreshed.json.access_token, list);
  assert.equal(r.status, 200, r.text);
  return names(expectResult(r.json, list.id));
}

test('Alice demoted while her consent page is open: her first token is refused once, and its refresh carries the demotion', async () => {
  const m = await membership(ALICE_ID, ACME_ORG_ID);
  assert.equal(m.role?.slug, 'admin', 'Alice starts as admin');
  const open = await atConsent(ALICE);
  // The event arrives before the grant exists: there is nothing for it to change yet.
  restore = m.id;
  const answer = await deliver('organization_membership.updated', await setRole(m.id, 'member'));
  assert.equal(answer.status, 200, answer.body);
  assert.deepEqual(await approvedAfterTheEvent(open), ALL_TOOLS.filter((n) => n !== GATED_TOOL), 'no generateImage');
  await setRole(m.id, 'admin');
  restore = undefined;
});

test('the admin role loses image_generation while Alice\'s consent page is open: her first token is refused once, and its refresh carries the change', async () => {
  const open = await atConsent(ALICE);
  restorePermissions = true;
  const role = await workosApi('PUT', '/authorization/roles/admin/permissions', { permissions: [] });
  assert.deepEqual(role.permissions, [], 'WorkOS answers the role with its permissions');
  const answer = await deliver('role.updated', role);
  assert.equal(answer.status, 200, answer.body);
  assert.deepEqual(await approvedAfterTheEvent(open), ALL_TOOLS.filter((n) => n !== GATED_TOOL), 'no generateImage');
  await restoreAdminPermissions();
  restorePermissions = false;
});

test('a permission deleted in WorkOS: Alice\'s token loses generateImage without a refresh, and gets it back with the role\'s event', async () => {
  const { token } = await accessToken(ALICE, '/mcp');
  const listed = async () => {
    const list = request('tools/list');
    const r = await mcpPost(token, list);
    assert.equal(r.status, 200, r.text);
    return names(expectResult(r.json, list.id));
  };
  assert.deepEqual(await listed(), ALL_TOOLS);
  // WorkOS takes the permission out of every role, then says it is gone.
  restorePermissions = true;
  await workosApi('PUT', '/authorization/roles/admin/permissions', { permissions: [] });
  const answer = await deliver('permission.deleted', { object: 'permission', id: 'perm_image', slug: PERMISSION });
  assert.equal(answer.status, 200, answer.body);
  const deadline = Date.now() + WINDOW_MS;
  let tools = await listed();
  while (tools.includes(GATED_TOOL) && Date.now() < deadline) {
    await sleep(2000);
    tools = await listed();
  }
  assert.deepEqual(tools, ALL_TOOLS.filter((n) => n !== GATED_TOOL), 'generateImage is gone');
  await restoreAdminPermissions();
  restorePermissions = false;
  assert.deepEqual(await listed(), ALL_TOOLS, 'the role\'s event brings it back');
});

test('forged, stale or unsigned deliveries are refused and change nothing; a repeated event is applied once', async () => {
  const { token } = await accessToken(BOB, '/mcp');
  for (const signature of ['forged', 'stale', 'none']) {
    const answer = await deliver('user.deleted', { object: 'user', id: BOB_ID }, { signature });
    assert.equal(answer.status, 401, `${signature}: ${answer.body}`);
    assert.deepEqual(JSON.parse(answer.body), { error: 'invalid_signature' });
  }
  assert.equal((await callProtected('/mcp', token)).status, 200, 'Bob\'s token still works');
  const first = await deliver('user.created', { object: 'user', id: 'user_unrelated' });
  assert.deepEqual(JSON.parse(first.body), { received: true, duplicate: false });
  const again = await deliver('user.created', { object: 'user', id: 'user_unrelated' }, { id: first.id });
  assert.equal(again.status, 200);
  assert.deepEqual(JSON.parse(again.body), { received: true, duplicate: true });
  const { deliveries } = await control('GET', '/__control/webhook/deliveries');
  const refused = deliveries.filter((d) => d.signature !== 'valid');
  assert.ok(refused.length >= 3, `the three bad deliveries were recorded: ${JSON.stringify(deliveries)}`);
  assert.ok(refused.every((d) => d.status === 401));
});
