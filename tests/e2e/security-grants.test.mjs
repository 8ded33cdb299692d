// Security round two, the grant side (issue 11): refresh-token reuse detection, one winner for
// concurrent uses of one code or refresh token (the grant's Durable Object runs them in a line),
// a revocation that stays final when it races a refresh, consent remembered per exact redirect
// URI, no open redirector, private-use schemes by allow-list, and a double-clicked consent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Browser, registerClient, obtainCode, exchangeCode, refreshToken, revoke, expectTokens, expectOAuthError,
  clientWithTokens, authorizeRequest, atConsent, callProtected, register, expectRefusalPage, url, FORM, ORIGIN,
} from './oauth-helpers.mjs';
import { ALICE } from './helpers.mjs';

const refreshOk = async (c, rt, what) => expectTokens(await refreshToken(c.client_id, rt), what);

test('refresh-token reuse: T1 → T2 → T3, then T1 is refused and revokes T3 and its access token', async () => {
  const { client: c, tokens: t1 } = await clientWithTokens(new Browser());
  const t2 = await refreshOk(c, t1.refresh_token, 'T1 → T2');
  const t3 = await refreshOk(c, t2.refresh_token, 'T2 → T3');
  const reuse = await refreshToken(c.client_id, t1.refresh_token);
  expectOAuthError(reuse, 400, 'invalid_grant', 'T1 again');
  assert.match(reuse.json.error_description, /revoked/);
  expectOAuthError(await refreshToken(c.client_id, t3.refresh_token), 400, 'invalid_grant', 'T3 after the reuse');
  assert.equal((await callProtected('/mcp', t3.access_token)).status, 401, 'T3\'s access token too (first look at this grant)');
});

test('a lost response: the replaced token works once within the grace, a second replay revokes the grant', async () => {
  const { client: c, tokens: t1 } = await clientWithTokens(new Browser());
  const lost = await refreshOk(c, t1.refresh_token, 'T1 → T2 (response lost)');
  // (Within 2 s of a rotation the old token counts as sent together with it: "already used".)
  await new Promise((r) => setTimeout(r, 2500));
  const again = await refreshOk(c, t1.refresh_token, 'T1 once more, within 60 s');
  expectOAuthError(await refreshToken(c.client_id, t1.refresh_token), 400, 'invalid_grant', 'T1 a third time');
  for (const t of [lost, again]) expectOAuthError(await refreshToken(c.client_id, t.refresh_token), 400, 'invalid_grant', 'the grant is gone');
});

test('50 concurrent refreshes with one token: exactly one winner, the others told "already used", the grant lives', async () => {
  const { client: c, tokens: t1 } = await clientWithTokens(new Browser());
  const answers = await Promise.all(Array.from({ length: 50 }, () => refreshToken(c.client_id, t1.refresh_token)));
  const winners = answers.filter((r) => r.status === 200);
  assert.equal(winners.length, 1, `statuses: ${answers.map((r) => r.status).join(',')}`);
  for (const r of answers.filter((a) => a.status !== 200)) {
    expectOAuthError(r, 400, 'invalid_grant', 'a loser');
    assert.match(r.json.error_description, /already used/, 'a truthful reason');
    assert.doesNotMatch(r.json.error_description, /WorkOS session/);
  }
  await refreshOk(c, winners[0].json.refresh_token, 'the winner\'s token refreshes: nothing was revoked');
});

test('50 concurrent exchanges of one code: one success, 49 invalid_grant; the winner\'s tokens work', async () => {
  const browser = new Browser();
  const c = await registerClient();
  const got = await obtainCode(browser, c);
  const answers = await Promise.all(Array.from({ length: 50 }, () => exchangeCode(got)));
  const ok = answers.filter((r) => r.status === 200);
  assert.equal(ok.length, 1, `statuses: ${[...new Set(answers.map((r) => r.status))]}`);
  for (const r of answers.filter((a) => a.status !== 200)) expectOAuthError(r, 400, 'invalid_grant', 'a concurrent exchange');
  assert.equal((await callProtected('/mcp', ok[0].json.access_token)).status, 200, 'the winner\'s access token works');
  await refreshOk(c, ok[0].json.refresh_token, 'and its refresh token');
});

