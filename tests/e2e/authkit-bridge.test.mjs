// AuthKit's "bring your own login" bridge (standalone Connect) in a real browser (Debian's
// Chromium via playwright-core) against the AuthKit-mode Worker (127.0.0.1:8789). AuthKit would
// register an external_auth_id and send the browser to the Worker's /login; here the test
// registers the id at the front (dev/front.mjs) and opens /login itself. After the sign-in the
// Worker calls POST /authkit/oauth2/complete (the front's stand-in, reference §3) and sends the
// browser to the returned redirect_uri — the AuthKit stand-in's /oauth2/continue — and only there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, ALICE_ID, BOB, BOB_ID, COOKIE, TESTID, PATHS, launchChromium, artifact, signIn, account, worker, control } from './helpers.mjs';
import { AUTHKIT_WORKER_URL, AUTHKIT_URL, akUrl, bridge, authkit } from './authkit-helpers.mjs';
import { workosApi } from './oauth-helpers.mjs';

const CONTINUE = `${AUTHKIT_URL}/oauth2/continue?state=`;
const EVIL = 'https://evil.example';

let browser;
before(async () => { browser = await launchChromium(); });
after(async () => { await browser?.close(); });

/** A fresh browser profile; every request to evil.example is recorded and aborted. */
async function freshPage() {
  const context = await browser.newContext();
  const evilHits = [];
  await context.route(`${EVIL}/**`, (route) => { evilHits.push(route.request().url()); return route.abort(); });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  // A first navigation of a fresh browser on a loaded 2-core machine once took over 20 s in CI
  // (the same request takes ~0.1 s); a real hang still fails, after 45 s.
  page.setDefaultNavigationTimeout(45000);
  const requests = [];
  page.on('request', (r) => { if (r.isNavigationRequest()) requests.push(r.url()); });
  return { context, page, evilHits, requests };
}

const loginUrl = (id, hint = ALICE) => akUrl(`/login?external_auth_id=${encodeURIComponent(id)}${hint ? `&login_hint=${encodeURIComponent(hint)}` : ''}`);
const completionsFor = async (id) => (await bridge.completions()).filter((c) => c.external_auth_id === id);
const text = (page, id) => page.getByTestId(id).textContent().then((t) => t.trim());
const sessionCookie = async (context) => (await context.cookies(AUTHKIT_WORKER_URL)).find((c) => c.name === COOKIE.session);

/** Signed out: /login?external_auth_id → sign-in → emulator → /callback → AuthKit's continue URL. */
async function bridgeSignIn(page, id) {
  const login = await page.goto(loginUrl(id));
  assert.equal(login.status(), 200, 'the sign-in page');
  await page.getByTestId(TESTID.signIn).click();
  await page.waitForURL((u) => u.href.startsWith(CONTINUE), { timeout: 30000 });
}

