// The stateless 2026-07-28 revision on /mcp, raw over HTTP against the product Worker (no
// conformance fixtures): discovery, the revision's request checks and their statuses, removed
// methods, the result envelope, permission gating with the same tokens as 2025-11-25, progress
// and logs on the POST's own event stream, and the legacy era still served on the same endpoint.
// The official suite runs the full scenario list in mcp-conformance.test.mjs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { BOB } from './helpers.mjs';
import { url } from './oauth-helpers.mjs';
import {
  ALL_TOOLS, GATED_TOOL, JSONRPC, PLAYGROUND_ORIGIN, accessToken, expectPreviewImage, expectResult, expectRpcError,
  initialize, mcpPost, request,
} from './mcp-helpers.mjs';

const V = '2026-07-28';
const META = {
  'io.modelcontextprotocol/protocolVersion': V,
  'io.modelcontextprotocol/clientInfo': { name: 'e2e-stateless', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

let alice;
let bob;
before(async () => {
  [alice, bob] = await Promise.all([accessToken(), accessToken(BOB)]);
});

/** A 2026-07-28 request as a conforming client sends it: _meta, and the three mirrored headers. */
function modern(token, method, params = {}, { meta = {}, headers = {}, id } = {}) {
  const msg = request(method, { ...params, _meta: { ...META, ...meta } }, id);
  const target = params.name ?? params.uri;
  return mcpPost(token, msg, {
    headers: { 'mcp-protocol-version': V, 'mcp-method': method, ...(target ? { 'mcp-name': target } : {}), ...headers },
  }).then((r) => ({ ...r, id: msg.id }));
}

/** The JSON-RPC messages of an event-stream body, in order. */
const events = (text) => text.split('\n').filter((l) => l.startsWith('data:')).map((l) => JSON.parse(l.slice(5)));

test('server/discover: the revision, the capabilities and who answers; no session', async () => {
  const r = await modern(alice.token, 'server/discover');
  assert.equal(r.status, 200);
  const result = expectResult(r.json, r.id, 'server/discover');
  assert.deepEqual(result.supportedVersions, [V]);
  for (const cap of ['tools', 'resources', 'prompts', 'completions']) assert.ok(result.capabilities[cap], cap);
  assert.equal(result.resultType, 'complete');
  assert.equal(result._meta['io.modelcontextprotocol/serverInfo'].name, 'mcp-authkit-worker');
  assert.ok(Number.isInteger(result.ttlMs) && result.cacheScope === 'public');
  assert.equal(r.headers.get('mcp-session-id'), null, 'no session in this revision');
  // Still behind the bearer check: discovery of the MCP server, not of its OAuth.
  const anonymous = await modern(null, 'server/discover');
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /resource_metadata=/);
});

test('tools: gated by the same permissions, results complete and privately cacheable', async () => {
  const a = await modern(alice.token, 'tools/list');
  const aliceTools = expectResult(a.json, a.id, 'tools/list (Alice)');
  assert.deepEqual(aliceTools.tools.map((t) => t.name).sort(), ALL_TOOLS);
  assert.equal(aliceTools.cacheScope, 'private', 'the list depends on who asks');
  assert.equal(aliceTools.ttlMs, 60000);
  const b = await modern(bob.token, 'tools/list');
  assert.ok(!expectResult(b.json, b.id, 'tools/list (Bob)').tools.some((t) => t.name === GATED_TOOL), 'Bob does not see generateImage');

  const sum = await modern(alice.token, 'tools/call', { name: 'add', arguments: { a: 19, b: 23 } });
  const result = expectResult(sum.json, sum.id, 'add');
  assert.equal(result.resultType, 'complete');
  assert.deepEqual(result.structuredContent, { sum: 42 });
  assert.equal(result.ttlMs, undefined, 'tool results are not cached');

  const refused = await modern(bob.token, 'tools/call', { name: GATED_TOOL, arguments: { prompt: 'a cat' } });
  const denial = expectResult(refused.json, refused.id, 'generateImage (Bob)');
  assert.equal(denial.isError, true);
  assert.match(denial.content[0].text, /image_generation/);
});

test('progress and logs arrive on the POST\'s own event stream, before the result, only when asked', async () => {
  const plain = await modern(alice.token, 'tools/call', { name: GATED_TOOL, arguments: { prompt: 'a lighthouse' } });
  assert.match(plain.headers.get('content-type'), /application\/json/, 'no progress token, no log level: plain JSON');
  expectPreviewImage(expectResult(plain.json, plain.id, 'generateImage'));

  const streamed = await modern(alice.token, 'tools/call', { name: GATED_TOOL, arguments: { prompt: 'a lighthouse' } },
    { meta: { progressToken: 'p-1', 'io.modelcontextprotocol/logLevel': 'debug' } });
  assert.match(streamed.headers.get('content-type'), /text\/event-stream/);
  assert.equal(streamed.headers.get('x-accel-buffering'), 'no');
  const messages = events(streamed.text);
  const last = messages.at(-1);
  expectPreviewImage(expectResult(last, streamed.id, 'generateImage (streamed)'));
  const progress = messages.filter((m) => m.method === 'notifications/progress');
  assert.ok(progress.length >= 2 && progress.every((p) => p.params.progressToken === 'p-1'), JSON.stringify(messages.slice(0, -1)));
  assert.ok(messages.some((m) => m.method === 'notifications/message'), 'a log message at debug level');
  assert.ok(messages.slice(0, -1).every((m) => m.id === undefined), 'nothing but notifications before the result');
});

test('the revision\'s checks: 400 with -32020/-32602/-32022, removed and unknown methods 404', async () => {
  const noHeader = await mcpPost(alice.token, request('tools/list', { _meta: META }), { headers: { 'mcp-method': 'tools/list' } });
  assert.equal(noHeader.status, 400);
  expectRpcError(noHeader.json, -32020, { what: 'no MCP-Protocol-Version' });

  const noMeta = await mcpPost(alice.token, request('tools/list', {}), { headers: { 'mcp-protocol-version': V, 'mcp-method': 'tools/list' } });
  assert.equal(noMeta.status, 400);
  expectRpcError(noMeta.json, JSONRPC.invalidParams, { what: 'no _meta' });

  const wrongMethod = await modern(alice.token, 'tools/list', {}, { headers: { 'mcp-method': 'prompts/list' } });
  assert.equal(wrongMethod.status, 400);
  expectRpcError(wrongMethod.json, -32020, { id: wrongMethod.id, what: 'Mcp-Method disagrees' });
  const wrongName = await modern(alice.token, 'tools/call', { name: 'add', arguments: { a: 1, b: 2 } }, { headers: { 'mcp-name': 'whoami' } });
  assert.equal(wrongName.status, 400);
  expectRpcError(wrongName.json, -32020, { what: 'Mcp-Name disagrees: nothing runs' });

  const future = await modern(alice.token, 'tools/list', {}, { meta: { 'io.modelcontextprotocol/protocolVersion': '2099-01-01' }, headers: { 'mcp-protocol-version': '2099-01-01' } });
  assert.equal(future.status, 400);
  const error = expectRpcError(future.json, -32022, { what: 'a version we do not speak' });
  assert.deepEqual(error.data, { supported: [V], requested: '2099-01-01' });

  for (const method of ['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'unknown/method']) {
    const r = await modern(alice.token, method, method === 'initialize' ? { protocolVersion: V, capabilities: {} } : {});
    assert.equal(r.status, 404, method);
    expectRpcError(r.json, JSONRPC.methodNotFound, { id: r.id, what: method });
  }
  const missing = await modern(alice.token, 'resources/read', { uri: 'account://nobody' });
  expectRpcError(missing.json, JSONRPC.invalidParams, { what: 'an unknown resource' });
  assert.equal(missing.json.error.data.uri, 'account://nobody');
});

test('both eras on one endpoint: 2025-11-25 initialize and requests still work next to 2026-07-28', async () => {
  const init = await mcpPost(alice.token, initialize());
  assert.equal(expectResult(init.json, init.json.id, 'initialize').protocolVersion, '2025-11-25');
  assert.ok(init.headers.get('mcp-session-id'), 'the legacy era keeps its correlation id');
  const legacy = await mcpPost(alice.token, request('tools/list'), { headers: { 'mcp-protocol-version': '2025-11-25' } });
  const tools = expectResult(legacy.json, legacy.json.id, 'legacy tools/list');
  assert.equal(tools.resultType, undefined, 'no 2026 fields in a 2025 answer');
  // A browser client of the new revision (from an allowed origin) may send its headers.
  const preflight = await fetch(url('/mcp'), {
    method: 'OPTIONS',
    headers: { origin: PLAYGROUND_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'mcp-method, mcp-name, mcp-protocol-version' },
  });
  const allowed = (preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase();
  assert.ok(['mcp-method', 'mcp-name'].every((h) => allowed.includes(h)), allowed);
  const fromPlayground = await modern(alice.token, 'tools/list', {}, { headers: { origin: PLAYGROUND_ORIGIN } });
  assert.equal(fromPlayground.status, 200);
  assert.equal(fromPlayground.headers.get('access-control-allow-origin'), PLAYGROUND_ORIGIN);
});
