// The known ways an MCP authorization server goes wrong (several are CVEs of
// workers-oauth-provider), each as its own test against the built Worker.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, CookieJar } from './helpers.mjs';
import {
  ORIGIN, CONSENT_COOKIE, Browser, registerClient, authorizeRequest, atConsent, obtainCode, exchangeCode,
  refreshToken, revoke, clientWithTokens, expectTokens, expectOAuthError, expectErrorRedirect,
  expectRefusalPage, expectAccepted, waitUntilRefused, DEFAULT_REDIRECT,
} from './oauth-helpers.mjs';

const alice = new Browser({ loginHint: ALICE });

// ---- CVE-2025-4143: redirect URI not checked at /authorize ------------------------------------------

describe('redirect URI checked at /authorize before anything else (CVE-2025-4143)', () => {
  let client;
  before(async () => {
    client = await registerClient();
    await obtainCode(alice, client); // alice's browser is signed in and has approved this client
  });

  const UNREGISTERED = [
    'https://evil.example/oauth/callback',
    `${DEFAULT_REDIRECT}/x`,
    `${DEFAULT_REDIRECT}?x=1`,
    'http://localhost:33418/oauth/callbacks',
    'http://localhost.evil.example:33418/oauth/callback',
    'http://localhost:33418/oauth/../evil',
    'javascript:alert(1)',
  ];

  test('an unregistered redirect_uri → 400 page, never a redirect (signed out and signed in)', async () => {
    for (const redirectUri of UNREGISTERED) {
      const req = authorizeRequest(client, { redirect_uri: redirectUri });
      await expectRefusalPage(await new CookieJar().fetch(req.url), 400, `signed out, ${redirectUri}`);
      await expectRefusalPage(await alice.jar.fetch(req.url), 400, `signed in + approved, ${redirectUri}`);
    }
  });

  test('an unknown client_id → 400 page, never a redirect', async () => {
    const req = authorizeRequest({ client_id: 'no-such-client', redirect_uri: DEFAULT_REDIRECT });
    await expectRefusalPage(await alice.jar.fetch(req.url), 400, 'unknown client');
    const none = authorizeRequest(client, { client_id: null });
    await expectRefusalPage(await alice.jar.fetch(none.url), 400, 'no client_id');
  });

  test('a bad redirect_uri wins over every other error (no error redirect to it)', async () => {
    const req = authorizeRequest(client, {
      redirect_uri: 'https://evil.example/cb', response_type: 'token', code_challenge: null, resource: 'https://evil.example/mcp',
    });
    await expectRefusalPage(await alice.jar.fetch(req.url), 400, 'bad redirect_uri and more');
  });

  test('a repeated redirect_uri (registered first, foreign second) → 400 page', async () => {
    const req = authorizeRequest(client);
    const u = new URL(req.url);
    u.searchParams.append('redirect_uri', 'https://evil.example/cb');
    await expectRefusalPage(await alice.jar.fetch(u.href), 400, 'two redirect_uri parameters');
  });

  test('a loopback redirect URI may differ only in its port', async () => {
    const loop = await registerClient({ redirect_uris: ['http://127.0.0.1:1234/cb'] });
    const got = await obtainCode(alice, loop, { redirect_uri: 'http://127.0.0.1:5555/cb' });
    expectTokens(await exchangeCode(got), 'exchange with the port-varied redirect URI');
    for (const other of ['http://127.0.0.1:5555/other', 'http://localhost:1234/cb', 'http://127.0.0.2:1234/cb']) {
      const req = authorizeRequest(loop, { redirect_uri: other });
      await expectRefusalPage(await alice.jar.fetch(req.url), 400, `loopback, ${other}`);
    }
  });
});

// ---- CVE-2025-4144: PKCE downgrade --------------------------------------------------------------------

