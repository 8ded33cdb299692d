// A stand-in for an AuthKit domain (`https://<sub>.authkit.app`, WorkOS Connect as the MCP
// authorization server) on 127.0.0.1:4102, for local development and the end-to-end tests. The
// WorkOS emulator has no AuthKit-domain endpoints; this serves exactly the ones the Worker reads,
// following WorkOS's documented AuthKit endpoints:
//
//  * GET /.well-known/oauth-authorization-server — the RFC 8414 document, issuer and
//    endpoints on this origin;
//  * GET /.well-known/openid-configuration — the OIDC document (a different field set,
//    without registration_endpoint, client_id_metadata_document_supported, code_challenge_methods_supported);
//  * GET /oauth2/jwks — the public RSA keys (generated at start; `kid` per key);
//  * GET /oauth2/userinfo — 401 {"error":"unauthorized"} (no token is ever accepted here);
//  * GET /oauth2/continue?state=… — where a "bring your own login" completion sends the browser
//    (the front's POST /authkit/oauth2/complete answers with this URL): a tiny 200 page; visits
//    are recorded.
//
// The OAuth endpoints themselves (/oauth2/authorize, /oauth2/token, /oauth2/register) are not
// modelled: tests mint tokens directly. Test controls (never part of AuthKit):
//
//  * POST /__control/mint {claims?, kid?, alg?, header?, key?} → {token, claims, header}
//      an RS256 JWT signed with the current key. Defaults: iss = this origin, iat = now,
//      exp = now + 300, jti random; `claims` overrides or adds anything, and a claim set to null
//      is left out (e.g. {"sub": null}). `kid` sets the header's kid (any string: an unknown kid
//      is signed with the current key); `key` names the key that signs (default: the one with
//      that kid, else the current one). `alg`: "RS256" (default), "none" (no signature),
//      "HS256" (HMAC keyed with the signing key's public PEM: the key-confusion attack).
//      `header` adds or overrides header fields.
//  * POST /__control/rotate {retire?: bool} → {kid, kids}: a new current key; the old keys stay
//      published unless retire is true.
//  * POST /__control/jwks-down {down: bool, mode?: "status"|"drop", status?} — the JWKS endpoint
//      answers 503 (or `status`), or drops the connection, until set back.
//  * GET /__control/jwks-fetches → {fetches: [{at, status}]}; DELETE clears.
//  * GET /__control/continues → {continues: [{at, state, query}]}; DELETE clears.
//  * GET /__control/keys → {current, kids}.
import http from 'node:http';
import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { readBody, sendJson as sendJsonRaw } from './http-json.mjs';

