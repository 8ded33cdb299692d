// POST /token: form-encoded only, no repeated parameters, no-store, client authentication as
// registered, codes bound to their client / redirect URI / resource, refresh tokens to their client.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE } from './helpers.mjs';
import {
  url, Browser, registerClient, obtainCode, exchangeCode, refreshToken, tokenRequest, clientWithTokens,
  expectTokens, expectOAuthError, expectAccepted, ORIGIN,
} from './oauth-helpers.mjs';

const browser = new Browser({ loginHint: ALICE });

describe('request format', () => {
  let client;
  before(async () => { client = await registerClient(); });

  test('a JSON body → 400 invalid_request', async () => {
    const got = await obtainCode(browser, client);
    const r = await tokenRequest(undefined, {
      contentType: 'application/json',
      body: JSON.stringify({ grant_type: 'authorization_code', code: got.code, code_verifier: got.verifier, redirect_uri: got.redirect_uri, client_id: client.client_id, resource: got.resource }),
    });
    expectOAuthError(r, 400, 'invalid_request', 'application/json');
    // The refusal is about the format only: the same code as a form still works.
    expectTokens(await exchangeCode(got), 'the same code, form-encoded');
  });

  test('a repeated parameter → 400 invalid_request', async () => {
    for (const name of ['grant_type', 'code', 'code_verifier', 'client_id', 'redirect_uri', 'resource']) {
      const got = await obtainCode(browser, client);
      const form = new URLSearchParams({
        grant_type: 'authorization_code', code: got.code, code_verifier: got.verifier,
        redirect_uri: got.redirect_uri, client_id: client.client_id, resource: got.resource,
      });
      form.append(name, form.get(name)); // the same value twice: still refused
      const r = await tokenRequest(undefined, { body: form.toString() });
      expectOAuthError(r, 400, 'invalid_request', `${name} twice`);
    }
  });

  test('no grant_type → invalid_request; an unsupported one → unsupported_grant_type', async () => {
    expectOAuthError(await tokenRequest({ client_id: client.client_id }), 400, 'invalid_request', 'no grant_type');
    for (const grant of ['client_credentials', 'password', 'urn:ietf:params:oauth:grant-type:device_code', 'implicit']) {
      const r = await tokenRequest({ grant_type: grant, client_id: client.client_id, username: 'a', password: 'b' });
      expectOAuthError(r, 400, 'unsupported_grant_type', grant);
    }
  });

  test('an unknown client → 401 invalid_client', async () => {
    const r = await tokenRequest({ grant_type: 'refresh_token', refresh_token: 'x', client_id: 'no-such-client' });
    expectOAuthError(r, 401, 'invalid_client', 'unknown client');
  });

  test('GET /token is not a token endpoint', async () => {
    const res = await fetch(url('/token?grant_type=refresh_token&refresh_token=x&client_id=y'));
    await res.text();
    assert.equal(res.status, 405);
  });

  test('success carries Cache-Control: no-store and the contract fields', async () => {
    const got = await obtainCode(browser, client);
    const t = expectTokens(await exchangeCode(got));
    assert.equal(t.expires_in, 3600);
    assert.ok(t.refresh_token);
    assert.ok(t.scope.split(' ').includes('mcp'));
  });
});

describe('bindings of codes and refresh tokens', () => {
  let a;
  let b;
  before(async () => {
    a = await registerClient();
    b = await registerClient();
  });

  test("a code exchanged by another client → invalid_grant", async () => {
    const got = await obtainCode(browser, a);
    expectOAuthError(await exchangeCode(got, { client_id: b.client_id, redirect_uri: b.redirect_uri }), 400, 'invalid_grant', "B with A's code");
  });

  test('a code exchanged with another redirect_uri → invalid_grant', async () => {
    const got = await obtainCode(browser, a);
    expectOAuthError(await exchangeCode(got, { redirect_uri: 'http://localhost:33418/other' }), 400, 'invalid_grant', 'other redirect_uri');
  });

  test('a code for /mcp exchanged for /sse → refused', async () => {
    const got = await obtainCode(browser, a);
    const r = await exchangeCode(got, { resource: url('/sse') });
    assert.equal(r.status, 400, r.text);
    assert.ok(['invalid_grant', 'invalid_target'].includes(r.json?.error), r.text);
  });

  test("a refresh token presented by another client → invalid_grant", async () => {
    const { tokens } = await clientWithTokens(browser, { client: a });
    expectOAuthError(await refreshToken(b.client_id, tokens.refresh_token), 400, 'invalid_grant', "B with A's refresh token");
  });

  test('an unknown refresh token → invalid_grant', async () => {
    expectOAuthError(await refreshToken(a.client_id, 'not-a-refresh-token'), 400, 'invalid_grant', 'unknown refresh token');
  });
});

