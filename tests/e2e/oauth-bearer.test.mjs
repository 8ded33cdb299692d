// The protected endpoints (/mcp, /sse, /sse/message) in front of the MCP transports: the 401
// challenge that starts discovery, refused tokens, and which resource's tokens each accepts.
// (The transports themselves are the next issue: an accepted token is asserted as "not 401".)
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, tamper } from './helpers.mjs';
import {
  ORIGIN, url, PROTECTED_PATHS, RESOURCE_ADMITS, Browser, SdkProvider, sdkAuthorize, clientWithTokens,
  callProtected, expectAccepted, expectChallenge, readResponse,
} from './oauth-helpers.mjs';

for (const path of PROTECTED_PATHS) {
  test(`${path} without a token → 401 with a Bearer challenge naming ${path}'s metadata, no error`, async () => {
    expectChallenge(await callProtected(path), path, { invalidToken: false });
  });

  test(`${path} with a bad token → 401, error="invalid_token"`, async () => {
    for (const token of ['not-a-token', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'A'.repeat(300)]) {
      expectChallenge(await callProtected(path, token), path, { invalidToken: true });
    }
  });
}

test("each 401's resource_metadata URL serves a document for that endpoint (what clients fetch next)", async () => {
  for (const path of PROTECTED_PATHS) {
    const r = await callProtected(path);
    const metadataUrl = r.challenge?.params.resource_metadata;
    assert.ok(metadataUrl, `${path}: resource_metadata`);
    const doc = await readResponse(await fetch(metadataUrl, { signal: AbortSignal.timeout(10000) }));
    assert.equal(doc.status, 200, `${path}: GET ${metadataUrl} → ${doc.status}`);
    assert.deepEqual(doc.json.authorization_servers, [ORIGIN], `${path}: authorization_servers`);
    assert.ok(url(path).startsWith(doc.json.resource), `${path}: the document's resource ${doc.json.resource} covers ${url(path)}`);
  }
});

// ---- tokens per resource --------------------------------------------------------------------------

describe('tokens per resource', () => {
  const tokens = {}; // resource → {access_token, refresh_token}

  before(async () => {
    const browser = new Browser({ loginHint: ALICE });
    // /mcp and /sse through the SDK (as an MCP client connecting to that endpoint would)…
    for (const endpoint of ['/mcp', '/sse']) {
      const provider = new SdkProvider({ browser });
      const t = await sdkAuthorize(provider, url(endpoint));
      assert.equal(provider.lastAuthorizationUrl.searchParams.get('resource'), url(endpoint), `the SDK asked for ${url(endpoint)}`);
      tokens[url(endpoint)] = t;
    }
    // …and the whole origin by hand (the root document's resource).
    tokens[ORIGIN] = (await clientWithTokens(browser, { params: { resource: ORIGIN } })).tokens;
  });

  for (const [resource, admitted] of Object.entries(RESOURCE_ADMITS)) {
    test(`a token for resource ${resource} is accepted at ${admitted.join(', ')} and refused elsewhere`, async () => {
      const token = tokens[resource].access_token;
      for (const path of PROTECTED_PATHS) {
        const r = await callProtected(path, token);
        if (admitted.includes(path)) {
          await expectAccepted(path, token, `${path} accepts it`);
        } else {
          expectChallenge(r, path, { invalidToken: true }); // a token for another resource (RFC 8707)
        }
      }
    });
  }

  test('a token presented at the wrong endpoint: …/sse token at /mcp → 401 invalid_token', async () => {
    expectChallenge(await callProtected('/mcp', tokens[url('/sse')].access_token), '/mcp', { invalidToken: true });
    expectChallenge(await callProtected('/sse', tokens[url('/mcp')].access_token), '/sse', { invalidToken: true });
  });

  test('a tampered access token, a refresh token, or a token in the query string is refused', async () => {
    const t = tokens[url('/mcp')];
    await expectAccepted('/mcp', t.access_token, 'the untouched token works');
    expectChallenge(await callProtected('/mcp', tamper(t.access_token)), '/mcp', { invalidToken: true });
    expectChallenge(await callProtected('/mcp', t.refresh_token), '/mcp', { invalidToken: true });
    const q = await callProtected('/mcp', undefined, { query: `?access_token=${encodeURIComponent(t.access_token)}` });
    assert.equal(q.status, 401, 'bearer_methods_supported is ["header"]: a query token is not accepted');
    const wrongScheme = await callProtected('/mcp', undefined, { authorization: `Basic ${t.access_token}` });
    assert.equal(wrongScheme.status, 401, 'only the Bearer scheme');
  });
});
