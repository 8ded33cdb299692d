// Shared pieces of the OAuth end-to-end tests (the Worker as OAuth 2.1 authorization server):
//
//  * the Worker's OAuth contract in one place (metadata documents, the 401 challenge, paths);
//  * `Browser` — a cookie-jar "browser" that follows redirects by hand through /authorize (or
//    /login), the emulator's sign-in (the user chosen by `login_hint`, which the browser adds as
//    the person picking their account), /callback and the consent form;
//  * `SdkProvider` — an `OAuthClientProvider` for `@modelcontextprotocol/sdk` whose
//    `redirectToAuthorization` drives that browser and captures the code, plus `sdkAuthorize` /
//    `sdkRefresh` that run the SDK's own `auth()` (discovery → DCR/CIMD → authorize → token, refresh);
//  * raw HTTP helpers (register, /authorize URLs with PKCE, /token, /revoke, protected endpoints)
//    for the refusal tests, where an SDK would refuse to send what we need to send;
//  * the emulator's management API (role changes) and a loopback server for client metadata
//    documents (CIMD).
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import {
  CookieJar, WORKER_URL, WORKOS_URL, ALICE, formFields, textByTestId, organizationChoices,
} from './helpers.mjs';

// ---- the contract ------------------------------------------------------------------------------

export const ORIGIN = new URL(WORKER_URL).origin;
export const WORKOS_ORIGIN = new URL(WORKOS_URL).origin;
export const PRM_PATH = '/.well-known/oauth-protected-resource';
export const AS_METADATA_PATH = '/.well-known/oauth-authorization-server';
export const PROTECTED_PATHS = ['/mcp', '/sse', '/sse/message'];
export const CONSENT_COOKIE = '__Host-mcp-consent';
export const BASE_SCOPE = 'mcp';
export const PERMISSION = 'image_generation';
export const FORM = 'application/x-www-form-urlencoded';
export const CONSENT_TESTID = {
  clientName: 'consent-client-name',
  redirectHost: 'consent-redirect-host',
  approve: 'consent-approve',
  deny: 'consent-deny',
};

export const url = (p) => `${ORIGIN}${p}`;

const AUTH_METHODS = ['none', 'client_secret_basic', 'client_secret_post'];
/** RFC 8414 document, exactly. */
export const EXPECTED_AS_METADATA = {
  issuer: ORIGIN,
  authorization_endpoint: url('/authorize'),
  token_endpoint: url('/token'),
  registration_endpoint: url('/register'),
  revocation_endpoint: url('/revoke'),
  response_types_supported: ['code'],
  response_modes_supported: ['query'],
  grant_types_supported: ['authorization_code', 'refresh_token'],
  code_challenge_methods_supported: ['S256'],
  token_endpoint_auth_methods_supported: AUTH_METHODS,
  revocation_endpoint_auth_methods_supported: AUTH_METHODS,
  client_id_metadata_document_supported: true,
  authorization_response_iss_parameter_supported: true,
  scopes_supported: [BASE_SCOPE],
};

/** RFC 9728 document for a resource (resource_name is free text, checked separately). */
export const expectedResourceMetadata = (resource) => ({
  resource,
  authorization_servers: [ORIGIN],
  bearer_methods_supported: ['header'],
  scopes_supported: [BASE_SCOPE],
});

/**
 * The `resource_metadata` a refused request at `path` must name: the document of the resource
 * the endpoint belongs to — `/mcp` → …/mcp, `/sse` and `/sse/message` → …/sse (a document for
 * /sse/message would have to say resource=O/sse/message, which clients on /sse reject).
 */
export const resourceMetadataUrlFor = (path) => url(`${PRM_PATH}${path === '/sse/message' ? '/sse' : path}`);

/** Which endpoints accept a token issued for `resource`. */
export const RESOURCE_ADMITS = {
  [ORIGIN]: ['/mcp', '/sse', '/sse/message'],
  [url('/mcp')]: ['/mcp'],
  [url('/sse')]: ['/sse', '/sse/message'],
};

// ---- small utilities ---------------------------------------------------------------------------

