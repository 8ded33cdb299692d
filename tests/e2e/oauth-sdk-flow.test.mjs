// A real MCP client library (@modelcontextprotocol/sdk's `auth()`) against the Worker:
// discovery → dynamic client registration → authorization (sign-in at the emulator, consent) →
// token → refresh, as Alice and as Bob; consent remembered per browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, BOB, COOKIE, CookieJar } from './helpers.mjs';
import {
  url, PRM_PATH, AS_METADATA_PATH, BASE_SCOPE, PERMISSION, CONSENT_COOKIE, Browser, SdkProvider,
  sdkAuthorize, sdkRefresh, scopesOf, expectAccepted, expectErrorRedirect, authorizeRequest, registerClient,
  obtainCode, expectCode,
} from './oauth-helpers.mjs';

/** Asserts a token set as the contract describes it. */
function expectTokenSet(tokens, what) {
  assert.ok(tokens?.access_token, `${what}: an access token`);
  assert.ok(tokens.refresh_token, `${what}: a refresh token`);
  assert.equal(tokens.token_type, 'Bearer', `${what}: token_type`);
  assert.equal(tokens.expires_in, 3600, `${what}: expires_in`);
  assert.ok(scopesOf(tokens).includes(BASE_SCOPE), `${what}: scope "${tokens.scope}" includes ${BASE_SCOPE}`);
}

test('the SDK as Alice: discovery → DCR → consent → token → refresh (rotating), with image_generation', async () => {
  const browser = new Browser({ loginHint: ALICE });
  const provider = new SdkProvider({ browser });
  const tokens = await sdkAuthorize(provider);

  // What the SDK did, in order: path-aware PRM, AS metadata, DCR, authorize (browser), token.
  const seq = provider.requests.map((r) => `${r.method} ${new URL(r.url).pathname} ${r.status}`);
  assert.deepEqual(seq, [
    `GET ${PRM_PATH}/mcp 200`,
    `GET ${AS_METADATA_PATH} 200`,
    'POST /register 201',
    'POST /token 200',
  ], `the SDK's requests: ${seq.join(' | ')}`);
  const client = provider.clientInformation();
  assert.ok(client.client_id, 'registered a client');
  assert.equal(client.token_endpoint_auth_method, 'none', 'a public client, as asked');
  assert.deepEqual(client.redirect_uris, [provider.redirectUrl]);
  assert.equal(client.client_secret, undefined, 'a public client gets no secret');
  assert.ok(Number.isInteger(client.client_id_issued_at), 'client_id_issued_at');

  // The authorization request the SDK built, and what the person went through.
  const authz = provider.lastAuthorizationUrl.searchParams;
  assert.equal(authz.get('resource'), url('/mcp'), 'the SDK asked for the /mcp resource');
  assert.equal(authz.get('code_challenge_method'), 'S256');
  const [nav] = provider.navigations;
  assert.equal(nav.signInPosted, 1, 'signed in once at the emulator');
  assert.equal(nav.signInPages, 0, 'straight from /authorize to WorkOS: no sign-in page of ours');
  assert.ok(nav.consent, 'a consent page was shown (first time for this browser and client)');
  assert.equal(nav.consent.clientName, provider.clientMetadata.client_name, 'the consent page names the client');
  assert.equal(nav.consent.redirectHost, 'localhost:33418', "the consent page shows the redirect URI's host");
  assert.match(nav.consent.csp, /frame-ancestors 'none'/, 'the consent page cannot be framed');
  assert.ok(nav.consent.approveButton && nav.consent.denyButton, 'approve and deny buttons');
  assert.ok(nav.consent.fields.csrf, 'the consent form carries a CSRF token');
  const approval = nav.hops.find((h) => h.method === 'POST' && new URL(h.url).pathname === '/authorize');
  assert.equal(approval.status, 303, 'approving answers 303 to the client (a GET follows the form, RFC 9700 §4.11)');

  expectTokenSet(tokens, 'code exchange');
  assert.ok(scopesOf(tokens).includes(PERMISSION), `Alice's scope "${tokens.scope}" includes ${PERMISSION}`);
  const tokenCall = provider.requestsTo('/token')[0];
  assert.match(tokenCall.cacheControl ?? '', /no-store/, 'token response: Cache-Control: no-store');
  assert.equal(tokenCall.body.resource, url('/mcp'), 'the SDK sent the resource to /token too');
  await expectAccepted('/mcp', tokens.access_token);

  // Refresh twice: every refresh returns a new refresh token (and a working access token).
  const seen = new Set([tokens.refresh_token]);
  for (let i = 1; i <= 2; i++) {
    const refreshed = await sdkRefresh(provider);
    expectTokenSet(refreshed, `refresh ${i}`);
    assert.ok(!seen.has(refreshed.refresh_token), `refresh ${i} returned a new refresh token`);
    seen.add(refreshed.refresh_token);
    assert.ok(scopesOf(refreshed).includes(PERMISSION), `refresh ${i}: scope still includes ${PERMISSION}`);
    await expectAccepted('/mcp', refreshed.access_token);
  }
  const refreshCalls = provider.requestsTo('/token').slice(1);
  assert.equal(refreshCalls.length, 2);
  for (const c of refreshCalls) {
    assert.equal(c.body.grant_type, 'refresh_token');
    assert.match(c.cacheControl ?? '', /no-store/, 'refresh response: Cache-Control: no-store');
  }
});