test('signed out: sign in, then the Worker completes the AuthKit request and the browser lands at AuthKit', async () => {
  const { context, page, requests } = await freshPage();
  try {
    const id = await bridge.newId();
    await bridgeSignIn(page, id);
    assert.ok(await page.getByTestId('authkit-continue').isVisible(), 'the AuthKit stand-in\'s page');
    assert.ok(requests.some((u) => u.startsWith(akUrl('/callback'))), `went through /callback: ${requests.join(' → ')}`);

    const done = await completionsFor(id);
    assert.equal(done.length, 1, `one completion for ${id}: ${JSON.stringify(done)}`);
    const [c] = done;
    assert.equal(c.status, 200);
    assert.equal(c.user.email, ALICE);
    // WorkOS reads user.id as the person's external id: Alice had none, so the Worker set it to
    // her WorkOS user id first, and WorkOS resolved the completion to her — no second user.
    assert.equal(c.user.id, ALICE_ID, 'user.id is Alice\'s external id (her WorkOS id)');
    assert.equal(c.resolved_user_id, ALICE_ID, 'resolved to the existing WorkOS user');
    assert.equal(c.created_user, false, 'no user created');
    assert.equal((await workosApi('GET', `/user_management/users/${ALICE_ID}`)).external_id, ALICE_ID);
    assert.equal((await workosApi('GET', `/user_management/users?email=${encodeURIComponent(ALICE)}`)).data.length, 1, 'one user with her email');
    assert.equal(c.user.first_name, 'Alice');
    assert.equal(c.user.last_name, 'Admin');
    assert.equal(page.url(), c.response.redirect_uri, 'the browser is at the redirect_uri the completion returned');
    const state = new URL(page.url()).searchParams.get('state');
    assert.ok((await authkit.continues()).some((x) => x.state === state), 'the stand-in saw the continue request');
    assert.ok(await sessionCookie(context), 'the Worker also signed the browser in');
    await page.screenshot({ path: artifact('authkit-bridge-continue.png'), fullPage: true });

    // Signed in already: a new AuthKit request completes at once, no sign-in round trip. Its
    // HEAD, with the same cookies, completes nothing.
    const second = await bridge.newId();
    const head = await context.request.fetch(loginUrl(second, undefined), { method: 'HEAD', maxRedirects: 0 });
    assert.equal(head.status(), 200, 'HEAD is answered');
    assert.deepEqual(await completionsFor(second), [], 'HEAD completed nothing');
    const before = requests.length;
    const res = await page.goto(loginUrl(second, undefined));
    assert.ok(page.url().startsWith(CONTINUE), `ended at ${page.url()}`);
    assert.equal(res.status(), 200);
    const hops = requests.slice(before);
    assert.deepEqual(hops.map((u) => new URL(u).origin), [AUTHKIT_WORKER_URL, AUTHKIT_URL], `straight from /login to AuthKit: ${hops.join(' → ')}`);
    const [c2] = await completionsFor(second);
    assert.equal(c2?.status, 200, `the second completion: ${JSON.stringify(c2)}`);
    assert.equal(c2.user.email, ALICE);
    assert.equal(page.url(), c2.response.redirect_uri);

    // The first id again (AuthKit says already completed): a readable 400 page.
    const again = await page.goto(loginUrl(id, undefined));
    assert.equal(again.status(), 400, 'already completed → 400');
    assert.ok(page.url().startsWith(akUrl('/login')), `stays on the Worker: ${page.url()}`);
    assert.match(await text(page, TESTID.errorMessage), /already/i);
    assert.ok((await text(page, TESTID.errorTitle)).length > 0);
    await page.screenshot({ path: artifact('authkit-bridge-already-completed.png'), fullPage: true });
    const refused = (await completionsFor(id)).at(-1);
    assert.equal(refused.status, 400);
    assert.equal(refused.response.code, 'external_auth_session_already_completed');

    // An id AuthKit does not know (expired): 404 at WorkOS → a readable page.
    const unknown = await page.goto(loginUrl('ext_auth_01UNKNOWNUNKNOWNUNKNOWN0000', undefined));
    assert.equal(unknown.status(), 400, 'unknown/expired id → 400 page');
    assert.match(await text(page, TESTID.errorMessage), /expired|unknown/i);
  } finally {
    await context.close();
  }
});

test('signed in: a completion answering a foreign redirect_uri is refused with a 502 page, the browser stays', async () => {
  const { context, page, evilHits } = await freshPage();
  try {
    await bridgeSignIn(page, await bridge.newId()); // signed in now
    const id = await bridge.newId();
    await bridge.nextCompletion({ redirect_uri: `${EVIL}/oauth2/continue?state=stolen` });
    const res = await page.goto(loginUrl(id, undefined));
    assert.equal(res.status(), 502, `status ${res.status()}`);
    assert.ok(page.url().startsWith(akUrl('/login')), `stays on the Worker: ${page.url()}`);
    assert.ok((await text(page, TESTID.errorTitle)).length > 0, 'an error title');
    assert.ok((await text(page, TESTID.errorMessage)).length > 0, 'an error message');
    assert.doesNotMatch(await page.content(), /evil\.example/, 'the page does not link to the foreign address');
    assert.deepEqual(evilHits, [], 'the browser never asked evil.example');
    await page.screenshot({ path: artifact('authkit-bridge-foreign-redirect.png'), fullPage: true });
  } finally {
    await context.close();
  }
});

test('signed out: a foreign redirect_uri at /callback is refused with a 502 page and no session', async () => {
  const { context, page, evilHits } = await freshPage();
  try {
    const id = await bridge.newId();
    await bridge.nextCompletion({ redirect_uri: `${EVIL}/oauth2/continue?state=stolen` });
    await page.goto(loginUrl(id));
    const callback = page.waitForResponse((r) => r.url().startsWith(akUrl('/callback')));
    await page.getByTestId(TESTID.signIn).click();
    const res = await callback;
    assert.equal(res.status(), 502, `GET /callback → ${res.status()}`);
    await page.waitForLoadState();
    assert.ok(page.url().startsWith(akUrl('/callback')), `stays on the Worker: ${page.url()}`);
    assert.ok((await text(page, TESTID.errorMessage)).length > 0, 'an error message');
    assert.deepEqual(evilHits, [], 'the browser never asked evil.example');
    assert.equal(await sessionCookie(context), undefined, 'a refused completion leaves no session');
    const [c] = await completionsFor(id);
    assert.equal(c?.status, 200, 'the completion itself was made (and its answer refused)');
  } finally {
    await context.close();
  }
});