export const random = (n = 16) => randomBytes(n).toString('base64url');
export const scopesOf = (tokens) => (tokens?.scope ?? '').split(' ').filter(Boolean);

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url'); // 43 characters
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** `WWW-Authenticate: Bearer a="b", c="d"` → {scheme, params}. Quoted values may contain commas. */
export function parseChallenge(header) {
  if (!header) return null;
  const m = header.match(/^\s*(\S+)\s*(.*)$/s);
  const params = {};
  for (const p of m[2].matchAll(/([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) {
    params[p[1]] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  }
  return { scheme: m[1], params };
}

/** `{status, headers, text, json}` of a response, body read once. */
export async function readResponse(res) {
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json, location: res.headers.get('location') };
}

const short = (s, n = 300) => String(s ?? '').replace(/\s+/g, ' ').slice(0, n);

// ---- the browser ----------------------------------------------------------------------------------

const MAX_HOPS = 25;

/** The parts of a consent page. */
export function parseConsent(html, response, pageUrl) {
  return {
    url: pageUrl,
    html,
    response,
    fields: formFields(html, '/authorize'),
    clientName: textByTestId(html, CONSENT_TESTID.clientName),
    redirectHost: textByTestId(html, CONSENT_TESTID.redirectHost),
    csp: response.headers.get('content-security-policy') ?? '',
    approveButton: html.match(new RegExp(`<button[^>]*data-testid="${CONSENT_TESTID.approve}"[^>]*>`))?.[0],
    denyButton: html.match(new RegExp(`<button[^>]*data-testid="${CONSENT_TESTID.deny}"[^>]*>`))?.[0],
  };
}

/**
 * A person with a browser: a cookie jar, a WorkOS user (the emulator signs in whoever the
 * sign-in form's `login_hint` names), and navigation that follows redirects by hand within the
 * Worker and WorkOS, posting the sign-in form and answering the consent form on the way. It stops
 * when a redirect leaves for anywhere else (the client's redirect URI) or at any other page.
 * One Browser = one cookie jar, so a second authorization can show that consent was remembered.
 */
export class Browser {
  /** `organization`: the name to choose when the Worker shows its organization picker (else it stops there). */
  constructor({ loginHint = ALICE, jar = new CookieJar(), organization = null } = {}) {
    this.loginHint = loginHint;
    this.jar = jar;
    this.organization = organization;
  }

  static #ours(u) {
    return u.origin === ORIGIN || u.origin === WORKOS_ORIGIN;
  }

  /**
   * Navigates to `start` (an /authorize URL) and follows through.
   * @param {object} [opts]
   * @param {'approve'|'deny'|null} [opts.decision] the button pressed on a consent page; null stops there
   * @param {(fields: object) => object} [opts.editConsent] changes the consent form before it is posted
   * @param {object} [opts.consentHeaders] headers of the consent POST (default: Origin of the Worker)
   * @returns {Promise<{hops: object[], responses: Response[], consent: object|null, consentPages: number,
   *   signInPosted: number, signInPages: number, redirect: URL|null, params: object|null, page: object|null}>}
   *   `signInPosted`: sign-ins at WorkOS (its authorize endpoint reached); `signInPages`: our /login
   *   pages answered on the way (none from /authorize: it goes to WorkOS directly);
   *   `consent`: the last consent page seen; `responses[i]` answered `hops[i]`;
   *   `redirect`/`params`: where the browser was sent outside the Worker and WorkOS (the client);
   *   `page`: the page it stopped at otherwise ({status, url, html, response}).
   */
  async navigate(start, { decision = 'approve', editConsent, consentHeaders } = {}) {
    const out = { hops: [], consent: null, consentPages: 0, signInPosted: 0, signInPages: 0, pickers: 0, redirect: null, params: null, page: null, responses: [] };
    let req = { method: 'GET', url: new URL(start, ORIGIN).href };
    for (let i = 0; i < MAX_HOPS; i++) {
      const res = await this.jar.fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
      const location = res.headers.get('location');
      out.hops.push({ method: req.method, url: req.url, status: res.status, location });
      out.responses.push(res);
      if (res.status >= 300 && res.status < 400 && location !== null) {
        await res.text();
        const next = new URL(location, req.url);
        if (!Browser.#ours(next)) {
          out.redirect = next;
          out.params = Object.fromEntries(next.searchParams);
          out.response = res;
          return out;
        }
        if (next.origin === WORKOS_ORIGIN && next.pathname === '/user_management/authorize') {
          // At WorkOS's sign-in the person picks their account (the emulator takes login_hint).
          if (++out.signInPosted > 3) throw new Error(`sign-in loop: ${Browser.describe(out.hops)}`);
          if (!next.searchParams.has('login_hint')) next.searchParams.set('login_hint', this.loginHint);
        }
        req = { method: 'GET', url: next.href };
        continue;
      }
      const html = await res.text();
      const here = new URL(req.url);
      const atWorker = here.origin === ORIGIN && req.method === 'GET' && res.status === 200;
      if (atWorker && here.pathname === '/login') {
        // The sign-in page: press its button, as the chosen user.
        if (++out.signInPages > 3) throw new Error(`sign-in page loop: ${Browser.describe(out.hops)}`);
        const fields = { ...formFields(html, '/login'), login_hint: this.loginHint };
        req = {
          method: 'POST',
          url: `${ORIGIN}/login`,
          headers: { 'content-type': FORM, origin: ORIGIN },
          body: new URLSearchParams(fields).toString(),
        };
        continue;
      }
      if (atWorker && here.pathname === '/callback' && this.organization && html.includes('action="/login/organization"')) {
        // The organization picker: choose by name.
        if (++out.pickers > 3) throw new Error(`picker loop: ${Browser.describe(out.hops)}`);
        const choice = organizationChoices(html).find((c) => c.name === this.organization);
        if (!choice) throw new Error(`no organization ${this.organization} on the picker: ${JSON.stringify(organizationChoices(html))}`);
        req = {
          method: 'POST',
          url: `${ORIGIN}/login/organization`,
          headers: { 'content-type': FORM, origin: ORIGIN },
          body: new URLSearchParams({ ...formFields(html, '/login/organization'), organization_id: choice.id }).toString(),
        };
        continue;
      }
      // Consent: at /authorize, or served by the answer that finished a sign-in (/callback,
      // the organization picker's POST) for the authorization request that started it.
      const consentHere = here.origin === ORIGIN && res.status === 200 && html.includes(`data-testid="${CONSENT_TESTID.approve}"`);
      if (consentHere) {
        out.consent = parseConsent(html, res, req.url);
        if (++out.consentPages > 3) throw new Error(`consent loop: ${Browser.describe(out.hops)}`);
        if (decision === null) {
          out.page = { status: res.status, url: req.url, html, response: res };
          return out;
        }
        let fields = { ...out.consent.fields, decision };
        if (editConsent) fields = editConsent(fields);
        req = {
          method: 'POST',
          url: `${ORIGIN}/authorize`,
          headers: { 'content-type': FORM, ...(consentHeaders ?? { origin: ORIGIN }) },
          body: new URLSearchParams(fields).toString(),
        };
        continue;
      }
      out.page = { status: res.status, url: req.url, html, response: res };
      return out;
    }
    throw new Error(`more than ${MAX_HOPS} redirects: ${Browser.describe(out.hops)}`);
  }

  /** Posts a consent form by hand (no following): the raw response. */
  postConsent(fields, headers = { origin: ORIGIN }) {
    return this.jar.fetch(`${ORIGIN}/authorize`, {
      method: 'POST',
      headers: { 'content-type': FORM, ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** A one-line account of a navigation, for assertion messages. */
  static describe(hops) {
    return hops.map((h) => {
      const u = new URL(h.url);
      return `${h.method} ${u.origin === ORIGIN ? '' : u.origin}${u.pathname} → ${h.status}`;
    }).join(' | ');
  }
}

/** Asserts a navigation ended at the client with a code (state and iss checked); returns the params. */
export function expectCode(nav, { redirectUri, state }) {
  const where = nav.redirect ? nav.redirect.href : `a page (${nav.page?.status}): ${short(nav.page?.html)}`;
  assert.ok(nav.redirect, `expected a redirect to the client, ended at ${where}\nhops: ${Browser.describe(nav.hops)}`);
  const bare = (u) => new URL(u).href.replace(/[?#].*$/, '');
  assert.equal(bare(nav.redirect), bare(redirectUri), 'sent to the registered redirect URI');
  assert.equal(nav.params.error, undefined, `no error (got ${nav.params.error}: ${nav.params.error_description})`);
  assert.ok(nav.params.code, `a code in ${nav.redirect.href}`);
  assert.equal(nav.params.state, state, 'state comes back unchanged');
  assert.equal(nav.params.iss, ORIGIN, 'iss names this authorization server (RFC 9207)');
  return nav.params;
}

/** Asserts an error redirect to the client carrying `error`, `state` and `iss`; returns the params. */
export function expectErrorRedirect(nav, { redirectUri, state, error }) {
  assert.ok(nav.redirect, `expected an error redirect to the client, got ${nav.page?.status}: ${short(nav.page?.html)}\nhops: ${Browser.describe(nav.hops)}`);
  assert.ok(nav.redirect.href.startsWith(redirectUri), `redirected to the client's redirect URI, got ${nav.redirect.href}`);
  assert.equal(nav.params.error, error, `error=${error} (got ${nav.params.error}: ${nav.params.error_description})`);
  assert.equal(nav.params.code, undefined, 'no code');
  assert.equal(nav.params.state, state, 'state comes back');
  assert.equal(nav.params.iss, ORIGIN, 'iss comes back');
  return nav.params;
}

/** Things an error page must never show. */
const LEAKS = [/sk_test_default/, /panicked at/i, /RuntimeError/, /wasm-function/, /stack backtrace/i];

/**
 * Asserts `res` (a raw response, not followed) is a refusal page — the given status, HTML with an
 * error title, no Location, no code anywhere — i.e. the browser is *not* sent anywhere.
 */
export async function expectRefusalPage(res, status, what) {
  const html = await res.text();
  assert.equal(res.status, status, `${what}: status ${res.status}, expected ${status}; Location ${res.headers.get('location')}; body: ${short(html)}`);
  assert.equal(res.headers.get('location'), null, `${what}: no Location header (never a redirect)`);
  assert.match(res.headers.get('content-type') ?? '', /text\/html/, `${what}: an HTML page`);
  assert.ok(textByTestId(html, 'error-title'), `${what}: the page has an error title`);
  assert.doesNotMatch(html, /[?&]code=/, `${what}: no authorization code on the page`);
  for (const leak of LEAKS) assert.doesNotMatch(html, leak, `${what}: must not show ${leak}`);
  return html;
}

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

// ---- the protected endpoints ----------------------------------------------------------------------

const INITIALIZE = {
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '0' } },
};

/**
 * Calls a protected endpoint as an MCP client would (POST /mcp initialize, GET /sse stream,
 * POST /sse/message), optionally with a bearer token; reads only the head (a stream may stay open).
 * `authorization` overrides the whole header.
 */
export async function callProtected(path, token, { authorization, query = '', headers = {} } = {}) {
  const h = { ...headers };
  if (authorization !== undefined) h.authorization = authorization;
  else if (token) h.authorization = `Bearer ${token}`;
  const init = path === '/sse'
    ? { method: 'GET', headers: { accept: 'text/event-stream', ...h } }
    : { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...h }, body: JSON.stringify(INITIALIZE) };
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 20000);
  try {
    const res = await fetch(url(path) + query, { ...init, signal: ctl.signal });
    const head = { status: res.status, headers: res.headers, challenge: parseChallenge(res.headers.get('www-authenticate')) };
    if (res.status === 401) head.text = await res.text();
    else ctl.abort(); // do not wait for a stream
    return head;
  } finally {
    clearTimeout(timer);
  }
}

/** Asserts the 401 of a protected endpoint: Bearer challenge naming the endpoint's metadata. */
export function expectChallenge(r, path, { invalidToken }) {
  assert.equal(r.status, 401, `${path}: status ${r.status}, expected 401`);
  assert.ok(r.challenge, `${path}: a WWW-Authenticate header`);
  assert.equal(r.challenge.scheme.toLowerCase(), 'bearer', `${path}: Bearer challenge (${r.headers.get('www-authenticate')})`);
  assert.equal(r.challenge.params.resource_metadata, resourceMetadataUrlFor(path), `${path}: resource_metadata`);
  if (invalidToken) assert.equal(r.challenge.params.error, 'invalid_token', `${path}: error="invalid_token"`);
  else assert.equal(r.challenge.params.error, undefined, `${path}: no error when no token was presented (RFC 6750 §3.1)`);
}

/**
 * Polls `path` with `token` until it is refused with 401 (revocation takes effect within a minute:
 * the Worker re-reads a grant at most once a minute per isolate). Returns the last answer.
 */
export async function waitUntilRefused(path, token, timeoutMs = 70000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await callProtected(path, token);
    if (r.status === 401 || Date.now() >= deadline) return r;
    await new Promise((res) => setTimeout(res, 2000));
  }
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

