// Sign-out needs the session's CSRF token and a same-site origin; it ends the session on the
// server (an old cookie no longer works) and sends the browser through WorkOS's sign-out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CookieJar, COOKIE, ALICE, WORKER_URL, WORKOS_LOGOUT, SIGNED_OUT_REDIRECT, PATHS,
  signIn, account, postLogout, expectErrorPage, clearsCookie, worker,
} from './helpers.mjs';

async function signedIn() {
  const { jar } = await signIn(ALICE);
  const page = await account(jar);
  assert.equal(page.status, 200);
  assert.ok(page.csrf, 'the account page has a CSRF token in its sign-out form');
  return { jar, csrf: page.csrf };
}

test('POST /logout without the CSRF token → 403, and the session still works', async () => {
  const { jar } = await signedIn();
  await expectErrorPage(await postLogout(jar, {}), 403, 'no CSRF token');
  await expectErrorPage(await postLogout(jar, { csrf: 'not-the-token' }), 403, 'wrong CSRF token');
  assert.equal((await account(jar)).status, 200, 'still signed in');
});

test('POST /logout from a foreign Origin → 403, even with the right token', async () => {
  const { jar, csrf } = await signedIn();
  const res = await postLogout(jar, { csrf }, { origin: 'https://evil.example' });
  await expectErrorPage(res, 403, 'foreign origin');
  assert.equal((await account(jar)).status, 200, 'still signed in');
});

test('POST /logout with the token → WorkOS sign-out, cookie cleared, session gone on the server', async () => {
  const { jar, csrf } = await signedIn();
  const oldSession = jar.get(COOKIE.session);
  const res = await postLogout(jar, { csrf });
  assert.equal(res.status, 303);

  const location = new URL(res.headers.get('location'));
  assert.equal(`${location.origin}${location.pathname}`, WORKOS_LOGOUT);
  assert.match(location.searchParams.get('session_id') ?? '', /^session_/, 'a WorkOS session id');
  assert.equal(location.searchParams.get('return_to'), worker(PATHS.login));
  assert.ok(clearsCookie(res, COOKIE.session), 'the session cookie is cleared');

  // The old cookie, replayed, is no longer a session: the server-side record is gone.
  const replay = new CookieJar();
  replay.set(COOKIE.session, oldSession);
  const after = await account(replay);
  assert.equal(after.status, 303);
  assert.equal(after.location, worker(SIGNED_OUT_REDIRECT));

  // And WorkOS's sign-out sends the browser back to the sign-in page.
  const workos = await jar.fetch(location.href);
  assert.equal(workos.status, 302);
  assert.equal(workos.headers.get('location'), `${WORKER_URL}${PATHS.login}`);
});

test('signing in again ends the session the browser had: its old cookie no longer signs anyone in', async () => {
  const { jar } = await signIn(ALICE);
  const old = jar.get(COOKIE.session);
  await signIn(ALICE, { jar });
  assert.notEqual(jar.get(COOKIE.session), old, 'a new session');
  assert.equal((await account(jar)).status, 200, 'the new one works');
  const replay = new CookieJar();
  replay.set(COOKIE.session, old);
  const after = await account(replay);
  assert.equal(after.status, 303, 'the old one is gone on the server');
  assert.equal(after.location, worker(SIGNED_OUT_REDIRECT));
});