const DEFAULT_LIFETIME_S = 300; // Connect tokens: exp - iat = 300

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** Every AuthKit stand-in answer is uncacheable. */
function sendJson(res, status, body, headers = {}) {
  sendJsonRaw(res, status, body, { 'cache-control': 'no-store', ...headers });
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A new RS256 signing key with its public JWK. */
function newKey() {
  const kid = `key_${randomBytes(12).toString('hex')}`;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  return { kid, privateKey, publicKey, jwk, publicPem: publicKey.export({ format: 'pem', type: 'spki' }) };
}

/**
 * Signs `header.payload` as the header's alg says: RS256 with `key`, HS256 keyed with `key`'s
 * public PEM (what a verifier confusing key types would accept), none → empty signature.
 */
export function signJwt(header, payload, key) {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const alg = header.alg;
  if (alg === 'none') return `${input}.`;
  if (alg === 'HS256') return `${input}.${createHmac('sha256', key.publicPem).update(input).digest('base64url')}`;
  if (alg === 'RS256') return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
  throw new Error(`alg must be RS256, HS256 or none (got ${alg})`);
}

/**
 * @param {{port?: number, host?: string, log?: (line: string) => void}} opts
 * The issuer is `http://<host>:<port>` (the Worker accepts plain http for a loopback AuthKit domain only).
 */
export function createAuthkit({ port = 4102, host = '127.0.0.1', log = () => {} } = {}) {
  const origin = `http://${host}:${port}`;
  const keys = [newKey()];
  let current = keys[0];
  let jwks = { down: false };
  const jwksFetches = [];
  const continues = [];

  const asMetadata = () => ({
    authorization_endpoint: `${origin}/oauth2/authorize`,
    client_id_metadata_document_supported: true,
    code_challenge_methods_supported: ['S256'],
    device_authorization_endpoint: `${origin}/oauth2/device_authorization`,
    grant_types_supported: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    introspection_endpoint: `${origin}/oauth2/introspection`,
    issuer: origin,
    jwks_uri: `${origin}/oauth2/jwks`,
    registration_endpoint: `${origin}/oauth2/register`,
    scopes_supported: ['email', 'offline_access', 'openid', 'profile'],
    response_modes_supported: ['query'],
    response_types_supported: ['code'],
    token_endpoint: `${origin}/oauth2/token`,
    token_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'client_secret_basic'],
  });

  const oidcMetadata = () => ({
    issuer: origin,
    authorization_endpoint: `${origin}/oauth2/authorize`,
    device_authorization_endpoint: `${origin}/oauth2/device_authorization`,
    grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    id_token_signing_alg_values_supported: ['RS256'],
    introspection_endpoint: `${origin}/oauth2/introspection`,
    jwks_uri: `${origin}/oauth2/jwks`,
    response_types_supported: ['code'],
    scopes_supported: ['email', 'offline_access', 'openid', 'profile'],
    subject_types_supported: ['public'],
    token_endpoint: `${origin}/oauth2/token`,
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    userinfo_endpoint: `${origin}/oauth2/userinfo`,
  });

  /** The control calls, also usable in-process. */
  const control = {
    origin,
    mint({ claims = {}, kid, alg = 'RS256', header = {}, key } = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload = { iss: origin, iat: now, exp: now + DEFAULT_LIFETIME_S, jti: randomBytes(13).toString('hex'), ...claims };
      for (const [k, v] of Object.entries(payload)) if (v === null) delete payload[k];
      const headerKid = kid === undefined ? current.kid : kid;
      const signer = keys.find((k) => k.kid === (key ?? headerKid)) ?? (key ? null : current);
      if (!signer) throw new Error(`no key ${key}`);
      const h = { alg, ...(headerKid === null ? {} : { kid: headerKid }), ...header };
      for (const [k, v] of Object.entries(h)) if (v === null) delete h[k];
      return { token: signJwt(h, payload, signer), claims: payload, header: h };
    },
    rotate({ retire = false } = {}) {
      const k = newKey();
      if (retire) keys.length = 0;
      keys.push(k);
      current = k;
      log(`authkit: rotated to ${k.kid}${retire ? ' (old keys retired)' : ''}`);
      return { kid: k.kid, kids: keys.map((x) => x.kid) };
    },
    setJwksDown({ down, mode = 'status', status = 503 } = {}) {
      if (typeof down !== 'boolean') throw new Error('down must be true or false');
      if (!['status', 'drop'].includes(mode)) throw new Error('mode must be status or drop');
      if (!Number.isInteger(status) || status < 400 || status > 599) throw new Error('status must be 400..599');
      jwks = { down, mode, status };
      log(`authkit: JWKS ${down ? `down (${mode === 'drop' ? 'connection dropped' : status})` : 'up'}`);
      return { ...jwks };
    },
    jwksFetches: () => jwksFetches.map((f) => ({ ...f })),
    clearJwksFetches() { const n = jwksFetches.length; jwksFetches.length = 0; return n; },
    continues: () => continues.map((c) => ({ ...c })),
    clearContinues() { const n = continues.length; continues.length = 0; return n; },
    keys: () => ({ current: current.kid, kids: keys.map((k) => k.kid) }),
  };

  async function handleControl(req, res, path) {
    const route = `${req.method} ${path}`;
    const body = async () => JSON.parse((await readBody(req)) || '{}');
    try {
      if (route === 'POST /__control/mint') return sendJson(res, 200, control.mint(await body()));
      if (route === 'POST /__control/rotate') return sendJson(res, 200, control.rotate(await body()));
      if (route === 'POST /__control/jwks-down') return sendJson(res, 200, { jwks: control.setJwksDown(await body()) });
      if (route === 'GET /__control/jwks-fetches') return sendJson(res, 200, { fetches: control.jwksFetches() });
      if (route === 'DELETE /__control/jwks-fetches') return sendJson(res, 200, { cleared: control.clearJwksFetches() });
      if (route === 'GET /__control/continues') return sendJson(res, 200, { continues: control.continues() });
      if (route === 'DELETE /__control/continues') return sendJson(res, 200, { cleared: control.clearContinues() });
      if (route === 'GET /__control/keys') return sendJson(res, 200, control.keys());
    } catch (err) {
      return sendJson(res, 400, { message: `invalid control request: ${err.message}` });
    }
    return sendJson(res, 404, { message: `no control endpoint ${route}` });
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, origin);
    const path = url.pathname;
    try {
      if (path.startsWith('/__control/')) return await handleControl(req, res, path);
      req.resume();
      const get = req.method === 'GET' || req.method === 'HEAD';
      if (get && path === '/.well-known/oauth-authorization-server') return sendJson(res, 200, asMetadata());
      if (get && path === '/.well-known/openid-configuration') return sendJson(res, 200, oidcMetadata());
      if (get && path === '/oauth2/jwks') {
        const fetch = { at: new Date().toISOString(), status: null };
        jwksFetches.push(fetch);
        if (jwksFetches.length > 1000) jwksFetches.shift();
        if (jwks.down && jwks.mode === 'drop') { fetch.status = 'dropped'; req.socket.destroy(); return; }
        if (jwks.down) { fetch.status = jwks.status; return sendJson(res, jwks.status, { message: 'Service Unavailable' }); }
        fetch.status = 200;
        return sendJson(res, 200, { keys: keys.map((k) => k.jwk) });
      }
      if (path === '/oauth2/userinfo') return sendJson(res, 401, { error: 'unauthorized' });
      if (get && path === '/oauth2/continue') {
        continues.push({ at: new Date().toISOString(), state: url.searchParams.get('state'), query: url.search });
        const html = `<!doctype html><html><head><meta charset="utf-8"><title>AuthKit (stand-in)</title></head>`
          + `<body><h1 data-testid="authkit-continue">AuthKit stand-in: sign-in completed</h1>`
          + `<p>state: <code data-testid="authkit-state">${escapeHtml(url.searchParams.get('state') ?? '')}</code></p></body></html>`;
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
        return res.end(html);
      }
      return sendJson(res, 404, { error: 'not_found', error_description: `the AuthKit stand-in does not serve ${req.method} ${path}` });
    } catch (err) {
      log(`authkit: ${req.method} ${path} failed: ${err.stack ?? err}`);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    }
  });

  return {
    origin,
    server,
    control,
    listen() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => { server.off('error', reject); resolve(server.address().port); });
      });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
