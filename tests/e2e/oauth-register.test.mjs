// Dynamic client registration (RFC 7591): the redirect-URI scheme check that case, whitespace and
// control characters must not get around, the clients MCP hosts really register, and the rest
// of the metadata rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register } from './oauth-helpers.mjs';

const base = (redirect_uris, extra = {}) => ({
  client_name: 'registration test', redirect_uris, token_endpoint_auth_method: 'none', ...extra,
});

const REFUSED = [
  'JaVaScRiPt:alert(1)',
  ' javascript:alert(1)',
  'javascript:alert(1) ',
  'java\tscript:alert(1)',
  'java\nscript:alert(1)',
  '\u0000javascript:alert(1)',
  'javascript://example.com/%0aalert(1)',
  'data:text/html,<script>alert(1)</script>',
  'DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  'file:///etc/passwd',
  'vbscript:msgbox(1)',
  'http://evil.example/callback',
  'HTTP://EVIL.EXAMPLE/callback',
  'http://localhost.evil.example/callback',
  'http://127.0.0.1.nip.io/callback',
  'https://example.com/callback#fragment',
  'https://user:secret@example.com/callback',
  'https://example.com/call back',
  'https://example.com/callback\r\nX-Injected: 1',
  '/relative/callback',
  'not a url',
];

for (const uri of REFUSED) {
  test(`/register refuses redirect URI ${JSON.stringify(uri)} → 400 invalid_redirect_uri`, async () => {
    const r = await register(base([uri]));
    assert.equal(r.status, 400, `status ${r.status}: ${r.text.slice(0, 200)}`);
    assert.equal(r.json?.error, 'invalid_redirect_uri', r.text.slice(0, 200));
    assert.equal(r.json.client_id, undefined, 'no client');
  });
}

test('/register refuses the whole registration when one of several redirect URIs is bad', async () => {
  const r = await register(base(['https://good.example/callback', 'JaVaScRiPt:alert(1)']));
  assert.equal(r.status, 400);
  assert.equal(r.json?.error, 'invalid_redirect_uri');
});

const ACCEPTED = [
  ['cursor://anysphere.cursor-mcp/oauth/callback'],
  ['http://localhost:1234/cb'],
  ['http://127.0.0.1:6276/oauth/callback'],
  ['http://[::1]:8080/cb'],
  ['https://claude.ai/api/mcp/auth_callback'],
  // Cursor registers these three at once.
  ['cursor://anysphere.cursor-mcp/oauth/callback', 'https://www.cursor.com/agents/mcp/oauth/callback', 'http://localhost:8787/callback'],
];

for (const uris of ACCEPTED) {
  test(`/register accepts ${uris.join(' + ')} → 201 with exactly those redirect URIs`, async () => {
    const r = await register(base(uris));
    assert.equal(r.status, 201, `status ${r.status}: ${r.text.slice(0, 200)}`);
    assert.deepEqual(r.json.redirect_uris, uris);
    assert.ok(r.json.client_id, 'client_id');
    assert.ok(Number.isInteger(r.json.client_id_issued_at), 'client_id_issued_at');
    assert.equal(r.json.token_endpoint_auth_method, 'none');
    assert.equal(r.json.client_name, 'registration test');
    assert.ok(r.json.grant_types?.includes('authorization_code'), `grant_types ${JSON.stringify(r.json.grant_types)}`);
    assert.deepEqual(r.json.response_types, ['code'], 'response types');
    assert.equal(r.json.client_secret, undefined, 'a public client has no secret');
    assert.match(r.headers.get('cache-control') ?? '', /no-store/);
  });
}

test('/register without an auth method → a confidential client (client_secret_basic) with a secret', async () => {
  const r = await register({ client_name: 'confidential', redirect_uris: ['https://app.example/callback'] });
  assert.equal(r.status, 201, r.text.slice(0, 200));
  assert.equal(r.json.token_endpoint_auth_method, 'client_secret_basic');
  assert.ok(typeof r.json.client_secret === 'string' && r.json.client_secret.length >= 32, 'a long secret');
  assert.ok(Number.isInteger(r.json.client_secret_expires_at), 'client_secret_expires_at (0 = never)');
  const again = await register({ client_name: 'confidential', redirect_uris: ['https://app.example/callback'] });
  assert.notEqual(again.json.client_id, r.json.client_id, 'every registration is a new client');
  assert.notEqual(again.json.client_secret, r.json.client_secret, 'with its own secret');
});

test('/register refuses unsupported metadata → 400 invalid_client_metadata', async () => {
  const cases = [
    { token_endpoint_auth_method: 'private_key_jwt' },
    { grant_types: ['implicit'] },
    { grant_types: ['client_credentials'] },
    { grant_types: ['authorization_code', 'password'] },
    { response_types: ['token'] },
  ];
  for (const extra of cases) {
    const r = await register(base(['https://app.example/callback'], extra));
    assert.equal(r.status, 400, `${JSON.stringify(extra)} → ${r.status}: ${r.text.slice(0, 200)}`);
    assert.equal(r.json?.error, 'invalid_client_metadata', `${JSON.stringify(extra)}: ${r.text.slice(0, 200)}`);
  }
});

test('/register refuses a missing or empty redirect_uris list', async () => {
  for (const body of [{ client_name: 'x', token_endpoint_auth_method: 'none' }, base([]), base('https://app.example/callback')]) {
    const r = await register(body);
    assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status}`);
    assert.ok(['invalid_redirect_uri', 'invalid_client_metadata'].includes(r.json?.error), `${JSON.stringify(body)}: ${r.text.slice(0, 200)}`);
  }
});

test('/register refuses a body that is not JSON (400) and one over 64 KiB (413)', async () => {
  const notJson = await register('{"redirect_uris": [');
  assert.equal(notJson.status, 400);
  assert.ok(notJson.json?.error, 'an OAuth error body');
  const huge = await register(base(['https://app.example/callback'], { client_name: 'x'.repeat(70 * 1024) }));
  assert.equal(huge.status, 413, `a 70 KiB body → ${huge.status}`);
});