test('a person whose application already set their external id is completed under it, to the same WorkOS user', async () => {
  assert.ok(BOB_ID, 'run under tests/e2e/run.mjs (BOB_ID)');
  await workosApi('PUT', `/user_management/users/${BOB_ID}`, { external_id: 'crm-bob-0007' });
  const { context, page } = await freshPage();
  try {
    const id = await bridge.newId();
    await page.goto(loginUrl(id, BOB));
    await page.getByTestId(TESTID.signIn).click();
    await page.waitForURL((u) => u.href.startsWith(CONTINUE), { timeout: 30000 });
    const [c] = await completionsFor(id);
    assert.equal(c.status, 200, JSON.stringify(c));
    assert.equal(c.user.id, 'crm-bob-0007', 'the existing external id, unchanged');
    assert.equal(c.user.email, BOB);
    assert.equal(c.created_user, false, "no user created");
    assert.equal(c.resolved_user_id, BOB_ID);
    assert.equal((await workosApi('GET', `/user_management/users/${BOB_ID}`)).external_id, 'crm-bob-0007', 'not overwritten');
    assert.equal((await workosApi('GET', `/user_management/users?email=${encodeURIComponent(BOB)}`)).data.length, 1);
  } finally {
    await context.close();
  }
});

// In the Worker's own mode no AuthKit request waits for this server: a link to
// /login?external_auth_id=… (from any site) in a signed-in browser is the ordinary sign-in page.
// It completes nothing at WorkOS and refreshes no WorkOS token.
test("the Worker's own mode ignores a bridge link: the sign-in page, nothing completed, still signed in", async () => {
  const { jar } = await signIn(ALICE);
  const id = await bridge.newId();
  await control.clearRequests();
  const res = await jar.fetch(worker(`${PATHS.login}?external_auth_id=${encodeURIComponent(id)}`));
  assert.equal(res.status, 200, 'the sign-in page, not a redirect to AuthKit');
  assert.ok(!(await res.text()).includes(id), 'the id does not ride along into the sign-in');
  assert.deepEqual(await completionsFor(id), [], 'nothing completed at WorkOS');
  // (The sign-in's audit event may still be on its way: only user-management calls count.)
  const calls = (await control.requests()).filter((r) => r.path.startsWith('/user_management')).map((r) => `${r.method} ${r.path}`);
  assert.deepEqual(calls, [], 'no WorkOS user-management call (no token refreshed, no user read)');
  assert.equal((await account(jar)).status, 200, 'the browser is still signed in');
});

// Each completion for a signed-in browser asks WorkOS, on the API key everyone's sign-ins share:
// a person's completions are limited (the sign-in limiter, counted per person; 300 a minute in
// wrangler.toml's env.local). Last in the file: it spends Alice's bridge budget for a minute.
test("a signed-in person's bridge completions are limited per person: past it, a 429 page and nothing completed", async () => {
  const { context, page } = await freshPage();
  try {
    await bridgeSignIn(page, await bridge.newId());
    const unknown = 'ext_auth_01UNKNOWNUNKNOWNUNKNOWN0000';
    let refused;
    let served = 0;
    for (let i = 0; i < 700 && !refused; i++) {
      const r = await context.request.fetch(loginUrl(unknown, undefined), { maxRedirects: 0 });
      if (r.status() === 429) refused = r;
      else { assert.equal(r.status(), 400, 'an unknown id: the readable 400 page'); served++; }
    }
    assert.ok(refused, `no refusal after ${served} completions`);
    assert.ok(served >= 30 && served <= 600, `${served} served before the limit`);
    assert.equal(refused.headers()['retry-after'], '60');
    assert.match(await refused.text(), /Too many sign-in attempts/);
    // Past the limit a real AuthKit request is not completed, and WorkOS is not asked.
    const id = await bridge.newId();
    await control.clearRequests();
    const again = await context.request.fetch(loginUrl(id, undefined), { maxRedirects: 0 });
    assert.equal(again.status(), 429);
    assert.deepEqual(await completionsFor(id), [], 'nothing completed');
    const calls = (await control.requests()).filter((r) => r.path.startsWith('/user_management') || r.path.startsWith('/authkit'));
    assert.deepEqual(calls, [], 'no WorkOS call');
  } finally {
    await context.close();
  }
});
