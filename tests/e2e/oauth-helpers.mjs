// Shared pieces of the OAuth end-to-end tests (the Worker as OAuth 2.1 authorization server):
//
//  * the Worker's OAuth contract in one place (metadata documents, the 401 challenge, paths):
//    oauth-contract.mjs, exported from here too;
//  * `Browser` — a cookie-jar "browser" that follows redirects by hand through /authorize (or
//    /login), the emulator's sign-in (the user chosen by `login_hint`, which the browser adds as
//    the person picking their account), /callback and the consent form: oauth-browser.mjs,
//    exported from here too;
//  * `SdkProvider` — an `OAuthClientProvider` for `@modelcontextprotocol/sdk` whose
//    `redirectToAuthorization` drives that browser and captures the code, plus `sdkAuthorize` /
//    `sdkRefresh` that run the SDK's own `auth()` (discovery → DCR/CIMD → authorize → token, refresh);
//  * raw HTTP helpers (register, /authorize URLs with PKCE, /token, /revoke) for the refusal
//    tests, where an SDK would refuse to send what we need to send; the protected endpoints
//    called with a token, and what their acceptance and refusal look like: oauth-protected.mjs,
//    exported from here too;
//  * the emulator's management API (role changes) and a loopback server for client metadata
//    documents (CIMD).
import assert from 'node:assert/strict';
import http from 'node:http';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { WORKOS_URL } from './helpers.mjs';
import {
  BASE_SCOPE, FORM, url, random, pkcePair, readResponse, short,
} from './oauth-contract.mjs';
import { Browser, expectCode } from './oauth-browser.mjs';

export * from './oauth-contract.mjs';
export * from './oauth-browser.mjs';
export * from './oauth-protected.mjs';

// ---- raw client requests ------------------------------------------------------------------------------

export const DEFAULT_REDIRECT = 'http://localhost:33418/oauth/callback';

/** POST /register with a JSON body (object or raw string). */
export async function register(body, headers = {}) {
  const res = await fetch(url('/register'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30000),
  });
  return readResponse(res);
}

/** Registers a client (public unless `token_endpoint_auth_method` says otherwise); asserts 201. */
export async function registerClient(overrides = {}) {
  const body = {
    client_name: `e2e client ${random(4)}`,
    redirect_uris: [DEFAULT_REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    ...overrides,
  };
  const r = await register(body);
  assert.equal(r.status, 201, `POST /register → ${r.status}: ${short(r.text)}`);
  return { ...r.json, redirect_uri: body.redirect_uris[0] };
}

/**
 * An /authorize URL for `client` with PKCE S256, a fresh state, scope `mcp` and resource …/mcp.
 * `params` overrides any parameter; a value of `null` leaves it out.
 */
export function authorizeRequest(client, params = {}) {
  const pkce = pkcePair();
  const all = {
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: client.redirect_uri ?? client.redirect_uris?.[0],
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    state: random(),
    scope: BASE_SCOPE,
    resource: url('/mcp'),
    ...params,
  };
  const u = new URL(url('/authorize'));
  for (const [k, v] of Object.entries(all)) if (v !== null && v !== undefined) u.searchParams.append(k, v);
  return { url: u.href, verifier: pkce.verifier, ...Object.fromEntries(Object.entries(all).filter(([, v]) => v !== null)) };
}

/**
 * The person `loginHint` signed in for a newly registered client, at its consent page (the form
 * not yet sent): {browser, client, req, consent}.
 */
export async function atConsent(loginHint) {
  const browser = new Browser({ loginHint });
  const client = await registerClient();
  const req = authorizeRequest(client);
  const nav = await browser.navigate(req.url, { decision: null });
  assert.ok(nav.consent, `${loginHint} signed in, at the consent page`);
  return { browser, client, req, consent: nav.consent };
}

/** A full authorization by hand (approve): {code, verifier, state, redirect_uri, resource, nav}. */
export async function obtainCode(browser, client, params = {}) {
  const req = authorizeRequest(client, params);
  const nav = await browser.navigate(req.url);
  const got = expectCode(nav, { redirectUri: req.redirect_uri, state: req.state });
  return { ...req, code: got.code, nav };
}

/**
 * POST /token. `params`: form fields (undefined values left out). `opts.basic`: [id, secret] for
 * HTTP Basic; `opts.body`/`opts.contentType` send something else entirely.
 */
export async function tokenRequest(params, { basic, body, contentType = FORM, headers = {}, path = '/token' } = {}) {
  const h = { 'content-type': contentType, accept: 'application/json', ...headers };
  if (basic) h.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic[0])}:${encodeURIComponent(basic[1])}`).toString('base64')}`;
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined && v !== null) form.append(k, v);
  const res = await fetch(url(path), { method: 'POST', headers: h, body: body ?? form.toString(), signal: AbortSignal.timeout(30000) });
  return readResponse(res);
}

