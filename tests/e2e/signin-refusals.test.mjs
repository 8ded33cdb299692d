// Every way a callback can be refused gives a readable HTML page with the right status and a
// fresh sign-in link — never a 500, never a session. Also: tampered cookies count as absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CookieJar, COOKIE, PATHS, SIGNED_OUT_REDIRECT, ALICE, beginSignIn, signIn, account, expectErrorPage,
  setCookie, clearsCookie, tamper, worker, control,
} from './helpers.mjs';

const callback = (params) => worker(`${PATHS.callback}?${new URLSearchParams(params)}`);

/**
 * Calls the callback and checks WorkOS was not asked to exchange the code: a refused state must be
 * refused before the exchange (otherwise WorkOS's own single-use code would hide a missing check).
 */
async function refusedBeforeExchange(jar, url) {
  await control.clearRequests();
  const res = await jar.fetch(url);
  const exchanges = (await control.requests()).filter((r) => r.path === '/user_management/authenticate');
  assert.deepEqual(exchanges, [], 'the Worker did not exchange the code');
  return res;
}

test('callback without state → 400', async () => {
  const res = await new CookieJar().fetch(callback({ code: 'auth_code_whatever' }));
  await expectErrorPage(res, 400, 'no state');
});

test('callback with an unknown state → 400', async () => {
  const jar = new CookieJar();
  const { code } = await beginSignIn(jar); // a real sign-in cookie and code, but a state never issued
  const res = await refusedBeforeExchange(jar, callback({ code, state: 'bm90LWEtcmVhbC1zdGF0ZS1ub3QtYS1yZWFsLXN0YXRl' }));
  await expectErrorPage(res, 400, 'unknown state');
});

test('callback whose sign-in cookie is missing → 400', async () => {
  const { callbackUrl } = await beginSignIn(new CookieJar());
  const res = await refusedBeforeExchange(new CookieJar(), callbackUrl); // another browser, no cookie at all
  await expectErrorPage(res, 400, 'missing binding cookie');
});

test("callback with another browser's sign-in cookie (foreign state) → 400", async () => {
  const a = new CookieJar();
  const b = new CookieJar();
  const { callbackUrl } = await beginSignIn(a);
  await beginSignIn(b); // b has a valid sign-in cookie of its own
  const res = await refusedBeforeExchange(b, callbackUrl);
  await expectErrorPage(res, 400, 'foreign state');
  assert.equal(b.get(COOKIE.session), undefined, 'b got no session');
});

test('the same callback used twice: the second is refused and creates no session', async () => {
  const jar = new CookieJar();
  const { callbackUrl } = await beginSignIn(jar);
  const beforeCallback = jar.clone(); // still holds the sign-in cookie
  const first = await jar.fetch(callbackUrl);
  assert.equal(first.status, 303, 'the first use signs in');
  assert.ok(setCookie(first, COOKIE.session), 'the first use sets a session');

  const replay = await refusedBeforeExchange(beforeCallback, callbackUrl);
  await expectErrorPage(replay, 400, 'replayed state');
  assert.ok(!setCookie(replay, COOKIE.session) || clearsCookie(replay, COOKIE.session), 'no new session cookie');
});

test('callback without a code but with a valid state → 400', async () => {
  const jar = new CookieJar();
  const { state } = await beginSignIn(jar);
  const res = await refusedBeforeExchange(jar, callback({ state }));
  await expectErrorPage(res, 400, 'missing code');
});

test("WorkOS's error redirect → 400 page showing the description, HTML-escaped", async () => {
  const jar = new CookieJar();
  const { state } = await beginSignIn(jar);
  const description = 'User cancelled <script>alert("x")</script>';
  const res = await refusedBeforeExchange(jar, callback({ error: 'access_denied', error_description: description, state }));
  const { html, message } = await expectErrorPage(res, 400, 'WorkOS error');
  assert.ok(message.includes(description), `the page shows WorkOS's description (message: ${message})`);
  assert.ok(!html.includes('<script>alert'), 'the description is escaped, not markup');
});

test('a tampered session cookie counts as no session: / redirects to sign-in', async () => {
  const { jar } = await signIn(ALICE);
  assert.equal((await account(jar)).status, 200, 'the untouched cookie works');
  jar.set(COOKIE.session, tamper(jar.get(COOKIE.session)));
  const res = await account(jar);
  assert.equal(res.status, 303);
  assert.equal(res.location, worker(SIGNED_OUT_REDIRECT));
});

test('a session cookie never opens as the sign-in cookie (sealed per cookie name) → callback 400', async () => {
  const { jar: signedIn } = await signIn(ALICE);
  const jar = new CookieJar();
  const { callbackUrl } = await beginSignIn(jar);
  jar.set(COOKIE.signin, signedIn.get(COOKIE.session));
  const res = await refusedBeforeExchange(jar, callbackUrl);
  await expectErrorPage(res, 400, 'session value as sign-in cookie');
});

test('a tampered sign-in cookie → callback 400', async () => {
  const jar = new CookieJar();
  const { callbackUrl } = await beginSignIn(jar);
  jar.set(COOKIE.signin, tamper(jar.get(COOKIE.signin)));
  const res = await refusedBeforeExchange(jar, callbackUrl);
  await expectErrorPage(res, 400, 'tampered sign-in cookie');
  assert.equal(jar.get(COOKIE.session), undefined);
});