describe('confidential clients', () => {
  const confidential = (method) => registerClient({
    token_endpoint_auth_method: method, redirect_uris: ['https://app.example/callback'],
  });
  const exchange = (got, fields, opts) => tokenRequest({
    grant_type: 'authorization_code', code: got.code, code_verifier: got.verifier,
    redirect_uri: got.redirect_uri, resource: got.resource, ...fields,
  }, opts);

  test('client_secret_basic: HTTP Basic works; no secret or a wrong one → 401 invalid_client', async () => {
    const c = await confidential('client_secret_basic');
    assert.ok(c.client_secret, 'registered with a secret');
    const g1 = await obtainCode(browser, c);
    expectOAuthError(await exchange(g1, { client_id: c.client_id }), 401, 'invalid_client', 'no secret');
    const g2 = await obtainCode(browser, c);
    expectOAuthError(await exchange(g2, {}, { basic: [c.client_id, `${c.client_secret}x`] }), 401, 'invalid_client', 'wrong secret');
    const g3 = await obtainCode(browser, c);
    const t = expectTokens(await exchange(g3, {}, { basic: [c.client_id, c.client_secret] }), 'Basic');
    const r = await tokenRequest({ grant_type: 'refresh_token', refresh_token: t.refresh_token }, { basic: [c.client_id, c.client_secret] });
    expectTokens(r, 'refresh with Basic');
    expectOAuthError(await tokenRequest({ grant_type: 'refresh_token', refresh_token: r.json.refresh_token, client_id: c.client_id }),
      401, 'invalid_client', 'refresh without the secret');
  });

  test('client_secret_post: the secret in the form works; a wrong one → 401 invalid_client', async () => {
    const c = await confidential('client_secret_post');
    const g1 = await obtainCode(browser, c);
    expectOAuthError(await exchange(g1, { client_id: c.client_id, client_secret: 'wrong' }), 401, 'invalid_client', 'wrong secret');
    const g2 = await obtainCode(browser, c);
    const t = expectTokens(await exchange(g2, { client_id: c.client_id, client_secret: c.client_secret }), 'client_secret_post');
    await expectAccepted('/mcp', t.access_token, 'client_secret_post tokens');
  });
});

describe('Server-Timing', () => {
  test('each authorization step says where its time went: WorkOS calls, KV, the grant object; no ids', async () => {
    const client = await registerClient();
    const got = await obtainCode(new Browser({ loginHint: ALICE }), client);
    const timing = (method, path, status) => {
      const i = got.nav.hops.findIndex((h) => h.method === method && h.url.startsWith(ORIGIN) && new URL(h.url).pathname === path && h.status === status);
      assert.ok(i >= 0, `${method} ${path} → ${status} among ${Browser.describe(got.nav.hops)}`);
      return got.nav.responses[i].headers.get('server-timing') ?? '';
    };
    const ms = '[0-9]+\\.[0-9]';
    // The sign-in: the code exchange — a scoped sign-in lists no memberships; only an isolate's
    // first sign-in reads the JWKS and the organization's name — then KV (the one-time state's
    // used mark read and written: its record came in the sealed cookie; the consent page it
    // answers with takes the client's registration from this isolate's copy, made at
    // registration moments ago; the session written) and the total.
    const callback = timing('GET', '/callback', 200);
    const firstInIsolate = `(fetch;desc="GET /(sso/jwks|organizations)/\\{id\\}";dur=${ms}, )*`;
    assert.match(callback, new RegExp(`^fetch;desc="POST /user_management/authenticate";dur=${ms}, ${firstInIsolate}kv;desc="reads=1 writes=2";dur=${ms}, total;dur=${ms}$`));
    // The consent: the code is issued into the grant's own object.
    assert.match(timing('POST', '/authorize', 303), new RegExp(`grant-object;desc="requests=1";dur=${ms}, total;dur=${ms}$`));
    // The exchange, in the grant's object: one write (the grant's KV mirror; the user's index
    // entry was written at the approval for the grant's whole lifetime), and no read of the
    // client's registration.
    const token = await exchangeCode(got);
    expectTokens(token, 'code exchange');
    assert.match(token.headers.get('server-timing') ?? '', new RegExp(`^kv;desc="reads=0 writes=1";dur=${ms}, grant;dur=${ms}`));
    for (const h of [callback, token.headers.get('server-timing')]) {
      assert.ok(!h.includes(got.code) && !/(user|org|client)_[0-9A-Z]{8}/.test(h), `no ids in ${h}`);
    }
  });
});