/** authorization_code exchange for a public client. */
export function exchangeCode(got, overrides = {}) {
  return tokenRequest({
    grant_type: 'authorization_code',
    code: got.code,
    code_verifier: got.verifier,
    redirect_uri: got.redirect_uri,
    client_id: got.client_id,
    resource: got.resource,
    ...overrides,
  });
}

/** refresh_token grant for a public client. */
export function refreshToken(clientId, refresh, overrides = {}) {
  return tokenRequest({ grant_type: 'refresh_token', refresh_token: refresh, client_id: clientId, ...overrides });
}

/** POST /revoke (RFC 7009) for a public client. */
export async function revoke(clientId, token, extra = {}, opts = {}) {
  return tokenRequest({ token, client_id: clientId, ...extra }, { ...opts, path: '/revoke' });
}

/** Asserts a successful token response; returns its JSON. */
export function expectTokens(r, what = 'token response') {
  assert.equal(r.status, 200, `${what}: ${r.status} ${short(r.text)}`);
  assert.ok(r.json?.access_token, `${what}: an access token`);
  assert.equal(r.json.token_type, 'Bearer', `${what}: token_type`);
  assert.match(r.headers.get('cache-control') ?? '', /no-store/, `${what}: Cache-Control: no-store`);
  return r.json;
}

/** Asserts an RFC 6749 error answer. */
export function expectOAuthError(r, status, error, what = 'the request') {
  assert.equal(r.status, status, `${what}: status ${r.status}, expected ${status}: ${short(r.text)}`);
  assert.equal(r.json?.error, error, `${what}: error ${r.json?.error}, expected ${error}: ${short(r.text)}`);
  assert.match(r.headers.get('cache-control') ?? '', /no-store/, `${what}: Cache-Control: no-store`);
}

/** Full code → tokens for a new public client of `browser`'s user: {client, tokens, got}. */
export async function clientWithTokens(browser, { client, params = {} } = {}) {
  const c = client ?? await registerClient();
  const got = await obtainCode(browser, c, params);
  const tokens = expectTokens(await exchangeCode(got), 'code exchange');
  return { client: c, tokens, got };
}

// ---- the SDK -------------------------------------------------------------------------------------

/**
 * An `OAuthClientProvider` for the SDK's `auth()`: keeps everything in memory, records every
 * request the SDK makes, and answers `redirectToAuthorization` by driving a `Browser` to the end
 * and keeping the code (after checking `state` and `iss`, which the SDK leaves to providers).
 * `clientInformation` pre-sets the client (CIMD: the SDK only accepts https metadata URLs itself).
 */
export class SdkProvider {
  constructor({ browser, redirectUrl = DEFAULT_REDIRECT, clientName = `SDK e2e ${random(4)}`, clientInformation, navigate = {} } = {}) {
    this.browser = browser;
    this._redirectUrl = redirectUrl;
    this._clientName = clientName;
    this._clientInformation = clientInformation;
    this._tokens = undefined;
    this._verifier = undefined;
    this._discovery = undefined;
    this.navigateOptions = navigate;
    this.interactive = true;
    this.requests = [];        // every request the SDK made: {method, url, status, cacheControl}
    this.navigations = [];     // every browser navigation
    this.tokenHistory = [];    // every token set saved, in order
    this.pendingCode = undefined;
    this.lastState = undefined;
    this.fetchFn = async (input, init = {}) => {
      const res = await fetch(input, init);
      this.requests.push({
        method: init.method ?? 'GET',
        url: String(input instanceof Request ? input.url : input),
        status: res.status,
        cacheControl: res.headers.get('cache-control'),
        body: init.body instanceof URLSearchParams ? Object.fromEntries(init.body) : undefined,
      });
      return res;
    };
  }

