// The provider's default handler (hono): the authorization request's way through WorkOS AuthKit.
//
//   GET  /authorize  parse and check the OAuth request (the provider's parseAuthRequest); a client
//                    this browser approved before goes straight on to AuthKit, any other gets the
//                    approval page (consent.js), whose form carries the OAuth request
//   POST /authorize  the approval: CSRF checked, client remembered (signed cookie), then on to AuthKit
//   GET  /callback   AuthKit's answer: the one-time state checked (KV + this browser's cookie),
//                    the code exchanged at WorkOS (userManagement.authenticateWithCode), the grant
//                    made (completeAuthorization, props: user, tokens, permissions) and the browser
//                    sent back to the client with the provider's code
//
// "On to AuthKit": a random state stored in KV (10 minutes) holding the OAuth request, bound to
// this browser by a cookie carrying its SHA-256, and a redirect to WorkOS's authorization URL.
import { Hono } from 'hono';
import { WorkOS } from '@workos-inc/node';
import { decodeJwt } from 'jose';
import {
  approvalPage, checkCsrf, clearCsrfCookie, hasApproved, approveCookie, stateBindingCookie,
  checkStateBinding, clearStateBindingCookie, RefusedError,
} from './consent.js';

const STATE_TTL_S = 600;
const stateKey = (state) => `authkit:state:${state}`;

export const authkit = new Hono();

/** A WorkOS client for each request, pointed at WORKOS_API_HOSTNAME/PORT/HTTPS when set. */
authkit.use(async (c, next) => {
  const { WORKOS_API_HOSTNAME: host, WORKOS_API_PORT: port, WORKOS_API_HTTPS: https } = c.env;
  const where = host ? { apiHostname: host, port: port ? Number(port) : undefined, https: https !== 'false' } : {};
  c.set('workos', new WorkOS(c.env.WORKOS_CLIENT_SECRET, where));
  await next();
});

authkit.onError((err, c) => {
  if (err instanceof RefusedError) return c.json({ error: err.code, error_description: err.message }, err.status);
  console.error('authkit handler:', err);
  return c.text(`Internal server error: ${err.message}`, 500);
});

authkit.get('/authorize', async (c) => {
  let request;
  try {
    request = await c.env.OAUTH_PROVIDER.parseAuthRequest(c.req.raw);
  } catch (err) {
    return c.text(err.message, 400);
  }
  if (!request.clientId) return c.text('Invalid request', 400);
  if (await hasApproved(c.req.raw, request.clientId, c.env.COOKIE_ENCRYPTION_KEY)) {
    return toAuthKit(c, request, []);
  }
  const client = await c.env.OAUTH_PROVIDER.lookupClient(request.clientId);
  return approvalPage(c.req.raw, { client, request, serverName: 'AuthKit OAuth Demo' });
});

authkit.post('/authorize', async (c) => {
  const form = await c.req.raw.formData();
  checkCsrf(form, c.req.raw);
  let request;
  try {
    request = JSON.parse(atob(String(form.get('state') ?? '')));
  } catch {
    return c.text('Invalid state data', 400);
  }
  if (!request?.clientId) return c.text('Invalid request', 400);
  const remembered = await approveCookie(c.req.raw, request.clientId, c.env.COOKIE_ENCRYPTION_KEY);
  return toAuthKit(c, request, [remembered, clearCsrfCookie()]);
});

/** The one-time state in KV, the cookie that binds it to this browser, and the redirect to AuthKit. */
async function toAuthKit(c, request, cookies) {
  const state = crypto.randomUUID();
  await c.env.OAUTH_KV.put(stateKey(state), JSON.stringify(request), { expirationTtl: STATE_TTL_S });
  const location = c.get('workos').userManagement.getAuthorizationUrl({
    provider: 'authkit',
    clientId: c.env.WORKOS_CLIENT_ID,
    redirectUri: new URL('/callback', c.req.url).href,
    state,
  });
  const headers = new Headers({ location });
  for (const cookie of [...cookies, await stateBindingCookie(state)]) headers.append('set-cookie', cookie);
  return new Response(null, { status: 302, headers });
}

authkit.get('/callback', async (c) => {
  const state = c.req.query('state');
  if (!state) throw new RefusedError('invalid_request', 'Missing state parameter');
  const stored = await c.env.OAUTH_KV.get(stateKey(state));
  if (!stored) throw new RefusedError('invalid_request', 'Invalid or expired state');
  await checkStateBinding(c.req.raw, state);
  const request = JSON.parse(stored);
  await c.env.OAUTH_KV.delete(stateKey(state));

  const code = c.req.query('code');
  if (!code) return c.text('Missing code', 400);
  let auth;
  try {
    auth = await c.get('workos').userManagement.authenticateWithCode({ clientId: c.env.WORKOS_CLIENT_ID, code });
  } catch (err) {
    console.error('WorkOS code exchange:', err);
    return c.text('Invalid authorization code', 400);
  }
  const { accessToken, refreshToken, organizationId, user } = auth;
  const permissions = decodeJwt(accessToken).permissions ?? [];

  const { redirectTo } = await c.env.OAUTH_PROVIDER.completeAuthorization({
    request,
    userId: user.id,
    metadata: {},
    scope: permissions,
    props: { user, accessToken, refreshToken, organizationId, permissions }, // the agent's this.props
  });
  return new Response(null, { status: 302, headers: { location: redirectTo, 'set-cookie': clearStateBindingCookie() } });
});
