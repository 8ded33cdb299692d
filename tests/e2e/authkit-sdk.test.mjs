// AuthKit mode with the real MCP client library: `@modelcontextprotocol/sdk`'s `Client` over
// Streamable HTTP (/mcp) and legacy SSE (/sse) against the AuthKit-mode Worker, with a bearer
// token minted by the AuthKit stand-in (as if AuthKit's own OAuth had issued it) and passed as a
// header — `requestInit.headers.Authorization`, and for SSE's GET also via `eventSourceInit.fetch`.
// `permissions` in the token gate generateImage. Bob's token carries no permissions claim: his
// come from WorkOS (member → none; authkit-permissions.test.mjs covers that lookup in depth).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ALICE, BOB, ALICE_ID, BOB_ID, ACME_ORG_ID } from './helpers.mjs';
import { ALL_TOOLS, GATED_TOOL, expectToolOk, expectToolError, expectPreviewImage } from './mcp-helpers.mjs';
import { akUrl, mint } from './authkit-helpers.mjs';

const PERMISSION = 'image_generation';
const open = [];
after(async () => { await Promise.all(open.map((c) => c.close().catch(() => {}))); });

/** A Client connected over `kind` with `token`; counts the SSE GETs made through eventSourceInit.fetch. */
async function connect(kind, token) {
  const authorization = `Bearer ${token}`;
  const seen = { eventSourceFetches: 0 };
  const requestInit = { headers: { Authorization: authorization } };
  const transport = kind === 'sse'
    ? new SSEClientTransport(new URL(akUrl('/sse')), {
      requestInit,
      eventSourceInit: {
        fetch: (u, init) => {
          seen.eventSourceFetches++;
          const headers = new Headers(init?.headers);
          headers.set('Authorization', authorization);
          return fetch(u, { ...init, headers });
        },
      },
    })
    : new StreamableHTTPClientTransport(new URL(akUrl('/mcp')), { requestInit });
  const client = new Client({ name: `authkit-e2e-${kind}`, version: '0' });
  await client.connect(transport);
  open.push(client);
  return { client, seen };
}

const TRANSPORTS = [
  { kind: 'http', label: 'StreamableHTTPClientTransport (/mcp)', path: '/mcp' },
  { kind: 'sse', label: 'SSEClientTransport (/sse)', path: '/sse' },
];

for (const { kind, label, path } of TRANSPORTS) {
  describe(`AuthKit token, SDK client over ${label}`, () => {
    test('with image_generation in the token: all four tools, generateImage works, whoami is the token\'s subject', async () => {
      const token = await mint({
        aud: akUrl(path), sub: ALICE_ID ?? 'user_authkit_alice', email: ALICE, name: 'Alice Admin',
        ...(ACME_ORG_ID ? { org_id: ACME_ORG_ID } : {}), role: 'admin', permissions: [PERMISSION],
        sid: 'app_consent_01TEST', client_id: 'client_01MCPCLIENT', scope: 'openid profile email offline_access',
      });
      const { client, seen } = await connect(kind, token);
      if (kind === 'sse') assert.ok(seen.eventSourceFetches >= 1, 'the SSE GET went through eventSourceInit.fetch');

      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), ALL_TOOLS, 'all four tools are listed');
      expectPreviewImage(await client.callTool({ name: GATED_TOOL, arguments: { prompt: 'a lighthouse at dusk' } }), `generateImage over ${kind}`);
      const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 3.5 } });
      assert.match(expectToolOk(sum, 'add'), /\b5\.5\b/);
      const who = await client.callTool({ name: 'whoami', arguments: {} });
      expectToolOk(who, 'whoami');
      const s = who.structuredContent;
      assert.ok(s, `whoami has structuredContent: ${JSON.stringify(who)}`);
      assert.equal(s.user_id, ALICE_ID ?? 'user_authkit_alice');
      assert.equal(s.email, ALICE);
      assert.ok(s.permissions.includes(PERMISSION), `permissions ${JSON.stringify(s.permissions)}`);
      assert.equal(s.organization_id, ACME_ORG_ID);
    });

    test('without image_generation: generateImage is not listed, and calling it is an error naming the permission', async () => {
      const token = await mint({
        aud: akUrl(path), sub: BOB_ID ?? 'user_authkit_bob', email: BOB, ...(ACME_ORG_ID ? { org_id: ACME_ORG_ID } : {}),
      });
      const { client } = await connect(kind, token);
      const names = (await client.listTools()).tools.map((t) => t.name).sort();
      assert.deepEqual(names, ALL_TOOLS.filter((n) => n !== GATED_TOOL), `tools without ${GATED_TOOL}`);
      const refused = await client.callTool({ name: GATED_TOOL, arguments: { prompt: 'a lighthouse' } });
      expectToolError(refused, new RegExp(PERMISSION), `generateImage without ${PERMISSION}`);
      assert.ok(!refused.content.some((c) => c.type === 'image'), 'no image');
      const sum = await client.callTool({ name: 'add', arguments: { a: -4, b: 10 } });
      assert.match(expectToolOk(sum, 'add'), /\b6\b/);
    });
  });
}

test('a token for /sse is refused on /mcp and vice versa (SDK connect fails with 401)', async () => {
  const forSse = await mint({ aud: akUrl('/sse'), permissions: [] });
  await assert.rejects(connect('http', forSse), (err) => /401/.test(String(err?.message ?? err)) || err?.code === 401, 'aud …/sse on /mcp');
  const forMcp = await mint({ aud: akUrl('/mcp'), permissions: [] });
  await assert.rejects(connect('sse', forMcp), (err) => /401|Unauthorized/i.test(String(err?.message ?? err)) || err?.code === 401, 'aud …/mcp on /sse');
});

test('a stream opened with a token that names no client is bound to its WorkOS session: another session of the same user cannot post into it', async () => {
  const aud = akUrl('/sse');
  const [mine, other] = await Promise.all([
    mint({ aud, sid: 'session_01STREAMOWNER', permissions: [] }),
    mint({ aud, sid: 'session_01SOMEONEELSE', permissions: [] }),
  ]);
  const controller = new AbortController();
  const res = await fetch(aud, { headers: { accept: 'text/event-stream', authorization: `Bearer ${mine}` }, signal: controller.signal });
  try {
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    let text = '';
    while (!/event: endpoint\ndata: (\S+)\n\n/.test(text)) {
      const { value, done } = await reader.read();
      assert.ok(!done, `the stream ended before its endpoint event: ${text}`);
      text += new TextDecoder().decode(value);
    }
    const endpoint = text.match(/event: endpoint\ndata: (\S+)\n\n/)[1];
    const post = (token) => fetch(akUrl(endpoint), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    assert.equal((await post(other)).status, 404, 'the same user from another WorkOS session');
    assert.equal((await post(mine)).status, 202, 'the stream\'s own session');
  } finally {
    controller.abort();
  }
});
