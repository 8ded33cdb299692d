// The Worker's OAuth contract as the end-to-end tests expect it (metadata documents, the 401
// challenge, paths, the consent page's test ids) and small utilities of the OAuth tests. Tests
// import it through oauth-helpers.mjs.
import { createHash, randomBytes } from 'node:crypto';
import { WORKER_URL, WORKOS_URL } from './helpers.mjs';

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

export const short = (s, n = 300) => String(s ?? '').replace(/\s+/g, ' ').slice(0, n);