describe('PKCE is required, S256 only (CVE-2025-4144)', () => {
  let client;
  // Errors go back to a client only once the person has approved it (else they are a page).
  before(async () => { client = await registerClient(); await obtainCode(alice, client); });

  test('no code_challenge → error redirect invalid_request (state, iss), no code', async () => {
    const req = authorizeRequest(client, { code_challenge: null, code_challenge_method: null });
    expectErrorRedirect(await alice.navigate(req.url), { redirectUri: req.redirect_uri, state: req.state, error: 'invalid_request' });
  });

  test('code_challenge_method=plain → refused with invalid_request', async () => {
    const req = authorizeRequest(client, { code_challenge_method: 'plain', code_challenge: 'a'.repeat(43) });
    expectErrorRedirect(await alice.navigate(req.url), { redirectUri: req.redirect_uri, state: req.state, error: 'invalid_request' });
  });

  test('at /token, a missing code_verifier → invalid_grant', async () => {
    const got = await obtainCode(alice, client);
    expectOAuthError(await exchangeCode(got, { code_verifier: undefined }), 400, 'invalid_grant', 'no code_verifier');
  });

  test('at /token, a wrong code_verifier → invalid_grant', async () => {
    const got = await obtainCode(alice, client);
    const wrong = got.verifier.slice(0, -1) + (got.verifier.endsWith('A') ? 'B' : 'A');
    expectOAuthError(await exchangeCode(got, { code_verifier: wrong }), 400, 'invalid_grant', 'wrong code_verifier');
    // The challenge itself as "verifier" (what a plain-method downgrade would send).
    const got2 = await obtainCode(alice, client);
    expectOAuthError(await exchangeCode(got2, { code_verifier: got2.code_challenge }), 400, 'invalid_grant', 'challenge as verifier');
  });
});

// ---- open redirect after consent ---------------------------------------------------------------------

test('consent form posted with an unregistered redirect_uri → 400 page, no redirect, nothing remembered', async () => {
  const { browser, consent } = await atConsent(ALICE);
  for (const evil of ['https://evil.example/oauth/callback', 'javascript:alert(1)', `${DEFAULT_REDIRECT}.evil.example`]) {
    const res = await browser.postConsent({ ...consent.fields, redirect_uri: evil, decision: 'approve' });
    await expectRefusalPage(res, 400, `consent POST with redirect_uri ${evil}`);
    assert.ok(!res.cookies.some((c) => c.name === CONSENT_COOKIE), 'no approval remembered');
  }
  // The untouched form still works (the refusals were about the redirect URI).
  const ok = await browser.postConsent({ ...consent.fields, decision: 'approve' });
  assert.equal(ok.status, 303, `untouched form → ${ok.status}`);
  assert.ok(ok.headers.get('location').startsWith(`${DEFAULT_REDIRECT}?`), ok.headers.get('location'));
});

// ---- CSRF on the consent form ----------------------------------------------------------------------------

test('consent form without, or with a wrong or foreign csrf, or from a foreign Origin → 403, no code', async () => {
  const browser = new Browser({ loginHint: ALICE });
  const other = new Browser({ loginHint: ALICE });
  const client = await registerClient();
  const nav = await browser.navigate(authorizeRequest(client).url, { decision: null });
  assert.ok(nav.consent?.fields.csrf, 'the consent page has a csrf field');
  const otherNav = await other.navigate(authorizeRequest(client).url, { decision: null });
  const { csrf, ...withoutCsrf } = nav.consent.fields;

  const attempts = [
    ['no csrf', { ...withoutCsrf, decision: 'approve' }, { origin: ORIGIN }],
    ['empty csrf', { ...withoutCsrf, csrf: '', decision: 'approve' }, { origin: ORIGIN }],
    ['wrong csrf', { ...withoutCsrf, csrf: `${csrf.slice(0, -2)}xx`, decision: 'approve' }, { origin: ORIGIN }],
    ["another browser's csrf", { ...withoutCsrf, csrf: otherNav.consent.fields.csrf, decision: 'approve' }, { origin: ORIGIN }],
    ['foreign Origin', { ...nav.consent.fields, decision: 'approve' }, { origin: 'https://evil.example' }],
    ['Origin null', { ...nav.consent.fields, decision: 'approve' }, { origin: 'null' }],
    ['foreign Origin, deny', { ...nav.consent.fields, decision: 'deny' }, { origin: 'https://evil.example' }],
  ];
  for (const [what, fields, headers] of attempts) {
    const res = await browser.postConsent(fields, headers);
    await expectRefusalPage(res, 403, what);
    assert.ok(!res.cookies.some((c) => c.name === CONSENT_COOKIE), `${what}: no approval remembered`);
  }
  // The real form, from our origin, still works.
  const ok = await browser.postConsent({ ...nav.consent.fields, decision: 'approve' });
  assert.equal(ok.status, 303);
  assert.ok(new URL(ok.headers.get('location')).searchParams.get('code'), 'a code');
});

