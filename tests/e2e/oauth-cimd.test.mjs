// Client ID Metadata Documents: a client whose client_id is the URL of its own metadata document,
// served here on loopback (the e2e Worker runs with ALLOW_LOOPBACK_CLIENT_METADATA=true). A
// complete authorization with the SDK, and the documents the Worker must refuse.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ALICE, CookieJar, textByTestId } from './helpers.mjs';
import {
  Browser, SdkProvider, sdkAuthorize, sdkRefresh, scopesOf, expectAccepted, startDocumentServer,
  authorizeRequest, expectRefusalPage, tokenRequest, PERMISSION,
} from './oauth-helpers.mjs';

const NAME = 'Loopback CIMD client';
let docs;

/** A valid document for the client id `base + path`. */
const documentFor = (base, path, extra = {}) => ({
  client_id: `${base}${path}`,
  client_name: NAME,
  redirect_uris: [`${base}/callback`],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  ...extra,
});

const padding = 'x'.repeat(6000); // makes a document > 5 KiB; unknown members are otherwise ignored

// A document server that does not answer until the test says so (then 503).
let releaseStall;
const stallReleased = new Promise((resolve) => { releaseStall = resolve; });

before(async () => {
  docs = await startDocumentServer({
    '/client.json': { json: (base) => documentFor(base, '/client.json'), headers: { 'cache-control': 'max-age=300' } },
    '/other-client.json': { json: (base) => documentFor(base, '/other-client.json') },
    '/mismatch.json': { json: (base) => documentFor(base, '/mismatch.json', { client_id: `${base}/client.json` }) },
    '/big.json': { json: (base) => documentFor(base, '/big.json', { x_padding: padding }) },
    '/big-chunked.json': (req, res, base) => {
      // No Content-Length: the Worker must count the bytes, not trust a header.
      const body = JSON.stringify(documentFor(base, '/big-chunked.json', { x_padding: padding }));
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < body.length; i += 1000) res.write(body.slice(i, i + 1000));
      res.end();
    },
    '/secret-client.json': { json: (base) => documentFor(base, '/secret-client.json', { token_endpoint_auth_method: 'client_secret_basic' }) },
    '/no-name.json': { json: (base) => { const d = documentFor(base, '/no-name.json'); delete d.client_name; return d; } },
    '/stall.json': async (req, res) => { await stallReleased; res.writeHead(503); res.end(); },
  });
});
after(async () => { releaseStall(); await docs?.close(); });

test('a loopback client metadata document: the SDK completes authorization → token → refresh with it', async () => {
  const clientId = docs.url('/client.json');
  const provider = new SdkProvider({
    browser: new Browser({ loginHint: ALICE }),
    redirectUrl: docs.url('/callback'),
    // The SDK itself only uses https metadata URLs as client ids; a pre-set client id is sent as is.
    clientInformation: { client_id: clientId },
  });
  const tokens = await sdkAuthorize(provider);
  assert.equal(provider.requestsTo('/register').length, 0, 'no dynamic registration');
  assert.ok(docs.requestsTo('/client.json').length >= 1, 'the Worker fetched the metadata document');
  assert.equal(provider.lastAuthorizationUrl.searchParams.get('client_id'), clientId);
  const nav = provider.navigations[0];
  assert.equal(nav.consent?.clientName, NAME, "the consent page shows the document's client_name");
  assert.equal(nav.consent.redirectHost, new URL(docs.base).host, "the consent page shows the redirect URI's host");
  assert.equal(textByTestId(nav.consent.html, 'consent-metadata-host'), `The application identified itself with a metadata document at ${new URL(docs.base).hostname}.`,
    "and the metadata document's host");
  assert.ok(tokens.access_token && tokens.refresh_token, 'tokens issued');
  assert.ok(scopesOf(tokens).includes(PERMISSION), `Alice's scope: ${tokens.scope}`);
  await expectAccepted('/mcp', tokens.access_token, 'the access token works');
  const refreshed = await sdkRefresh(provider);
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'refresh rotates');
});

