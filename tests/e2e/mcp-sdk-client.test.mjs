// The real MCP client library (@modelcontextprotocol/sdk `Client`) against the Worker over both
// transports — legacy SSE (`SSEClientTransport`, O/sse) and Streamable HTTP
// (`StreamableHTTPClientTransport`, O/mcp) — with the SDK running the OAuth itself on the first
// 401 (its `authProvider` drives the cookie-jar browser through sign-in and consent).
// Alice (admin, image_generation) sees and uses all four tools; Bob (member) does not see
// generateImage, and calling it anyway fails with the permission named.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, BOB, ALICE_ID, BOB_ID, ACME_ORG_ID } from './helpers.mjs';
import { PERMISSION, PRM_PATH, url } from './oauth-helpers.mjs';
import {
  ALL_TOOLS, GATED_TOOL, LATEST_PROTOCOL_VERSION, connectSdk, expectToolOk, expectToolError, expectPreviewImage,
} from './mcp-helpers.mjs';

const TRANSPORTS = [
  { kind: 'sse', label: 'SSEClientTransport (/sse)', path: '/sse' },
  { kind: 'http', label: 'StreamableHTTPClientTransport (/mcp)', path: '/mcp' },
];

const open = [];
after(async () => { await Promise.all(open.map((c) => c.close().catch(() => {}))); });

async function connect(kind, loginHint) {
  const c = await connectSdk(kind, { loginHint });
  open.push(c);
  return c;
}

/** The SDK did the OAuth itself: PRM for the transport's path, AS metadata, DCR, one sign-in, token. */
function expectSdkDidOAuth(c, path) {
  assert.ok(c.authorizedOnConnect, 'the first connection met a 401 and the SDK authorized');
  const seen = c.provider.requests.map((r) => `${r.method} ${new URL(r.url).pathname} ${r.status}`);
  for (const step of [`GET ${PRM_PATH}${path} 200`, 'POST /register 201', 'POST /token 200']) {
    assert.ok(seen.includes(step), `the SDK made "${step}"; it made: ${seen.join(' | ')}`);
  }
  assert.equal(c.provider.navigations.length, 1, 'one trip through the browser (sign-in + consent)');
  assert.equal(c.provider.lastAuthorizationUrl.searchParams.get('resource'), url(path), `resource=${url(path)}`);
}

