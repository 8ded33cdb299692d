// More upstream faults (issue 6), injected by the front between the Worker and the emulator: a
// success status with a body that is not JSON, a body cut off mid-way, and the WorkOS-backed
// tool (getUserProfile) meeting every fault. Each gives a clear error, leaves nothing behind,
// and the same flow works once WorkOS is healthy again. (Sign-in meeting down / slow / 429 / 500
// is in workos-outage.test.mjs.)
import { test, before, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { CookieJar, ALICE, BOB, BOB_ID, beginSignIn, signIn, account, expectErrorPage, control, kvKeys, AUTHENTICATE, WORKOS_FAULTS } from './helpers.mjs';
import { accessToken, mcpPost } from './mcp-helpers.mjs';

const USERS = '/user_management/users';
// The Worker's log (the whole run's): what this file's faults wrote is read from where it stood
// when the file began.
const LOG = new URL('../../target/e2e-artifacts/wrangler.log', import.meta.url);
const logAtStart = statSync(LOG).size;
/** What the Worker logged since this file began, once it holds `expected` (the log is piped: a moment late). */
async function logSinceStart(expected) {
  const deadline = Date.now() + 10000;
  for (;;) {
    const log = readFileSync(LOG).subarray(logAtStart).toString('utf8');
    if (expected.every((re) => re.test(log)) || Date.now() > deadline) return log;
    await new Promise((r) => setTimeout(r, 200));
  }
}

afterEach(async () => { await control.resetFault(); });

for (const mode of ['malformed', 'truncated']) {
  test(`sign-in: WorkOS answers a ${mode} body at the code exchange → 502/503 page, no session, then sign-in works`, async () => {
    const jar = new CookieJar();
    const [sessions, states] = [await kvKeys('session:'), await kvKeys('signin:state:')];
    const { callbackUrl } = await beginSignIn(jar);
    await control.setFault({ mode, paths: [AUTHENTICATE] });
    const res = await jar.fetch(callbackUrl);
    await control.resetFault();
    // Not JSON → 502 (WorkOS answered nonsense); cut off → the connection failed, as when WorkOS
    // is unreachable (503, try again).
    const expected = mode === 'malformed' ? 502 : 503;
    assert.equal(res.status, expected, `status ${res.status}`);
    const { title, message } = await expectErrorPage(res, expected, `${mode} WorkOS body`);
    assert.match(`${title} ${message}`, /WorkOS/);
    assert.notEqual((await account(jar)).status, 200, 'no session was created');
    assert.deepEqual(await kvKeys('session:'), sessions, 'KV: no session record');
    // The one-time state (its record in the browser's sealed cookie) is marked used, nothing else
    // is left; its URL again is refused.
    const state = new URL(callbackUrl).searchParams.get('state');
    assert.deepEqual(await kvKeys('signin:state:'), states, 'KV: no state record (the cookie carries it)');
    assert.ok((await kvKeys('signin:used:')).includes(`signin:used:${state}`), 'KV: the state is marked used');
    assert.equal((await jar.fetch(callbackUrl)).status, 400, 'the used state is refused');
    const again = await signIn(ALICE);
    assert.equal((await account(again.jar)).status, 200, 'signed in once WorkOS is healthy');
    assert.equal((await kvKeys('session:')).length, sessions.length + 1, 'KV: now one session record more (the check sees KV)');
  });
}

let token;
before(async () => { ({ token } = await accessToken(ALICE)); });

let nextId = 1;
async function profile() {
  const r = await mcpPost(token, { jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name: 'getUserProfile', arguments: {} } });
  assert.equal(r.status, 200, `tools/call → ${r.status} ${r.text}`);
  assert.ok(r.json?.result, `a tool result, not a JSON-RPC error: ${r.text}`);
  return r.json.result;
}

test('getUserProfile: every WorkOS fault is a readable tool error (isError), never a protocol error; then it works', async () => {
  const healthy = await profile();
  assert.ok(!healthy.isError, `healthy: ${JSON.stringify(healthy)}`);
  assert.match(healthy.content[0].text, /alice@example\.com/);
  for (const fault of WORKOS_FAULTS) {
    await control.setFault({ ...fault, paths: [USERS] });
    const t0 = Date.now();
    const r = await profile();
    await control.resetFault();
    const what = JSON.stringify(fault);
    assert.equal(r.isError, true, `${what}: isError`);
    assert.match(r.content[0].text, /Could not fetch your WorkOS profile/, `${what}: readable`);
    assert.doesNotMatch(r.content[0].text, /sk_test|Bearer /, `${what}: no secret in the message`);
    assert.ok(Date.now() - t0 < 20000, `${what}: answered in ${Date.now() - t0} ms`);
    const back = await profile();
    assert.ok(!back.isError, `${what}: works again once WorkOS is healthy: ${JSON.stringify(back)}`);
  }
});

test('after all these faults the Worker\'s log holds no secret: no API key, no bearer or refresh token', async () => {
  // The faults above were logged (so the checks below read the lines they might leak into): the
  // sign-in's failed code exchange and the profile tool's failed WorkOS calls.
  const logged = [/sign-in failed: WorkOS/, /workos get user: WorkOS/];
  const log = await logSinceStart(logged);
  for (const re of logged) assert.match(log, re, 'the log recorded the failures');
  const whole = readFileSync(LOG, 'utf8'); // the run's whole log, not only this file's part
  assert.doesNotMatch(whole, /sk_test_/, 'the WorkOS API key');
  assert.doesNotMatch(whole, new RegExp(token.slice(0, 24).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'our access token');
  assert.doesNotMatch(whole, /mcp_rt_|refresh_token=/, 'refresh tokens');
});

test('getUserProfile is limited per person (WorkOS\'s rate limit on the API key is everyone\'s): past it, a readable tool error and no WorkOS call', async () => {
  const { token: bobs } = await accessToken(BOB);
  const batch = Array.from({ length: 8 }, (_, i) => ({ jsonrpc: '2.0', id: `p${i}`, method: 'tools/call', params: { name: 'getUserProfile', arguments: {} } }));
  const send = async () => {
    const r = await mcpPost(bobs, batch);
    assert.equal(r.status, 200, `a batch of profile calls → ${r.status} ${r.text.slice(0, 300)}`);
    return r.json.map((answer) => answer.result);
  };
  // The local limit is 300 a minute (wrangler.toml's env.local): within 76 batches (608 calls,
  // more than two windows' worth) the limit answers.
  let let_through = 0;
  let refused;
  for (let i = 0; i < 76 && !refused; i++) {
    const results = await send();
    let_through += results.filter((r) => !r.isError).length;
    refused = results.find((r) => r.isError);
  }
  assert.ok(refused, `no refusal after ${let_through} calls`);
  assert.ok(let_through >= 30 && let_through <= 600, `${let_through} let through`);
  assert.match(refused.content[0].text, /Could not fetch your WorkOS profile right now \(you asked for it too often/);
  // Past the limit, WorkOS is not asked at all.
  await control.clearRequests();
  const again = await send();
  assert.ok(again.every((r) => r.isError), 'all refused');
  const asked = (await control.requests()).filter((r) => r.path === `/user_management/users/${BOB_ID}`);
  assert.deepEqual(asked, [], 'no WorkOS call for a refused one');
  // Alice's own budget is hers.
  assert.ok(!(await profile()).isError, 'another person is not limited by Bob');
});
