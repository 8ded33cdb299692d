// The approval step and the cookies around it, as the template has them:
//  * the approval page: server and client named, the client's details (website, policy, terms,
//    redirect URIs, contacts), a form whose hidden `state` is the OAuth request (base64 JSON) and
//    whose `csrf_token` matches a one-time cookie; Approve posts it, Cancel goes back;
//  * approved clients: a cookie listing the client ids this browser approved, HMAC-SHA256-signed
//    with COOKIE_ENCRYPTION_KEY, 30 days; such a client skips the page;
//  * the state binding: a cookie with the SHA-256 of the AuthKit state, checked at /callback.
// Cookies are `__Host-` + Secure like the template's (the bench's cookie jar sends them over http).

const CSRF_COOKIE = '__Host-CSRF_TOKEN';
const APPROVED_COOKIE = '__Host-APPROVED_CLIENTS';
const STATE_COOKIE = '__Host-CONSENTED_STATE';
const COOKIE_ATTRS = 'HttpOnly; Secure; Path=/; SameSite=Lax';
const TEN_MINUTES_S = 600;
const THIRTY_DAYS_S = 30 * 24 * 3600;

/** A refusal answered as an OAuth error document (JSON) by the handler's onError. */
export class RefusedError extends Error {
  constructor(code, message, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

function cookieValue(request, name) {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
const sha256Hex = async (text) => hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));

function hmacKey(secret) {
  if (!secret) throw new Error('COOKIE_ENCRYPTION_KEY is not set');
  return crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}

/** The client ids in a valid approved-clients cookie (else none). Cookie: `<hex HMAC>.<base64 JSON>`. */
async function approvedClients(request, secret) {
  const raw = cookieValue(request, APPROVED_COOKIE);
  const dot = raw?.indexOf('.') ?? -1;
  if (dot < 0) return [];
  try {
    const payload = atob(raw.slice(dot + 1));
    const mac = new Uint8Array(raw.slice(0, dot).match(/../g).map((h) => parseInt(h, 16)));
    const ok = await crypto.subtle.verify('HMAC', await hmacKey(secret), mac, new TextEncoder().encode(payload));
    const ids = ok ? JSON.parse(payload) : [];
    return Array.isArray(ids) && ids.every((id) => typeof id === 'string') ? ids : [];
  } catch {
    return [];
  }
}

export const hasApproved = async (request, clientId, secret) => (await approvedClients(request, secret)).includes(clientId);

/** The approved-clients cookie with `clientId` added. */
export async function approveCookie(request, clientId, secret) {
  const payload = JSON.stringify([...new Set([...(await approvedClients(request, secret)), clientId])]);
  const mac = hex(await crypto.subtle.sign('HMAC', await hmacKey(secret), new TextEncoder().encode(payload)));
  return `${APPROVED_COOKIE}=${mac}.${btoa(payload)}; ${COOKIE_ATTRS}; Max-Age=${THIRTY_DAYS_S}`;
}

/** Throws unless the form's csrf_token equals the CSRF cookie. */
export function checkCsrf(form, request) {
  const sent = form.get('csrf_token');
  if (typeof sent !== 'string' || !sent) throw new RefusedError('invalid_request', 'Missing CSRF token in form data');
  const expected = cookieValue(request, CSRF_COOKIE);
  if (!expected) throw new RefusedError('invalid_request', 'Missing CSRF token cookie');
  if (sent !== expected) throw new RefusedError('invalid_request', 'CSRF token mismatch');
}

export const clearCsrfCookie = () => `${CSRF_COOKIE}=; ${COOKIE_ATTRS}; Max-Age=0`;

export const stateBindingCookie = async (state) => `${STATE_COOKIE}=${await sha256Hex(state)}; ${COOKIE_ATTRS}; Max-Age=${TEN_MINUTES_S}`;
export const clearStateBindingCookie = () => `${STATE_COOKIE}=; ${COOKIE_ATTRS}; Max-Age=0`;

/** Throws unless this browser's state-binding cookie is the SHA-256 of `state`. */
export async function checkStateBinding(request, state) {
  const bound = cookieValue(request, STATE_COOKIE);
  if (!bound) throw new RefusedError('invalid_request', 'Missing session binding cookie - authorization flow must be restarted');
  if (bound !== await sha256Hex(state)) throw new RefusedError('invalid_request', 'State token does not match session');
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#039;' })[ch]);

/** An http(s) URL without control characters, else ''. */
function webUrl(value) {
  const s = String(value ?? '').trim();
  // eslint-disable-next-line no-control-regex
  if (!s || /[\u0000-\u001f\u007f-\u009f]/.test(s)) return '';
  try {
    return ['http:', 'https:'].includes(new URL(s).protocol) ? s : '';
  } catch {
    return '';
  }
}

/** The approval page for `client` (from lookupClient) and the parsed OAuth `request`, with a fresh CSRF cookie. */
export function approvalPage(request, { client, request: oauthRequest, serverName }) {
  const csrf = crypto.randomUUID();
  const name = escapeHtml(client?.clientName || 'Unknown MCP Client');
  const server = escapeHtml(serverName);
  const link = (u) => (webUrl(u) ? `<a href="${escapeHtml(webUrl(u))}" target="_blank" rel="noopener noreferrer">${escapeHtml(webUrl(u))}</a>` : '');
  const details = [
    ['Name', name],
    ['Website', link(client?.clientUri)],
    ['Privacy Policy', link(client?.policyUri)],
    ['Terms of Service', link(client?.tosUri)],
    ['Redirect URIs', (client?.redirectUris ?? []).map(webUrl).filter(Boolean).map((u) => `<div>${escapeHtml(u)}</div>`).join('')],
    ['Contact', escapeHtml((client?.contacts ?? []).join(', '))],
  ].filter(([, v]) => v).map(([k, v]) => `<div class="row"><span>${k}:</span><span class="v">${v}</span></div>`).join('\n');
  const html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${name} | Authorization Request</title>
<style>
body{font-family:system-ui,sans-serif;background:#f9fafb;color:#333;margin:0}
main{max-width:600px;margin:2rem auto;padding:1rem}
.card{background:#fff;border-radius:8px;box-shadow:0 8px 36px 8px rgba(0,0,0,.1);padding:2rem}
h1{text-align:center;font-weight:400;font-size:1.3rem}h2{text-align:center;font-weight:400}
.row{display:flex;gap:1rem;margin:.4rem 0}.row span:first-child{min-width:120px;font-weight:500}
.v{font-family:monospace;word-break:break-all}.actions{display:flex;justify-content:flex-end;gap:1rem;margin-top:2rem}
button{padding:.75rem 1.5rem;border-radius:6px;font-size:1rem;border:1px solid #e5e7eb;background:none}
button[type=submit]{background:#0070f3;color:#fff;border:none}
</style></head>
<body><main>
<h1><strong>${server}</strong></h1>
<p style="text-align:center">This MCP Server is a demo for WorkOS AuthKit OAuth.</p>
<div class="card">
<h2><strong>${name}</strong> is requesting access</h2>
${details}
<p>This MCP Client is requesting to be authorized on ${server}. If you approve, you will be redirected to complete authentication.</p>
<form method="post" action="${escapeHtml(new URL(request.url).pathname)}">
<input type="hidden" name="state" value="${btoa(JSON.stringify(oauthRequest))}">
<input type="hidden" name="csrf_token" value="${csrf}">
<div class="actions"><button type="button" onclick="history.back()">Cancel</button><button type="submit">Approve</button></div>
</form>
</div></main></body></html>`;
  return new Response(html, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "frame-ancestors 'none'",
      'x-frame-options': 'DENY',
      'set-cookie': `${CSRF_COOKIE}=${csrf}; ${COOKIE_ATTRS}; Max-Age=${TEN_MINUTES_S}`,
    },
  });
}
