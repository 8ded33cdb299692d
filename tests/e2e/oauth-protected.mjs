// The protected endpoints (/mcp, /sse, /sse/message) called as an MCP client calls them, with or
// without a bearer token, and what acceptance and refusal look like there (exported from
// oauth-helpers.mjs).
import assert from 'node:assert/strict';
import { url, resourceMetadataUrlFor, parseChallenge } from './oauth-contract.mjs';

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
    // Every answer's body is read but an open event stream's (not waited for).
    if (res.status === 401 || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) head.text = await res.text();
    else ctl.abort();
    return head;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Asserts that `token` is accepted at `path` with that endpoint's own success, not merely "not
 * 401": `/mcp` answers the `initialize` (200, a JSON-RPC result naming the server), `/sse` opens its
 * event stream (200), and `/sse/message` without a session refuses the missing session (400), not
 * the token.
 */
export async function expectAccepted(path, token, what = path) {
  const r = await callProtected(path, token);
  const said = `${what}: ${r.status} ${r.headers.get('www-authenticate') ?? ''} ${(r.text ?? '').slice(0, 200)}`;
  if (path === '/sse') {
    assert.equal(r.status, 200, said);
    assert.match(r.headers.get('content-type') ?? '', /^text\/event-stream/, said);
  } else if (path === '/sse/message') {
    assert.equal(r.status, 400, said);
    assert.match(r.text, /sessionId is required/, said);
  } else {
    assert.equal(r.status, 200, said);
    assert.ok(JSON.parse(r.text).result?.serverInfo?.name, `${said}: an initialize result`);
  }
  return r;
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
