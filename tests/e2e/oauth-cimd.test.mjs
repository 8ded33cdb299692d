// Client ID Metadata Documents: a client whose client_id is the URL of its own metadata document,
// served here on loopback (the e2e Worker runs with ALLOW_LOOPBACK_CLIENT_METADATA=true). A
// complete authorization with the SDK, and the documents the Worker must refuse.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, CookieJar, textByTestId } from './helpers.mjs';
import {
  Browser, SdkProvider, sdkAuthorize, sdkRefresh, scopesOf, callProtected, startDocumentServer,
  authorizeRequest, expectRefusalPage, PERMISSION,
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
  });
});
after(async () => { await docs?.close(); });

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
  assert.notEqual((await callProtected('/mcp', tokens.access_token)).status, 401, 'the access token works');
  const refreshed = await sdkRefresh(provider);
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'refresh rotates');
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
  const { res } = await authorizeWith('/other-client.json', '/elsewhere');
  await expectRefusalPage(res, 400, 'redirect_uri not in the document');
});

test('a document asking for a client secret, or without client_name, is refused', async () => {
  for (const path of ['/secret-client.json', '/no-name.json']) {
    const { res } = await authorizeWith(path);
    await expectRefusalPage(res, 400, path);
  }
});

test('a client id naming a document that does not exist is refused', async () => {
  const { res } = await authorizeWith('/missing.json');
  await expectRefusalPage(res, 400, 'metadata document 404');
});