test("a slow metadata document does not hold the grants of the person whose token names it", async () => {
  // A person's grants share one object, which runs their operations one at a time; the
  // partition is in every code and token they get. A request naming it with a client whose
  // document server stalls must not make their own clients wait.
  const provider = new SdkProvider({
    browser: new Browser({ loginHint: ALICE }),
    redirectUrl: docs.url('/callback'),
    clientInformation: { client_id: docs.url('/client.json') },
  });
  const tokens = await sdkAuthorize(provider);
  const grantId = tokens.refresh_token.slice('mcp_rt_'.length).split('.')[0];
  assert.equal(grantId.length, 24, grantId);
  const forged = `mcp_rt_${grantId.slice(0, 8)}${'A'.repeat(16)}.${'B'.repeat(43)}`;
  let stalledAnswer;
  const stalled = tokenRequest({ grant_type: 'refresh_token', refresh_token: forged, client_id: docs.url('/stall.json') })
    .then((r) => { stalledAnswer = r; return r; });
  for (let i = 0; i < 100 && docs.requestsTo('/stall.json').length === 0; i++) await sleep(20);
  assert.equal(docs.requestsTo('/stall.json').length, 1, 'the Worker is fetching the stalling document');
  // The person's own refresh, meanwhile: answered while the stalled request still waits (the
  // guard only keeps a failing run from waiting for ever).
  const guard = sleep(20000, 'guard', { ref: false });
  const own = await Promise.race([sdkRefresh(provider).then(() => 'refreshed'), guard]);
  assert.equal(stalledAnswer, undefined, "the person's refresh was answered before the stalled request");
  assert.equal(own, 'refreshed');
  releaseStall();
  const r = await stalled;
  assert.equal(r.status, 503, r.text);
  assert.equal(r.json.error, 'temporarily_unavailable');
});

/** GET /authorize for a metadata-document client id, in a signed-out browser; the raw answer. */
async function authorizeWith(path, redirectPath = '/callback') {
  const req = authorizeRequest({ client_id: docs.url(path), redirect_uri: docs.url(redirectPath) });
  const seen = docs.requestsTo(path).length;
  const res = await new CookieJar().fetch(req.url);
  return { res, fetched: docs.requestsTo(path).length - seen };
}

test("a document whose client_id differs from its URL is refused (page, no redirect)", async () => {
  const { res, fetched } = await authorizeWith('/mismatch.json');
  await expectRefusalPage(res, 400, 'client_id ≠ document URL');
  assert.ok(fetched >= 1, 'refused after reading the document (not for some other reason)');
});

test('a document larger than 5 KiB is refused, with or without Content-Length', async () => {
  for (const path of ['/big.json', '/big-chunked.json']) {
    const { res, fetched } = await authorizeWith(path);
    await expectRefusalPage(res, 400, `${path} (> 5 KiB)`);
    assert.ok(fetched >= 1, `${path}: the Worker did ask for it`);
  }
});

test('a redirect_uri not listed in the document is refused (page, no redirect)', async () => {
  const { res, fetched } = await authorizeWith('/other-client.json', '/elsewhere');
  const html = await expectRefusalPage(res, 400, 'redirect_uri not in the document');
  assert.ok(fetched >= 1, 'refused after reading the document');
  assert.match(html, /redirect URI is not registered for this client/, 'the page says why');
});

test('a document asking for a client secret, or without client_name, is refused', async () => {
  for (const [path, why] of [
    ['/secret-client.json', /token_endpoint_auth_method .*client_secret_basic.* is not supported/],
    ['/no-name.json', /client_name is required/],
  ]) {
    const { res, fetched } = await authorizeWith(path);
    const html = await expectRefusalPage(res, 400, path);
    assert.ok(fetched >= 1, `${path}: refused after reading the document`);
    assert.match(html, why, `${path}: the page says why`);
  }
});

test('a client id naming a document that does not exist is refused', async () => {
  const { res, fetched } = await authorizeWith('/missing.json');
  const html = await expectRefusalPage(res, 400, 'metadata document 404');
  assert.ok(fetched >= 1, 'the Worker asked for it');
  assert.match(html, /could not be fetched/, 'the page says why');
});
