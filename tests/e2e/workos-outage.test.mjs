// WorkOS failing at the code exchange (unreachable, rate limited, erroring) gives a clear page —
// never a 500, a stack trace or the API key — and sign-in works again once WorkOS is back.
// Faults are injected by the front (dev/front.mjs) after the browser already has its code.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { CookieJar, ALICE, beginSignIn, signIn, account, expectErrorPage, control, AUTHENTICATE } from './helpers.mjs';

/** WorkOS's Retry-After in the 429 below; the Worker passes it on ("with Retry-After when known"). */
const RETRY_AFTER = '7';

afterEach(async () => { await control.resetFault(); });

/** Gets a callback URL (code + state), applies `fault`, then calls the callback. */
async function callbackDuring(fault) {
  const jar = new CookieJar();
  const { callbackUrl } = await beginSignIn(jar);
  await control.clearRequests();
  await control.setFault({ ...fault, paths: [AUTHENTICATE] });
  const res = await jar.fetch(callbackUrl);
  await control.resetFault();
  const hits = (await control.requests()).filter((r) => r.path === AUTHENTICATE);
  assert.ok(hits.length >= 1 && hits.every((r) => r.by.startsWith('fault')),
    `the Worker called ${AUTHENTICATE} and met the fault: ${JSON.stringify(hits)}`);
  return res;
}

async function signInWorksAgain() {
  const { jar } = await signIn(ALICE);
  assert.equal((await account(jar)).status, 200, 'signed in after WorkOS recovered');
}

test('WorkOS unreachable at the code exchange → 502/503 page, then a fresh sign-in works', async () => {
  const res = await callbackDuring({ mode: 'down' });
  assert.ok([502, 503].includes(res.status), `status ${res.status}`);
  const { message, title } = await expectErrorPage(res, res.status, 'WorkOS unreachable');
  assert.match(`${title} ${message}`, /WorkOS/, 'names WorkOS');
  assert.match(`${title} ${message}`, /unreachable/i, 'says it is unreachable');
  await signInWorksAgain();
});

test('WorkOS rate limiting (429, Retry-After 7) → 503 page with Retry-After', async () => {
  const res = await callbackDuring({ mode: 'status', status: 429, retryAfter: RETRY_AFTER });
  await expectErrorPage(res, 503, 'WorkOS rate limited');
  assert.equal(res.headers.get('retry-after'), RETRY_AFTER);
  await signInWorksAgain();
});

test('WorkOS too slow (7 s, beyond the Worker\'s 5 s timeout) → 502/503 page in bounded time', async () => {
  const t0 = Date.now();
  const res = await callbackDuring({ mode: 'slow', delayMs: 7000 });
  assert.ok([502, 503].includes(res.status), `status ${res.status}`);
  await expectErrorPage(res, res.status, 'WorkOS slow');
  assert.ok(Date.now() - t0 < 25000, `answered after ${Date.now() - t0} ms`);
  await signInWorksAgain();
});

test('WorkOS failing (500) → 502/503 page, then a fresh sign-in works', async () => {
  const res = await callbackDuring({ mode: 'status', status: 500 });
  assert.ok([502, 503].includes(res.status), `status ${res.status}`);
  await expectErrorPage(res, res.status, 'WorkOS 500');
  await signInWorksAgain();
});