  get redirectUrl() { return this._redirectUrl; }
  get clientMetadata() {
    return {
      client_name: this._clientName,
      redirect_uris: [this._redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state() { this.lastState = random(); return this.lastState; }
  clientInformation() { return this._clientInformation; }
  saveClientInformation(info) { this._clientInformation = info; }
  tokens() { return this._tokens; }
  saveTokens(tokens) { this._tokens = tokens; this.tokenHistory.push(tokens); }
  saveCodeVerifier(v) { this._verifier = v; }
  codeVerifier() { return this._verifier; }
  saveDiscoveryState(s) { this._discovery = s; }
  discoveryState() { return this._discovery; }
  invalidateCredentials(scope) {
    if (scope === 'all' || scope === 'client') this._clientInformation = undefined;
    if (scope === 'all' || scope === 'tokens') this._tokens = undefined;
    if (scope === 'all' || scope === 'verifier') this._verifier = undefined;
    if (scope === 'all' || scope === 'discovery') this._discovery = undefined;
  }

  async redirectToAuthorization(authorizationUrl) {
    if (!this.interactive) {
      throw new Error(`the SDK wanted a new authorization (${authorizationUrl.href}) where a refresh was expected`);
    }
    this.lastAuthorizationUrl = authorizationUrl;
    const nav = await this.browser.navigate(authorizationUrl.href, this.navigateOptions);
    this.navigations.push(nav);
    const got = expectCode(nav, { redirectUri: this._redirectUrl, state: this.lastState });
    this.pendingCode = got.code;
  }

  takeCode() {
    const code = this.pendingCode;
    this.pendingCode = undefined;
    assert.ok(code, 'the browser brought back a code');
    return code;
  }

  /** Requests made by the SDK to `path` on the Worker. */
  requestsTo(path) { return this.requests.filter((r) => new URL(r.url).pathname === path); }
}

/** The SDK's `auth()` end to end: discovery → registration → authorization → token. */
export async function sdkAuthorize(provider, serverUrl = url('/mcp')) {
  const first = await auth(provider, { serverUrl, fetchFn: provider.fetchFn });
  assert.equal(first, 'REDIRECT', 'auth() sends the user to the authorization endpoint first');
  const second = await auth(provider, { serverUrl, authorizationCode: provider.takeCode(), fetchFn: provider.fetchFn });
  assert.equal(second, 'AUTHORIZED', 'auth() exchanges the code');
  return provider.tokens();
}

/** The SDK's `auth()` with stored tokens: a refresh (a new authorization would fail the test). */
export async function sdkRefresh(provider, serverUrl = url('/mcp')) {
  provider.interactive = false;
  try {
    const result = await auth(provider, { serverUrl, fetchFn: provider.fetchFn });
    assert.equal(result, 'AUTHORIZED', 'auth() refreshes');
  } finally {
    provider.interactive = true;
  }
  return provider.tokens();
}

// ---- the emulator's management API --------------------------------------------------------------

/** A call to the WorkOS API (emulator, through the front) with the emulator's API key. */
export async function workosApi(method, path, body) {
  const res = await fetch(new URL(path, WORKOS_URL), {
    method,
    headers: { authorization: 'Bearer sk_test_default', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`WorkOS ${method} ${path} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** The user's active membership in the organization. */
export async function membership(userId, organizationId) {
  const q = new URLSearchParams({ user_id: userId, organization_id: organizationId });
  const list = await workosApi('GET', `/user_management/organization_memberships?${q}`);
  const m = list.data.find((x) => x.user_id === userId && x.organization_id === organizationId && x.status === 'active');
  assert.ok(m, `an active membership of ${userId} in ${organizationId}`);
  return m;
}

/** Changes a membership's role (WorkOS: PUT /user_management/organization_memberships/{id}). */
export async function setRole(membershipId, roleSlug) {
  const m = await workosApi('PUT', `/user_management/organization_memberships/${membershipId}`, { role_slug: roleSlug });
  assert.equal(m.role?.slug, roleSlug, `the membership now has role ${roleSlug}`);
  return m;
}

// ---- a loopback server for client metadata documents (CIMD) ---------------------------------------

/**
 * Serves `routes` on 127.0.0.1 at a free port and records requests. A route is a raw handler
 * `(req, res, base)` or `{json: (base) => document, headers?}` (served with Content-Length).
 * Returns {base, url(path), requests, requestsTo(path), close()}.
 */
export async function startDocumentServer(routes) {
  const requests = [];
  let base;
  const server = http.createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    requests.push({ method: req.method, path, headers: req.headers, at: Date.now() });
    const route = routes[path];
    if (!route) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not found"}');
      return;
    }
    if (typeof route === 'function') { route(req, res, base); return; }
    const body = JSON.stringify(route.json(base));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...route.headers });
    res.end(body);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    url: (p) => `${base}${p}`,
    requests,
    requestsTo: (p) => requests.filter((r) => r.path === p),
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

