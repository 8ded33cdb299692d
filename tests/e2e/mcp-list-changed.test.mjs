// Live permissions on an open legacy-SSE session: Alice opens a session as admin, is demoted to
// member in WorkOS (the emulator's management API), her client refreshes its token (the refresh
// re-reads her role), and the next message posted with the new token first puts
// `notifications/tools/list_changed` (and, as she subscribed to it, `notifications/resources/updated`
// for account://me) on the stream, then a tools/list without generateImage.
// Promoted back, the same happens the other way. The role is restored afterwards (tests share
// the emulator).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, ALICE_ID, ACME_ORG_ID } from './helpers.mjs';
import { sdkRefresh, scopesOf, membership, setRole, url, PERMISSION } from './oauth-helpers.mjs';
import {
  ALL_TOOLS, GATED_TOOL, accessToken, openSession, request, callTool, initialize, notification, expectResult,
  expectToolError,
} from './mcp-helpers.mjs';

const LIST_CHANGED = 'notifications/tools/list_changed';
const UPDATED = 'notifications/resources/updated';
let restore; // the membership id to put back to admin
let session;

after(async () => {
  await session?.close().catch(() => {});
  if (restore) await setRole(restore, 'admin');
});

const names = (result) => result.tools.map((t) => t.name).sort();

test('Alice demoted while her SSE session is open: list_changed before the response, and the list lacks generateImage', async () => {
  assert.ok(ALICE_ID && ACME_ORG_ID, 'run under tests/e2e/run.mjs (ALICE_ID, ACME_ORG_ID)');
  const m = await membership(ALICE_ID, ACME_ORG_ID);
  assert.equal(m.role?.slug, 'admin', 'Alice starts as admin');

  const { token, provider } = await accessToken(ALICE, '/sse');
  session = await openSession(token);
  const init = initialize();
  expectResult(await session.call(init), init.id);
  assert.equal((await session.post(notification('notifications/initialized'))).status, 202);
  const list1 = request('tools/list');
  assert.deepEqual(names(expectResult(await session.call(list1), list1.id)), ALL_TOOLS, 'as admin: all four tools');
  assert.equal(session.stream.notifications(LIST_CHANGED).length, 0, 'no list_changed yet');
  const subscribe = request('resources/subscribe', { uri: 'account://me' });
  assert.deepEqual(expectResult(await session.call(subscribe), subscribe.id), {}, 'subscribed to account://me');

  // Same permissions, new token (a plain refresh): no notification.
  const same = await sdkRefresh(provider, url('/sse'));
  const list2 = request('tools/list');
  expectResult(await session.call(list2, { token: same.access_token }), list2.id);
  assert.equal(session.stream.notifications(LIST_CHANGED).length, 0, 'a refresh that changes nothing sends no list_changed');

  restore = m.id;
  await setRole(m.id, 'member');
  const demoted = await sdkRefresh(provider, url('/sse'));
  assert.ok(!scopesOf(demoted).includes(PERMISSION), `the refreshed scope "${demoted.scope}" lacks ${PERMISSION}`);

  const before = session.stream.events.length;
  const list3 = request('tools/list');
  const result3 = expectResult(await session.call(list3, { token: demoted.access_token }), list3.id);
  const arrived = session.stream.events.slice(before);
  assert.deepEqual(arrived.map((e) => e.json?.method ?? `response ${e.json?.id}`), [LIST_CHANGED, UPDATED, `response ${list3.id}`],
    `list_changed and the subscribed account resource's update first, then the response: ${session.stream.describe()}`);
  assert.deepEqual(arrived[1].json.params, { uri: 'account://me' });
  assert.equal(arrived[0].json.id, undefined, 'list_changed is a notification (no id)');
  assert.deepEqual(names(result3), ALL_TOOLS.filter((n) => n !== GATED_TOOL), 'the list lacks generateImage');

  const refused = callTool(GATED_TOOL, { prompt: 'after demotion' });
  expectToolError(expectResult(await session.call(refused, { token: demoted.access_token }), refused.id),
    new RegExp(PERMISSION), 'generateImage after the demotion');
  assert.equal(session.stream.notifications(LIST_CHANGED).length, 1, 'exactly one list_changed for one change');

  // Promoted again: the next message with the next token brings list_changed and the tool back.
  await setRole(m.id, 'admin');
  restore = undefined;
  const promoted = await sdkRefresh(provider, url('/sse'));
  assert.ok(scopesOf(promoted).includes(PERMISSION), `admin again: scope "${promoted.scope}"`);
  const list4 = request('tools/list');
  assert.deepEqual(names(expectResult(await session.call(list4, { token: promoted.access_token }), list4.id)), ALL_TOOLS);
  assert.equal(session.stream.notifications(LIST_CHANGED).length, 2, 'a second list_changed');
  assert.equal(session.stream.notifications(UPDATED).length, 2, 'and a second update of account://me');
  assert.equal(provider.navigations.length, 1, 'all without a new sign-in');
});