test('the SDK as Bob: scope has mcp but not image_generation', async () => {
  const provider = new SdkProvider({ browser: new Browser({ loginHint: BOB }) });
  const tokens = await sdkAuthorize(provider);
  expectTokenSet(tokens, 'Bob');
  assert.ok(!scopesOf(tokens).includes(PERMISSION), `Bob's scope "${tokens.scope}" lacks ${PERMISSION}`);
  const refreshed = await sdkRefresh(provider);
  assert.ok(!scopesOf(refreshed).includes(PERMISSION), `after refresh: "${refreshed.scope}"`);
  await expectAccepted('/mcp', refreshed.access_token);
});

test('the same browser authorizing the same client again skips consent; another browser sees it', async () => {
  const browser = new Browser({ loginHint: ALICE });
  const provider = new SdkProvider({ browser });
  await sdkAuthorize(provider);
  assert.ok(provider.navigations[0].consent, 'first time: consent');
  const approve = provider.navigations[0].hops.find((h) => h.method === 'POST' && new URL(h.url).pathname === '/authorize');
  assert.ok(approve, 'the consent was approved');
  assert.ok(browser.jar.get(CONSENT_COOKIE), `approving set ${CONSENT_COOKIE} (and it arrived alongside any other cookie)`);

  // Same browser, same client, a new authorization (tokens forgotten, as after a client restart).
  provider.invalidateCredentials('tokens');
  const again = await sdkAuthorize(provider);
  const nav = provider.navigations[1];
  assert.equal(nav.consent, null, `no consent page the second time; hops: ${Browser.describe(nav.hops)}`);
  assert.equal(nav.signInPages, 0, 'no sign-in page either: the browser is still signed in');
  assert.ok(again.access_token, 'and the code it brought back works');

  // Another browser (same user): consent is remembered per browser, not per client.
  const other = new Browser({ loginHint: ALICE });
  const req = authorizeRequest({ client_id: provider.clientInformation().client_id, redirect_uri: provider.redirectUrl });
  const nav2 = await other.navigate(req.url, { decision: null });
  assert.ok(nav2.consent, `a fresh browser is asked; hops: ${Browser.describe(nav2.hops)}`);

  // A consent cookie alone (without the session it was given with) does not skip sign-in.
  const cookieOnly = new Browser({ loginHint: ALICE, jar: new CookieJar() });
  cookieOnly.jar.set(CONSENT_COOKIE, browser.jar.get(CONSENT_COOKIE));
  const nav3 = await cookieOnly.navigate(authorizeRequest({ client_id: provider.clientInformation().client_id, redirect_uri: provider.redirectUrl }).url);
  assert.equal(nav3.signInPosted, 1, 'a browser with only the consent cookie still signs in');
});

test('approving where the sign-in is already spent on another grant: every cookie of the answer arrives', async () => {
  // The browser's WorkOS sign-in seeded the first grant, so approving a second client may go back
  // through WorkOS before the code: then the approval answer sets the consent cookie *and* the
  // sign-in cookie — if either were dropped, the callback would fail or consent would be asked again.
  const browser = new Browser({ loginHint: ALICE });
  await obtainCode(browser, await registerClient());
  const client = await registerClient();
  const req = authorizeRequest(client);
  const nav = await browser.navigate(req.url);
  expectCode(nav, { redirectUri: req.redirect_uri, state: req.state });
  assert.equal(nav.consentPages, 1, `consent asked exactly once; hops: ${Browser.describe(nav.hops)}`);
  const i = nav.hops.findIndex((h) => h.method === 'POST' && new URL(h.url).pathname === '/authorize');
  const approval = nav.responses[i];
  const consent = approval.cookies.find((c) => c.name === CONSENT_COOKIE);
  assert.ok(consent, `the approval sets ${CONSENT_COOKIE}`);
  assert.equal(consent.attributes.path, '/', 'Path=/');
  assert.equal(consent.attributes.domain, undefined, 'no Domain (__Host-)');
  assert.ok(consent.attributes.secure && consent.attributes.httponly, 'Secure; HttpOnly');
  assert.equal(String(consent.attributes.samesite).toLowerCase(), 'lax', 'SameSite=Lax');
  if (approval.status === 303) {
    assert.ok(approval.cookies.some((c) => c.name === COOKIE.signin), 'going through WorkOS: the sign-in cookie arrives too');
  }
  // And the approval is remembered: the next authorization of this client asks nothing.
  const again = await browser.navigate(authorizeRequest(client).url);
  assert.equal(again.consentPages, 0, `remembered; hops: ${Browser.describe(again.hops)}`);
  assert.ok(again.params?.code, 'a code');
});

test('deny on the consent page → error=access_denied at the client, with state and iss, no code', async () => {
  const browser = new Browser({ loginHint: ALICE });
  const client = await registerClient();
  const req = authorizeRequest(client);
  const nav = await browser.navigate(req.url, { decision: 'deny' });
  assert.ok(nav.consent, 'the consent page was shown');
  expectErrorRedirect(nav, { redirectUri: client.redirect_uri, state: req.state, error: 'access_denied' });
  assert.equal(nav.hops.at(-1).status, 303, 'deny answers 303');

  // Denying remembers nothing: the next authorization asks again.
  const next = await browser.navigate(authorizeRequest(client).url, { decision: null });
  assert.ok(next.consent, `asked again after a denial; hops: ${Browser.describe(next.hops)}`);
});