for (const { kind, label, path } of TRANSPORTS) {
  describe(`SDK client over ${label}`, () => {
    test('as Alice: OAuth on the first 401, all four tools, an image, add, whoami, getUserProfile', async () => {
      const c = await connect(kind, ALICE);
      expectSdkDidOAuth(c, path);
      const { client } = c;

      const server = client.getServerVersion();
      assert.ok(server?.name, `serverInfo.name (${JSON.stringify(server)})`);
      assert.ok(client.getServerCapabilities()?.tools, 'the server declares the tools capability');
      // Promised only where it can be sent: on a legacy SSE session's stream.
      assert.equal(client.getServerCapabilities().tools.listChanged, kind === 'sse', `tools.listChanged over ${label}`);
      if (kind === 'http') {
        // The SDK offers its newest version (2025-11-25) and sends the negotiated one as a header.
        assert.equal(c.transport.protocolVersion, LATEST_PROTOCOL_VERSION, 'negotiated the newest version');
      }

      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), ALL_TOOLS, 'Alice sees all four tools');
      for (const t of tools) {
        assert.ok(t.description, `${t.name}: a description`);
        assert.equal(t.inputSchema?.type, 'object', `${t.name}: an object input schema`);
      }
      const gen = tools.find((t) => t.name === GATED_TOOL);
      assert.ok(gen.inputSchema.properties?.prompt, 'generateImage takes a prompt');
      assert.deepEqual(gen.inputSchema.required ?? [], ['prompt'], 'only the prompt is required');

      const image = await client.callTool({ name: GATED_TOOL, arguments: { prompt: 'a lighthouse at dusk' } });
      expectPreviewImage(image, `generateImage over ${kind}`);
      const withSteps = await client.callTool({ name: GATED_TOOL, arguments: { prompt: 'a red fox', steps: 8 } });
      expectPreviewImage(withSteps, `generateImage steps=8 over ${kind}`);

      const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 3.5 } });
      assert.match(expectToolOk(sum, 'add'), /\b5\.5\b/, 'add(2, 3.5) = 5.5');

      const who = await client.callTool({ name: 'whoami', arguments: {} });
      const whoText = expectToolOk(who, 'whoami');
      assert.match(whoText, /alice@example\.com/, 'whoami names Alice');
      const s = who.structuredContent;
      assert.ok(s, 'whoami has structuredContent');
      assert.equal(s.email, ALICE);
      assert.equal(s.user_id, ALICE_ID);
      assert.equal(s.name, 'Alice Admin');
      assert.equal(s.organization_id, ACME_ORG_ID);
      assert.equal(s.organization_name, 'Acme');
      assert.equal(s.role, 'admin');
      assert.ok(s.permissions.includes(PERMISSION), `permissions ${JSON.stringify(s.permissions)} include ${PERMISSION}`);

      const profile = await client.callTool({ name: 'getUserProfile', arguments: {} });
      assert.match(expectToolOk(profile, 'getUserProfile'), /alice@example\.com/, 'the profile text names Alice');
      const p = profile.structuredContent;
      assert.ok(p, 'getUserProfile has structuredContent');
      assert.equal(p.email, ALICE);
      assert.equal(p.id, ALICE_ID);
      assert.equal(p.first_name, 'Alice');
      assert.equal(p.last_name, 'Admin');

      assert.equal(await client.ping().then(() => 'pong'), 'pong', 'ping answers');
    });

    test('as Bob: generateImage is not listed, and calling it anyway is an error naming image_generation', async () => {
      const c = await connect(kind, BOB);
      expectSdkDidOAuth(c, path);
      const { client } = c;

      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name).sort();
      assert.ok(!names.includes(GATED_TOOL), `Bob does not see ${GATED_TOOL} (got ${names.join(', ')})`);
      assert.deepEqual(names, ALL_TOOLS.filter((n) => n !== GATED_TOOL), 'Bob sees the other three');

      const refused = await client.callTool({ name: GATED_TOOL, arguments: { prompt: 'a lighthouse' } });
      expectToolError(refused, new RegExp(PERMISSION), 'generateImage as Bob');
      assert.ok(!refused.content.some((x) => x.type === 'image'), 'no image for Bob');

      const who = await client.callTool({ name: 'whoami', arguments: {} });
      expectToolOk(who, 'whoami as Bob');
      assert.equal(who.structuredContent.email, BOB);
      assert.equal(who.structuredContent.user_id, BOB_ID);
      assert.equal(who.structuredContent.role, 'member');
      assert.ok(!who.structuredContent.permissions.includes(PERMISSION), 'Bob lacks image_generation');

      const sum = await client.callTool({ name: 'add', arguments: { a: -4, b: 10 } });
      assert.match(expectToolOk(sum, 'add as Bob'), /\b6\b/, 'add(-4, 10) = 6');
    });

    test('invalid arguments and an unknown tool', async () => {
      const { client } = await connect(kind, ALICE);
      const bad = await client.callTool({ name: 'add', arguments: { a: 'two', b: 3 } });
      expectToolError(bad, /"a"/, 'add with a string');
      const missing = await client.callTool({ name: GATED_TOOL, arguments: {} });
      expectToolError(missing, /"prompt"/, 'generateImage without a prompt');
      const steps = await client.callTool({ name: GATED_TOOL, arguments: { prompt: 'x', steps: 9 } });
      expectToolError(steps, /"steps"/, 'generateImage with steps=9 (range 4–8)');
      await assert.rejects(client.callTool({ name: 'noSuchTool', arguments: {} }),
        (err) => err.code === -32602, 'an unknown tool is JSON-RPC error -32602');
    });
  });
}