test('a revoke racing a refresh is final: whatever the refresh answered, nothing issued survives', async () => {
  let refreshWon = 0;
  for (let i = 0; i < 8; i++) {
    const { client: c, tokens } = await clientWithTokens(new Browser());
    const [refreshed, revoked] = await Promise.all([
      refreshToken(c.client_id, tokens.refresh_token),
      new Promise((r) => setTimeout(r, i)).then(() => revoke(c.client_id, tokens.refresh_token)),
    ]);
    assert.equal(revoked.status, 200, `try ${i}: revoke → ${revoked.status}`);
    if (refreshed.status === 200) {
      refreshWon++;
      expectOAuthError(await refreshToken(c.client_id, refreshed.json.refresh_token), 400, 'invalid_grant', `try ${i}: the refreshed token`);
      assert.equal((await callProtected('/mcp', refreshed.json.access_token)).status, 401, `try ${i}: its access token`);
    } else {
      // The revoke went first: the refresh is refused as a refresh of an ended grant.
      expectOAuthError(refreshed, 400, 'invalid_grant', `try ${i}: the refresh after the revoke`);
    }
    expectOAuthError(await refreshToken(c.client_id, tokens.refresh_token), 400, 'invalid_grant', `try ${i}: the original token`);
  }
  // The refresh is sent first, the revoke up to 7 ms later: the refresh wins some of the races,
  // so the check of what it issued ran.
  assert.ok(refreshWon >= 1, `the refresh won ${refreshWon} of 8 races`);
});

test('consent is remembered for the exact redirect URI: another loopback port shows the consent page again', async () => {
  const browser = new Browser();
  const c = await registerClient({ redirect_uris: ['http://127.0.0.1:41000/callback'] });
  await obtainCode(browser, c); // approved for port 41000
  const same = await browser.navigate(authorizeRequest(c).url, { decision: null });
  assert.equal(same.consentPages, 0, 'the approved redirect URI: no consent page');
  assert.ok(same.redirect, 'straight back with a code');
  const otherPort = await browser.navigate(authorizeRequest(c, { redirect_uri: 'http://127.0.0.1:41999/callback' }).url, { decision: null });
  assert.equal(otherPort.consentPages, 1, 'another port: the person is asked again');
  assert.equal(otherPort.redirect, null, 'no code without the person');
});

test('no open redirector: an invalid request for a client nobody approved is a page, never a redirect', async () => {
  const evil = await registerClient({ redirect_uris: ['https://evil.example/cb'] });
  for (const params of [{ response_type: 'bad' }, { code_challenge_method: 'plain' }, { resource: 'https://elsewhere.example/mcp' }]) {
    const req = authorizeRequest(evil, params);
    const res = await fetch(req.url, { redirect: 'manual' });
    await expectRefusalPage(res, 400, JSON.stringify(params));
  }
});

test('redirect URIs: only https, loopback http and reverse-domain private-use schemes register', async () => {
  for (const uri of ['ms-msdt:?id=PCWDiagnostic', 'search-ms:query=x', 'smb://evil.example/share', 'intent://x/cb', 'itms-services://?action=x',
    'chrome://settings', 'view-source:https://example.com', 'tel:+15555550100', 'myapp://cb']) {
    const r = await register({ redirect_uris: [uri], token_endpoint_auth_method: 'none' });
    assert.equal(r.status, 400, `${uri}: ${r.status}`);
    assert.equal(r.json.error, 'invalid_redirect_uri', uri);
  }
  for (const uri of ['com.example.app:/callback', 'cursor://anysphere.cursor-mcp/oauth/callback']) {
    assert.equal((await register({ redirect_uris: [uri], token_endpoint_auth_method: 'none' })).status, 201, uri);
  }
});

test('a double-clicked consent: both submissions end with a code, neither shows a WorkOS error', async () => {
  const { browser, client: c, consent } = await atConsent(ALICE);
  const body = new URLSearchParams({ ...consent.fields, decision: 'approve' }).toString();
  const post = () => browser.jar.fetch(url('/authorize'), { method: 'POST', headers: { 'content-type': FORM, origin: ORIGIN }, body });
  const answers = await Promise.all([post(), post()]);
  for (const res of answers) {
    const text = await res.text();
    assert.equal(res.status, 303, `a redirect, not a page: ${res.status} ${text.slice(0, 200)}`);
    assert.doesNotMatch(text, /invalid_grant|WorkOS HTTP/);
    const location = new URL(res.headers.get('location'), ORIGIN);
    if (location.href.startsWith(c.redirect_uri)) {
      assert.ok(location.searchParams.get('code'), 'a code for the client');
    } else {
      // The second went through WorkOS for its own session chain: following it ends with a code.
      const nav = await browser.navigate(location.href);
      assert.ok(nav.redirect?.searchParams.get('code'), `ended with a code: ${Browser.describe(nav.hops)}`);
    }
  }
});