// ---- a foreign resource ------------------------------------------------------------------------------------

test('a foreign resource at /authorize → error redirect invalid_target (state, iss), no code', async () => {
  const client = await registerClient();
  await obtainCode(alice, client); // approved: its errors go back to it
  for (const resource of ['https://evil.example/mcp', 'http://127.0.0.1:8789/mcp', 'not a url']) {
    const req = authorizeRequest(client, { resource });
    expectErrorRedirect(await alice.navigate(req.url), { redirectUri: req.redirect_uri, state: req.state, error: 'invalid_target' });
  }
});

// ---- one client revoking another's tokens -------------------------------------------------------------------

test("client B revoking client A's tokens → 200, but A's tokens keep working; A revoking its own ends the grant", async () => {
  const { client: a, tokens } = await clientWithTokens(alice);
  const b = await registerClient();

  const rb = await revoke(b.client_id, tokens.refresh_token, { token_type_hint: 'refresh_token' });
  assert.equal(rb.status, 200, "B's revocation of A's refresh token answers 200 (RFC 7009: no oracle)");
  const rb2 = await revoke(b.client_id, tokens.access_token, { token_type_hint: 'access_token' });
  assert.equal(rb2.status, 200);
  await expectAccepted('/mcp', tokens.access_token, "A's access token still works");
  const next = expectTokens(await refreshToken(a.client_id, tokens.refresh_token), "A's refresh token after B's revocation");

  // The positive control: A revokes its own refresh token — the grant ends.
  assert.equal((await revoke(a.client_id, next.refresh_token, { token_type_hint: 'refresh_token' })).status, 200);
  expectOAuthError(await refreshToken(a.client_id, next.refresh_token), 400, 'invalid_grant', 'refresh after own revocation');
  const last = await waitUntilRefused('/mcp', next.access_token);
  assert.equal(last.status, 401, "A's access token stops working within ~a minute of the revocation");
  assert.equal((await revoke(a.client_id, 'no-such-token')).status, 200, 'an unknown token → 200');
});

// ---- code reuse ---------------------------------------------------------------------------------------------------

test('a code used twice: the second exchange fails and the tokens of the first stop working', async () => {
  const client = await registerClient();
  const got = await obtainCode(alice, client);
  const first = expectTokens(await exchangeCode(got), 'first exchange');
  await expectAccepted('/mcp', first.access_token, 'the first tokens work');
  // A replay within 2 s counts as sent together with the first (refused, nothing revoked); a
  // replay after that is reuse.
  await new Promise((r) => setTimeout(r, 2500));
  expectOAuthError(await exchangeCode(got), 400, 'invalid_grant', 'second exchange');
  expectOAuthError(await refreshToken(client.client_id, first.refresh_token), 400, 'invalid_grant',
    'the refresh token from the first exchange, after the code was replayed');
  const last = await waitUntilRefused('/mcp', first.access_token);
  assert.equal(last.status, 401, 'the access token from the first exchange stops working within ~a minute');
});

// ---- refresh-token reuse after rotation ------------------------------------------------------------------------

test('refresh rotation: once the new refresh token is used, the old one is refused', async () => {
  const { client, tokens } = await clientWithTokens(alice);
  const rt1 = tokens.refresh_token;
  const second = expectTokens(await refreshToken(client.client_id, rt1), 'rt1 → rt2');
  const rt2 = second.refresh_token;
  assert.ok(rt2 && rt2 !== rt1, 'a new refresh token');
  const third = expectTokens(await refreshToken(client.client_id, rt2), 'rt2 → rt3');
  assert.ok(third.refresh_token && third.refresh_token !== rt2, 'a new refresh token again');
  expectOAuthError(await refreshToken(client.client_id, rt1), 400, 'invalid_grant', 'rt1 after rt2 was used');
});
