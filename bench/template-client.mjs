// bench/mcp.mjs's client for the TypeScript template (bench/template, our reconstruction of
// Cloudflare's remote-mcp-authkit), the counterpart of the e2e helpers used against this Worker:
//
//  * `navigate` — the cookie-jar browser's walk through the template's authorization: its
//    approval page (Approve posted), WorkOS's sign-in at the emulator (the account picked by
//    login_hint, as tests/e2e/oauth-helpers.mjs's Browser does), /callback, until the redirect
//    to the client; each hop recorded (and timed);
//  * `accessToken` — the MCP SDK's own `auth()` through the same `sdkAuthorize` helper and
//    `SdkProvider` as this Worker's flows, with only the browser part swapped for `navigate`;
//  * Streamable HTTP on /mcp: McpAgent wants `initialize` first and the Mcp-Session-Id it
//    returns on every later request; answers come as an event stream (one `data:` line each);
//  * `authorizeByHand` — registration, /authorize … code, token exchange, each HTTP hop timed.
// Built after the e2e stack is up (the helper modules read its addresses when first imported).
import { performance } from 'node:perf_hooks';

const MAX_HOPS = 15;

/** The client for the template at `origin` (e.g. http://127.0.0.1:8797). */
export async function templateClient({ origin, protocolVersion }) {
  const oauth = await import('../tests/e2e/oauth-helpers.mjs');
  const { CookieJar, formFields, ALICE } = await import('../tests/e2e/helpers.mjs');
  const MCP_URL = `${origin}/mcp`;

  /**
   * Follows `start` (an /authorize URL) to the client's redirect URI. Returns {hops, redirect,
   * params}; hops: [{method, url, status, ms}]. Throws at any page other than the approval page.
   */
  async function navigate(start, { jar = new CookieJar(), loginHint = ALICE } = {}) {
    const hops = [];
    let req = { method: 'GET', url: start };
    for (let i = 0; i < MAX_HOPS; i++) {
      const t = performance.now();
      const res = await jar.fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
      const body = await res.text();
      hops.push({ method: req.method, url: req.url, status: res.status, ms: performance.now() - t });
      const here = new URL(req.url);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location !== null) {
        const next = new URL(location, req.url);
        if (next.origin !== origin && next.origin !== oauth.WORKOS_ORIGIN) {
          return { hops, redirect: next, params: Object.fromEntries(next.searchParams) };
        }
        if (next.origin === oauth.WORKOS_ORIGIN && next.pathname === '/user_management/authorize'
          && !next.searchParams.has('login_hint')) next.searchParams.set('login_hint', loginHint);
        req = { method: 'GET', url: next.href };
        continue;
      }
      if (here.origin === origin && here.pathname === '/authorize' && req.method === 'GET' && res.status === 200) {
        // The approval page: press Approve.
        req = {
          method: 'POST',
          url: `${origin}/authorize`,
          headers: { 'content-type': oauth.FORM, origin },
          body: new URLSearchParams(formFields(body, '/authorize')).toString(),
        };
        continue;
      }
      throw new Error(`the template's authorization stopped at ${req.method} ${req.url} → ${res.status}: ${body.slice(0, 300)}`);
    }
    throw new Error(`more than ${MAX_HOPS} hops in the template's authorization`);
  }

  /** The e2e SdkProvider with its browser swapped for `navigate` (state checked, code kept). */
  class TemplateProvider extends oauth.SdkProvider {
    constructor(loginHint = ALICE) {
      super({ browser: null, clientName: `bench template ${oauth.random(4)}` });
      this.loginHint = loginHint;
    }

    async redirectToAuthorization(authorizationUrl) {
      const nav = await navigate(authorizationUrl.href, { loginHint: this.loginHint });
      this.navigations.push(nav);
      if (nav.params.state !== this.lastState || !nav.params.code || nav.params.error) {
        throw new Error(`the template's authorization ended at ${nav.redirect.href} (state ${this.lastState} expected)`);
      }
      this.pendingCode = nav.params.code;
    }
  }

  /** An access token by the SDK's auth() (discovery, DCR, approval, sign-in, token) for O/mcp. */
  async function accessToken(loginHint = ALICE) {
    const provider = new TemplateProvider(loginHint);
    const tokens = await oauth.sdkAuthorize(provider, MCP_URL);
    if (!tokens?.access_token) throw new Error('the template issued no access token');
    return { token: tokens.access_token, tokens, provider };
  }

  /** The JSON-RPC messages of an answer: a JSON body, or the `data:` lines of an event stream. */
  const messagesOf = (text) => {
    const t = text.trim();
    if (t.startsWith('{') || t.startsWith('[')) return [JSON.parse(t)].flat();
    return t.split('\n').filter((l) => l.startsWith('data:')).map((l) => JSON.parse(l.slice(5)));
  };

  /** One POST /mcp: {status, headers, text, json (the first message), ms}. */
  async function post(token, message, sessionId) {
    const t = performance.now();
    const res = await fetch(MCP_URL, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
        ...(sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': protocolVersion } : {}),
      },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(30000),
    });
    const text = await res.text();
    const ms = performance.now() - t;
    let json;
    try { json = text ? messagesOf(text)[0] : undefined; } catch { json = undefined; }
    return { status: res.status, headers: res.headers, text, json, ms };
  }

  /**
   * A new MCP session for `token`: initialize (200, a result, an Mcp-Session-Id), then
   * notifications/initialized (202). Returns {sessionId, initializeMs, initializedMs}.
   */
  async function openSession(token) {
    const init = await post(token, {
      jsonrpc: '2.0', id: 0, method: 'initialize',
      params: { protocolVersion, capabilities: {}, clientInfo: { name: 'mcp-bench', version: '0' } },
    });
    const sessionId = init.headers.get('mcp-session-id');
    if (init.status !== 200 || !init.json?.result || !sessionId) {
      throw new Error(`template initialize: ${init.status} ${init.text.slice(0, 300)} (session ${sessionId})`);
    }
    const done = await post(token, { jsonrpc: '2.0', method: 'notifications/initialized' }, sessionId);
    if (done.status !== 202) throw new Error(`template notifications/initialized: ${done.status} ${done.text.slice(0, 300)}`);
    return { sessionId, initializeMs: init.ms, initializedMs: done.ms };
  }

  /** tools/call add {a, b} in `sessionId`: {ok, ms, answer}; ok = 200 and the sum as text. */
  async function callAdd(token, sessionId, a, b, id = 1) {
    const r = await post(token, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'add', arguments: { a, b } } }, sessionId);
    const ok = r.status === 200 && r.json?.result?.content?.[0]?.text === String(a + b);
    return { ok, ms: r.ms, answer: `${r.status} ${r.text.slice(0, 200)}` };
  }

  /** One authorization by hand: registration, the browser's hops, the token exchange; each timed. */
  async function authorizeByHand() {
    const rows = [];
    const start = performance.now();
    const redirectUri = 'http://localhost:33418/oauth/callback';
    const t0 = performance.now();
    const reg = await fetch(`${origin}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'bench by hand', redirect_uris: [redirectUri], token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
      }),
    });
    const client = await reg.json();
    rows.push({ step: 'POST /register', ms: performance.now() - t0 });
    if (reg.status !== 201 || !client.client_id) throw new Error(`template /register: ${reg.status} ${JSON.stringify(client)}`);
    const pkce = oauth.pkcePair();
    const state = oauth.random();
    const authorize = new URL(`${origin}/authorize`);
    for (const [k, v] of Object.entries({
      response_type: 'code', client_id: client.client_id, redirect_uri: redirectUri, code_challenge: pkce.challenge,
      code_challenge_method: 'S256', state, resource: MCP_URL,
    })) authorize.searchParams.set(k, v);
    const nav = await navigate(authorize.href);
    for (const h of nav.hops) {
      const u = new URL(h.url);
      rows.push({ step: `${h.method} ${u.origin === origin ? '' : 'WorkOS '}${u.pathname}`, ms: h.ms, status: h.status });
    }
    if (nav.params.state !== state || !nav.params.code) throw new Error(`template authorization: ${nav.redirect.href}`);
    const t1 = performance.now();
    const tok = await fetch(`${origin}/token`, {
      method: 'POST',
      headers: { 'content-type': oauth.FORM },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code: nav.params.code, code_verifier: pkce.verifier,
        redirect_uri: redirectUri, client_id: client.client_id, resource: MCP_URL,
      }),
    });
    const tokens = await tok.json();
    rows.push({ step: 'POST /token', ms: performance.now() - t1 });
    if (tok.status !== 200 || !tokens.access_token) throw new Error(`template /token: ${tok.status} ${JSON.stringify(tokens)}`);
    return { rows, total: performance.now() - start, browserHops: nav.hops.length };
  }

  return { origin, MCP_URL, navigate, accessToken, post, openSession, callAdd, authorizeByHand };
}
