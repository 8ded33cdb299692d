// Shared pieces of the AuthKit-mode end-to-end tests (issue 5): the second Worker started by
// tests/e2e/stack.mjs with WORKOS_AUTHKIT_DOMAIN pointing at the AuthKit stand-in
// (dev/authkit.mjs, 127.0.0.1:4102), the stand-in's controls (token minting, key rotation, JWKS
// outage), the front's `POST /authkit/oauth2/complete` controls (dev/front.mjs), and a raw
// `POST /mcp` against the AuthKit-mode Worker.
import assert from 'node:assert/strict';
import { WORKOS_CONTROL, ALICE_ID, ACME_ORG_ID } from './helpers.mjs';
import { readResponse, parseChallenge } from './oauth-helpers.mjs';

export const AUTHKIT_WORKER_URL = process.env.AUTHKIT_WORKER_URL ?? 'http://127.0.0.1:8789';
export const AUTHKIT_URL = process.env.AUTHKIT_URL ?? 'http://127.0.0.1:4102';
/** WORKOS_AUTHKIT_AUDIENCE of the AuthKit-mode Worker: the emulator client id (WorkOS's default `aud`). */
export const AUTHKIT_AUDIENCE = process.env.AUTHKIT_AUDIENCE ?? 'client_01LOCALEMULATOR';
export const PRM_PATH = '/.well-known/oauth-protected-resource';
export const AS_METADATA_PATH = '/.well-known/oauth-authorization-server';

/** A URL on the AuthKit-mode Worker. */
export const akUrl = (p) => `${AUTHKIT_WORKER_URL}${p}`;
/** The resource of an endpoint (`/mcp` → O/mcp, `/sse` → O/sse). */
export const resourceOf = (p) => akUrl(p);

async function call(base, method, p, body) {
  const res = await fetch(new URL(p, base), {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10000),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${p} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

// ---- the AuthKit stand-in's controls ------------------------------------------------------------

/**
 * A token minted by the stand-in: defaults iss = the stand-in, iat now, exp now + 300, RS256 with
 * the current key; `claims` overrides (null drops a claim). Default claims here: Alice as the
 * subject, Acme as the organization (the AuthKit-mode Worker accepts only Acme's members:
 * WORKOS_ORGANIZATION_ID) and `aud` = the resource of /mcp.
 */
export async function mint(claims = {}, opts = {}) {
  const { token } = await call(AUTHKIT_URL, 'POST', '/__control/mint', {
    claims: { sub: ALICE_ID ?? 'user_authkit_alice', org_id: ACME_ORG_ID, aud: resourceOf('/mcp'), ...claims },
    ...opts,
  });
  return token;
}
export const authkit = {
  rotate: (opts = {}) => call(AUTHKIT_URL, 'POST', '/__control/rotate', opts),
  jwksDown: (down, opts = {}) => call(AUTHKIT_URL, 'POST', '/__control/jwks-down', { down, ...opts }),
  jwksFetches: async () => (await call(AUTHKIT_URL, 'GET', '/__control/jwks-fetches')).fetches,
  continues: async () => (await call(AUTHKIT_URL, 'GET', '/__control/continues')).continues,
  keys: () => call(AUTHKIT_URL, 'GET', '/__control/keys'),
};

// ---- the front's AuthKit completion controls ---------------------------------------------------

export const bridge = {
  /** Registers a new external_auth_id (as AuthKit would before sending the browser to /login). */
  newId: async () => (await call(WORKOS_CONTROL, 'POST', '/__control/authkit/external-auth', {})).external_auth_id,
  /** The next completion answers {redirect_uri} or {status, code?, message?} instead. */
  nextCompletion: (spec) => call(WORKOS_CONTROL, 'POST', '/__control/authkit/next-completion', spec),
  completions: async () => (await call(WORKOS_CONTROL, 'GET', '/__control/authkit/completions')).completions,
};

// ---- raw MCP on the AuthKit-mode Worker ---------------------------------------------------------

let nextId = 1;
/** POST `path` (default /mcp) with a JSON-RPC request and `token`; {status, headers, text, json, challenge}.
 * `base`: another AuthKit-mode Worker's origin than the shared one's. */
export async function mcpCall(token, method = 'tools/list', params, { path = '/mcp', headers = {}, base = AUTHKIT_WORKER_URL } = {}) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, ...(params ? { params } : {}) }),
    signal: AbortSignal.timeout(30000),
  });
  const r = await readResponse(res);
  return { ...r, challenge: parseChallenge(res.headers.get('www-authenticate')) };
}

const short = (s, n = 300) => String(s ?? '').replace(/\s+/g, ' ').slice(0, n);

/** Asserts the token is accepted on /mcp (tools/list answers 200 with tools); returns the tool names. */
export async function expectAccepted(token, what) {
  const r = await mcpCall(token);
  assert.equal(r.status, 200, `${what}: tools/list → ${r.status} ${short(r.text)}`);
  assert.ok(Array.isArray(r.json?.result?.tools), `${what}: a tools list: ${short(r.text)}`);
  return r.json.result.tools.map((t) => t.name).sort();
}

/** Asserts the token is refused on /mcp with 401 invalid_token and the endpoint's challenge. */
export async function expectRefused(token, what, { path = '/mcp' } = {}) {
  const r = await mcpCall(token, 'tools/list', undefined, { path });
  assert.equal(r.status, 401, `${what}: expected 401, got ${r.status} ${short(r.text)}`);
  assert.equal(r.json?.error, 'invalid_token', `${what}: body error invalid_token: ${short(r.text)}`);
  assert.equal(r.challenge?.scheme, 'Bearer', `${what}: a Bearer challenge`);
  assert.equal(r.challenge.params.error, 'invalid_token', `${what}: challenge error="invalid_token"`);
  assert.equal(r.challenge.params.resource_metadata, akUrl(`${PRM_PATH}${path}`), `${what}: resource_metadata`);
  return r;
}

/** Polls until `probe()` is truthy or `timeoutMs` passes; returns the last value. */
export async function until(probe, { timeoutMs = 10000, intervalMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v || Date.now() >= deadline) return v;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
