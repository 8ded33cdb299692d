// Upstream faults in the OAuth flows (issue 6), injected by the front on WorkOS's authenticate
// endpoint: during an MCP client's authorization (the sign-in behind /authorize) and during a
// refresh at /token. Each gives a clear error (a page for the person, an OAuth error for the
// client), issues nothing — no code reaches the client, the refresh token is not spent — and the
// same flow succeeds once WorkOS is healthy. The audit log failing never changes a sign-in.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, signIn, account, control, kvKeys, kvSet, AUTHENTICATE, WORKOS_FAULTS } from './helpers.mjs';
import {
  Browser, registerClient, authorizeRequest, atConsent, obtainCode, exchangeCode, expectTokens, refreshToken, expectOAuthError,
  clientWithTokens, callProtected,
} from './oauth-helpers.mjs';

afterEach(async () => { await control.resetFault(); });

test('authorization: WorkOS failing behind /authorize → an error page, no code for the client; then it authorizes', async () => {
  const client = await registerClient();
  for (const fault of WORKOS_FAULTS) {
    const browser = new Browser({ loginHint: ALICE });
    const req = authorizeRequest(client);
    const [grants, sessions] = [await kvKeys('oauth:grant:'), await kvKeys('session:')];
    await control.setFault({ ...fault, paths: [AUTHENTICATE] });
    const nav = await browser.navigate(req.url);
    await control.resetFault();
    const what = JSON.stringify(fault);
    assert.deepEqual(await kvKeys('oauth:grant:'), grants, `${what}: KV: no grant (and so no code)`);
    assert.deepEqual(await kvKeys('session:'), sessions, `${what}: KV: no session`);
    assert.equal(nav.redirect, null, `${what}: the client was sent nowhere (${nav.redirect})`);
    assert.ok(nav.page && [502, 503].includes(nav.page.status), `${what}: an error page, got ${nav.page?.status}`);
    assert.match(nav.page.html, /WorkOS/, `${what}: the page says WorkOS is the trouble`);
    assert.doesNotMatch(nav.page.html, /sk_test|mcp_code_/, `${what}: no secret, no code on the page`);
    // The same person, same client: authorizing works now.
    const got = await obtainCode(browser, client);
    expectTokens(await exchangeCode(got), `${what}: after recovery`);
  }
});

test('refresh: every WorkOS fault → 503 temporarily_unavailable with Retry-After; the refresh token still works after', async () => {
  const { client, tokens } = await clientWithTokens(new Browser({ loginHint: ALICE }));
  const grants = await kvKeys('oauth:grant:');
  for (const fault of WORKOS_FAULTS) {
    await control.setFault({ ...fault, paths: [AUTHENTICATE] });
    const r = await refreshToken(client.client_id, tokens.refresh_token);
    await control.resetFault();
    const what = JSON.stringify(fault);
    expectOAuthError(r, 503, 'temporarily_unavailable', what);
    assert.ok(Number(r.headers.get('retry-after')) > 0, `${what}: Retry-After`);
    assert.doesNotMatch(r.text, /sk_test|wrt-|refresh_token"/, `${what}: nothing secret in the answer`);
  }
  assert.deepEqual(await kvKeys('oauth:grant:'), grants, 'KV: no grant added or lost by the failed refreshes');
  const fresh = expectTokens(await refreshToken(client.client_id, tokens.refresh_token), 'the same refresh token after recovery');
  assert.notEqual(fresh.refresh_token, tokens.refresh_token, 'rotated');
  assert.equal((await callProtected('/mcp', fresh.access_token)).status, 200, 'the new access token works');
});

test('the audit log failing (down, 500, slow) never changes the outcome of a sign-in', async () => {
  for (const fault of [{ mode: 'down' }, { mode: 'status', status: 500 }, { mode: 'slow', delayMs: 7000 }]) {
    await control.setFault({ ...fault, paths: ['/audit_logs/events'] });
    const { jar } = await signIn(ALICE);
    assert.equal((await account(jar)).status, 200, `${JSON.stringify(fault)}: signed in`);
  }
});

// The grant objects failing (a test build's hook: every call to them fails while KV holds
// `test:grant-object-fault`, as an object that cannot be reached would).
const GRANT_OBJECT_FAULT = 'test:grant-object-fault';

/** `send()`'s answer, sent while the grant objects fail. */
async function whileGrantObjectsFail(send) {
  await kvSet(GRANT_OBJECT_FAULT, '1');
  try {
    return await send();
  } finally {
    await kvSet(GRANT_OBJECT_FAULT, undefined);
  }
}

test('the grant object failing: the consent answers an error page and writes nothing, /token 503; both work after', async () => {
  const { browser, req, consent } = await atConsent(ALICE);
  const before = [await kvKeys('oauth:grant:'), await kvKeys('oauth:user-grant:')];
  const refused = await whileGrantObjectsFail(() => browser.postConsent({ ...consent.fields, decision: 'approve' }));
  const page = await refused.text();
  assert.equal(refused.status, 503, `temporarily unavailable: ${page.slice(0, 300)}`);
  assert.equal(refused.headers.get('location'), null, 'the client is sent nowhere');
  assert.match(refused.headers.get('content-type') ?? '', /text\/html/, 'a page for the person');
  assert.doesNotMatch(page, /mcp_code_|sk_test/, 'no code, no secret on the page');
  assert.deepEqual([await kvKeys('oauth:grant:'), await kvKeys('oauth:user-grant:')], before, 'KV: no grant, no index entry');

  // The same consent, the object healthy: a code, which the object's failure at /token leaves unspent.
  const approved = await browser.postConsent({ ...consent.fields, decision: 'approve' });
  assert.equal(approved.status, 303, 'approved once the object answers');
  const code = new URL(approved.headers.get('location')).searchParams.get('code');
  assert.ok(code, 'a code for the client');
  const failed = await whileGrantObjectsFail(() => exchangeCode({ ...req, code }));
  expectOAuthError(failed, 503, 'temporarily_unavailable', 'the code exchange while the object fails');
  assert.ok(Number(failed.headers.get('retry-after')) > 0, 'Retry-After');
  const tokens = expectTokens(await exchangeCode({ ...req, code }), 'the same code once the object answers');
  assert.equal((await callProtected('/mcp', tokens.access_token)).status, 200, 'its access token works');
});
