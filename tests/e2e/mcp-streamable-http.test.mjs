// Streamable HTTP on POST /mcp at the HTTP level (raw fetch, so we can send what an SDK would
// refuse to): version negotiation, statelessness, notifications, the JSON-RPC error codes
// (-32700 bad JSON, -32600 malformed messages and batches after 2025-03-26, -32601 unknown method, -32602 bad
// params and unknown tools), tool failures as isError results, and the transport's refusals:
// 413 oversized body, 400 unsupported MCP-Protocol-Version, 403 foreign Origin, 406 Accept,
// 415 Content-Type, 405 GET/DELETE.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, BOB } from './helpers.mjs';
import { ORIGIN, PERMISSION } from './oauth-helpers.mjs';
import {
  PROTOCOL_VERSIONS, LATEST_PROTOCOL_VERSION, ALL_TOOLS, GATED_TOOL, PLAYGROUND_ORIGIN, MAX_BODY_BYTES, JSONRPC,
  accessToken, mcpPost, request, notification, initialize, callTool, expectRpcError, expectResult, expectToolError,
  expectToolOk, expectPreviewImage,
} from './mcp-helpers.mjs';

let alice;
let bob;
before(async () => {
  alice = (await accessToken(ALICE, '/mcp')).token;
  bob = (await accessToken(BOB, '/mcp')).token;
});

const short = (s) => String(s ?? '').slice(0, 300);

/** A 200 JSON answer to a request; returns the JSON-RPC message. */
function expectJson(r, what) {
  assert.equal(r.status, 200, `${what}: status ${r.status}: ${short(r.text)}`);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/, `${what}: application/json`);
  assert.ok(r.json, `${what}: a JSON body`);
  return r.json;
}

/** A transport-level refusal: the status and a body that is not a result. */
function expectRefused(r, status, what) {
  assert.equal(r.status, status, `${what}: status ${r.status}, expected ${status}: ${short(r.text)}`);
  assert.equal(r.json?.result, undefined, `${what}: no result`);
}

/** A JSON body of exactly `size` bytes: a ping whose `_meta` carries padding. */
function pingOfSize(size, id = 7) {
  const base = JSON.stringify(request('ping', { _meta: { pad: '' } }, id));
  const body = base.replace('"pad":""', `"pad":"${'x'.repeat(size - base.length)}"`);
  assert.equal(Buffer.byteLength(body), size);
  return body;
}

test('initialize negotiates each supported version, answers with server info and capabilities and a correlation Mcp-Session-Id', async () => {
  for (const version of PROTOCOL_VERSIONS) {
    const msg = initialize(version);
    const r = await mcpPost(alice, msg);
    const result = expectResult(expectJson(r, `initialize ${version}`), msg.id, `initialize ${version}`);
    assert.equal(result.protocolVersion, version, `the client's supported version ${version} is kept`);
    assert.ok(result.serverInfo?.name && result.serverInfo?.version, `serverInfo: ${JSON.stringify(result.serverInfo)}`);
    // No stream outlives a POST here, so no tools/list_changed is promised (a legacy SSE session's is).
    assert.deepEqual(result.capabilities?.tools, { listChanged: false }, 'capabilities.tools.listChanged');
    assert.match(r.headers.get('mcp-session-id') ?? '', /^[\x21-\x7e]{32}$/, 'a visible-ASCII Mcp-Session-Id');
  }
  const future = initialize('2099-01-01');
  const r = await mcpPost(alice, future);
  assert.equal(expectResult(expectJson(r, 'initialize 2099-01-01'), future.id).protocolVersion, LATEST_PROTOCOL_VERSION,
    'an unknown version gets the newest one the server speaks');

  const noParams = request('initialize');
  const refused = await mcpPost(alice, noParams);
  expectRpcError(expectJson(refused, 'initialize without params'), JSONRPC.invalidParams, { id: noParams.id });
  assert.equal(refused.headers.get('mcp-session-id'), null, 'a refused initialize starts nothing: no Mcp-Session-Id');
});

test('notifications and client responses → 202 with an empty body', async () => {
  for (const [what, msg] of [
    ['notifications/initialized', notification('notifications/initialized')],
    ['notifications/cancelled', notification('notifications/cancelled', { requestId: 3, reason: 'test' })],
    ['a response to a server request', { jsonrpc: '2.0', id: 'srv-1', result: {} }],
    ['an error response', { jsonrpc: '2.0', id: 'srv-2', error: { code: -32601, message: 'nope' } }],
  ]) {
    const r = await mcpPost(alice, msg);
    assert.equal(r.status, 202, `${what}: status ${r.status}: ${short(r.text)}`);
    assert.equal(r.text, '', `${what}: empty body`);
  }
});

test('stateless: ping, tools/list and tools/call work without initialize, string ids come back', async () => {
  const ping = request('ping', undefined, 'p-1');
  assert.deepEqual(expectResult(expectJson(await mcpPost(alice, ping), 'ping'), 'p-1'), {}, 'ping → {}');

  const list = request('tools/list');
  const tools = expectResult(expectJson(await mcpPost(alice, list, { headers: { 'mcp-protocol-version': LATEST_PROTOCOL_VERSION } }), 'tools/list'), list.id).tools;
  assert.deepEqual(tools.map((t) => t.name).sort(), ALL_TOOLS, 'Alice: all four tools');

  const bobList = request('tools/list');
  const bobTools = expectResult(expectJson(await mcpPost(bob, bobList), 'tools/list as Bob'), bobList.id).tools;
  assert.ok(!bobTools.some((t) => t.name === GATED_TOOL), 'Bob: no generateImage');

  const add = callTool('add', { a: 20, b: 22 });
  assert.match(expectToolOk(expectResult(expectJson(await mcpPost(alice, add), 'add'), add.id), 'add'), /\b42\b/);

  const img = callTool(GATED_TOOL, { prompt: 'stateless' });
  expectPreviewImage(expectResult(expectJson(await mcpPost(alice, img), 'generateImage'), img.id));
  const refused = callTool(GATED_TOOL, { prompt: 'stateless' });
  expectToolError(expectResult(expectJson(await mcpPost(bob, refused), 'generateImage as Bob'), refused.id), new RegExp(PERMISSION), 'generateImage as Bob');
});

test('bad JSON → 400 with -32700 (id null)', async () => {
  for (const body of ['{"jsonrpc":"2.0","id":1,"method":"ping"', 'not json', '', '{"a":1}}']) {
    const r = await mcpPost(alice, undefined, { body });
    expectRefused(r, 400, `body ${JSON.stringify(body)}`);
    expectRpcError(r.json, JSONRPC.parseError, { what: `body ${JSON.stringify(body)}` });
    assert.equal(r.json.id, null, 'id null: the request could not be read');
  }
});

test('a batch (JSON array) under 2025-06-18, and malformed messages → 400 with -32600', async () => {
  // Batches are served under 2025-03-26 only (tests/e2e/mcp-batch.test.mjs); 2025-06-18 removed them.
  const cases = [
    ['a batch of two requests', [request('ping'), request('tools/list')]],
    ['a batch of one', [request('ping')]],
    ['an empty batch', []],
    ['a string', 'ping'],
    ['a number', 42],
    ['null', null],
    ['no jsonrpc member', { id: 1, method: 'ping' }],
    ['jsonrpc 1.0', { jsonrpc: '1.0', id: 1, method: 'ping' }],
    ['no method, no result', { jsonrpc: '2.0', id: 1 }],
    ['method not a string', { jsonrpc: '2.0', id: 1, method: 5 }],
    ['id an object', { jsonrpc: '2.0', id: { x: 1 }, method: 'ping' }],
  ];
  for (const [what, msg] of cases) {
    const r = await mcpPost(alice, undefined, { body: JSON.stringify(msg), headers: { 'mcp-protocol-version': '2025-06-18' } });
    expectRefused(r, 400, what);
    expectRpcError(r.json, JSONRPC.invalidRequest, { what });
  }
});

test('unknown method → -32601 with the request id; a bare server/discover → 400 saying what 2026-07-28 needs', async () => {
  const unknown = request('tools/frobnicate', {});
  const err = expectRpcError(expectJson(await mcpPost(alice, unknown), 'unknown method'), JSONRPC.methodNotFound, { id: unknown.id });
  assert.match(err.message, /tools\/frobnicate|not found/i, `the message names the method: ${err.message}`);

  for (const m of ['sampling/createMessage', 'tasks/list']) {
    const msg = request(m);
    expectRpcError(expectJson(await mcpPost(alice, msg), m), JSONRPC.methodNotFound, { id: msg.id, what: m });
  }

  // server/discover is 2026-07-28's (answered in mcp-stateless.test.mjs); sent without that
  // revision's header and _meta it gets a clear 400, not a hang.
  const discover = request('server/discover', {});
  const started = Date.now();
  const r = await mcpPost(alice, discover);
  assert.equal(r.status, 400);
  const d = expectRpcError(r.json, -32020, { id: discover.id });
  assert.match(d.message, /MCP-Protocol-Version/, `server/discover: the message names the header: ${d.message}`);
  assert.ok(Date.now() - started < 10000, 'answered promptly');
});

test('tools/call with missing or bad params → -32602; unknown tool → -32602; bad arguments → isError result', async () => {
  const cases = [
    ['tools/call without params', request('tools/call')],
    ['tools/call without name', request('tools/call', { arguments: { a: 1, b: 2 } })],
    ['tools/call with a numeric name', request('tools/call', { name: 5, arguments: {} })],
    ['tools/call with params an array', request('tools/call', ['add'])],
    ['an unknown tool', callTool('noSuchTool', {})],
  ];
  for (const [what, msg] of cases) {
    expectRpcError(expectJson(await mcpPost(alice, msg), what), JSONRPC.invalidParams, { id: msg.id, what });
  }
  for (const [what, msg, pattern] of [
    ['add with a missing b', callTool('add', { a: 1 }), /"b"/],
    ['add with a string', callTool('add', { a: 'one', b: 2 }), /"a"/],
    ['add with an extra argument', callTool('add', { a: 1, b: 2, c: 3 }), /"c"/],
    ['add with arguments an array', callTool('add', [1, 2]), /object/],
    ['generateImage steps 3', callTool(GATED_TOOL, { prompt: 'x', steps: 3 }), /"steps"/],
    ['generateImage empty prompt', callTool(GATED_TOOL, { prompt: '' }), /"prompt"/],
  ]) {
    expectToolError(expectResult(expectJson(await mcpPost(alice, msg), what), msg.id, what), pattern, what);
  }
});

test('body size: exactly 1 MiB is read; one byte more → 413 (with Content-Length and when streamed)', async () => {
  const atLimit = await mcpPost(alice, undefined, { body: pingOfSize(MAX_BODY_BYTES, 7) });
  expectResult(expectJson(atLimit, 'a 1 MiB ping'), 7, 'a 1 MiB ping');

  const over = await mcpPost(alice, undefined, { body: pingOfSize(MAX_BODY_BYTES + 1, 8) });
  expectRefused(over, 413, 'a ping of 1 MiB + 1 byte');

  const big = await mcpPost(alice, undefined, { body: pingOfSize(3 * MAX_BODY_BYTES, 9) });
  expectRefused(big, 413, 'a 3 MiB ping');

  // No Content-Length (chunked): the limit holds while reading.
  const chunk = Buffer.from(pingOfSize(MAX_BODY_BYTES + 4096, 10));
  const stream = new ReadableStream({
    start(c) {
      for (let i = 0; i < chunk.length; i += 65536) c.enqueue(chunk.subarray(i, i + 65536));
      c.close();
    },
  });
  const res = await fetch(`${ORIGIN}/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${alice}`, accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
    body: stream,
    duplex: 'half',
    signal: AbortSignal.timeout(30000),
  });
  await res.arrayBuffer();
  assert.equal(res.status, 413, `a streamed body over 1 MiB → ${res.status}`);
});

test('MCP-Protocol-Version: each supported version accepted, anything else → 400', async () => {
  // (2026-07-28 is spoken too, but only with its _meta: see mcp-stateless.test.mjs.)
  for (const v of PROTOCOL_VERSIONS) {
    const msg = request('ping');
    expectResult(expectJson(await mcpPost(alice, msg, { headers: { 'mcp-protocol-version': v } }), `version ${v}`), msg.id);
  }
  for (const v of ['2024-10-07', '2099-01-01', '2026-07-28', 'latest', '']) {
    const r = await mcpPost(alice, request('tools/list'), { headers: { 'mcp-protocol-version': v } });
    expectRefused(r, 400, `MCP-Protocol-Version "${v}"`);
  }
  // Also on initialize itself and on notifications.
  expectRefused(await mcpPost(alice, initialize(), { headers: { 'mcp-protocol-version': '1999-01-01' } }), 400, 'initialize with a bad header');
  expectRefused(await mcpPost(alice, notification('notifications/initialized'), { headers: { 'mcp-protocol-version': '1999-01-01' } }), 400,
    'a notification with a bad header');
});

test('Origin: foreign → 403; the Worker\'s own origin and the playground (default allowlist) are accepted', async () => {
  for (const origin of ['https://evil.example', 'http://127.0.0.1:9999', 'http://localhost:8788', 'null', 'https://playground.ai.cloudflare.com.evil.example']) {
    const r = await mcpPost(alice, request('ping'), { headers: { origin } });
    expectRefused(r, 403, `Origin ${origin}`);
    expectRpcError(r.json, JSONRPC.invalidRequest, { what: `Origin ${origin}` });
    assert.equal(r.headers.get('access-control-allow-origin'), null, `no CORS for a refused Origin ${origin}`);
  }
  // The Origin check comes first: no token needed to be refused (DNS-rebinding protection).
  const anonymous = await fetch(`${ORIGIN}/mcp`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify(request('ping')) });
  assert.equal(anonymous.status, 403, 'foreign Origin without a token → 403 before the bearer check');
  const own = request('ping');
  expectResult(expectJson(await mcpPost(alice, own, { headers: { origin: ORIGIN } }), 'own origin'), own.id);
  const play = request('ping');
  const r = await mcpPost(alice, play, { headers: { origin: PLAYGROUND_ORIGIN } });
  expectResult(expectJson(r, 'playground origin'), play.id);
  assert.equal(r.headers.get('access-control-allow-origin'), PLAYGROUND_ORIGIN, 'CORS: the playground origin is echoed');
});

test('Accept must list application/json and text/event-stream → else 406', async () => {
  for (const accept of ['application/json', 'text/event-stream', 'text/html', 'application/xml, text/plain']) {
    expectRefused(await mcpPost(alice, request('ping'), { headers: { accept } }), 406, `Accept: ${accept}`);
  }
  const ok = request('ping');
  expectResult(expectJson(await mcpPost(alice, ok, { headers: { accept: 'text/event-stream, application/json;q=0.9' } }), 'both, reordered'), ok.id);
});

test('Content-Type must be application/json → else 415', async () => {
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp']) {
    expectRefused(await mcpPost(alice, request('ping'), { headers: { 'content-type': type } }), 415, `Content-Type: ${type}`);
  }
  // No Content-Type header at all (fetch would add text/plain to a string body, so send bytes).
  const res = await fetch(`${ORIGIN}/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${alice}`, accept: 'application/json, text/event-stream' },
    body: new TextEncoder().encode(JSON.stringify(request('ping'))),
    signal: AbortSignal.timeout(30000),
  });
  await res.text();
  assert.equal(res.status, 415, `no Content-Type → ${res.status}`);
  const ok = request('ping');
  expectResult(expectJson(await mcpPost(alice, ok, { headers: { 'content-type': 'application/json; charset=utf-8' } }), 'with charset'), ok.id);
});

test('GET and DELETE /mcp → 405 with Allow: POST (no server stream, no sessions)', async () => {
  for (const method of ['GET', 'DELETE', 'PUT']) {
    const r = await mcpPost(alice, undefined, {
      method,
      headers: method === 'GET' ? { accept: 'text/event-stream', 'content-type': null } : { 'mcp-session-id': 'whatever' },
    });
    expectRefused(r, 405, `${method} /mcp`);
    assert.equal(r.headers.get('allow'), 'POST', `${method} /mcp: Allow: POST`);
  }
});

test('responses carry Server-Timing with the KV read count; the bearer check reads KV at most once per grant and minute', async () => {
  const first = await mcpPost(alice, request('ping'));
  assert.equal(first.status, 200);
  assert.ok(Number.isInteger(first.kvReads), `Server-Timing: kv;desc="reads=N" (got ${first.headers.get('server-timing')})`);
  const reads = [];
  for (let i = 0; i < 5; i++) reads.push((await mcpPost(alice, callTool('add', { a: i, b: 1 }))).kvReads);
  assert.ok(reads.every(Number.isInteger), `every response says how many KV reads it made: ${reads}`);
  assert.ok(reads.reduce((a, b) => a + b, 0) <= 1, `warm requests read KV (almost) never: ${reads}`);
  const refused = await mcpPost(alice, request('ping'), { headers: { origin: 'https://evil.example' } });
  assert.ok(Number.isInteger(refused.kvReads), 'refusals carry it too');
});

test('JSON-RPC replies carry Content-Type alone, the transport\'s refusals the JSON answers\' full set, request after request', async () => {
  // The fixed names and values cross into JS once per isolate and are reused after that
  // (src/platform/js.rs): the later answers must carry exactly what the first did. A POST's
  // JSON-RPC reply is not stored by caches nor rendered by a browser: no Cache-Control, Pragma
  // or nosniff there (src/responses.rs, mcp_reply); every other JSON answer carries them.
  const full = {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'x-content-type-options': 'nosniff',
  };
  const reply = { 'content-type': 'application/json', 'cache-control': null, pragma: null, 'x-content-type-options': null };
  const seen = (r) => Object.fromEntries(Object.keys(full).map((name) => [name, r.headers.get(name)]));
  for (let i = 0; i < 4; i++) {
    const r = await mcpPost(alice, callTool('add', { a: i, b: 2 }));
    const { result } = expectJson(r, `answer ${i + 1}`);
    expectToolOk(result, 'add');
    assert.equal(result.structuredContent.sum, i + 2);
    assert.deepEqual(seen(r), reply, `answer ${i + 1}`);
    assert.equal(r.headers.get('server-timing'), `kv;desc="reads=${r.kvReads}"`, `answer ${i + 1}: one Server-Timing entry`);
  }
  // A JSON-RPC error is a reply too (here 2026-07-28's -32022 for a version it does not speak)…
  const unsupported = await mcpPost(alice, request('ping'), { headers: { 'mcp-protocol-version': '1999-01-01' } });
  expectRefused(unsupported, 400, 'an unsupported version');
  assert.deepEqual(seen(unsupported), reply, 'a JSON-RPC error reply');
  // …while the transport's refusals are JSON answers like the others.
  const refused = await mcpPost(alice, request('ping'), { headers: { 'content-type': 'text/plain' } });
  expectRefused(refused, 415, 'a body that is not JSON');
  assert.deepEqual(seen(refused), full, 'the refusal');
  assert.match(refused.headers.get('server-timing') ?? '', /^kv;desc="reads=\d+"$/);
});

test('a call with a progress token streams its progress before its result on the POST itself', async () => {
  const msg = request('tools/call', { name: GATED_TOOL, arguments: { prompt: 'a lighthouse' }, _meta: { progressToken: 'p-42' } });
  const r = await mcpPost(alice, msg);
  assert.equal(r.status, 200, short(r.text));
  assert.match(r.headers.get('content-type') ?? '', /^text\/event-stream/, 'an event stream');
  const events = r.text.split('\n\n').filter((e) => e.trim()).map((e) => JSON.parse(e.split('\n').find((l) => l.startsWith('data: ')).slice(6)));
  assert.deepEqual(events.map((e) => e.method ?? 'response'), ['notifications/progress', 'notifications/progress', 'response']);
  assert.deepEqual(events.filter((e) => e.method === 'notifications/progress').map((e) => [e.params.progressToken, e.params.progress]), [['p-42', 0], ['p-42', 1]]);
  assert.equal(events[2].id, msg.id);
  assert.equal(events[2].result.content[0].type, 'image');
  // A call that reports nothing is answered with the JSON response alone.
  const plain = await mcpPost(alice, request('tools/call', { name: 'add', arguments: { a: 1, b: 2 }, _meta: { progressToken: 1 } }));
  assert.match(plain.headers.get('content-type') ?? '', /application\/json/);
  assert.deepEqual(expectJson(plain, 'add').result.structuredContent, { sum: 3 });
});

test('resources, prompts, completion and logging/setLevel answer over /mcp; the conformance fixtures are off', async () => {
  const ask = async (method, params) => expectJson(await mcpPost(alice, request(method, params)), method);
  assert.deepEqual((await ask('logging/setLevel', { level: 'debug' })).result, {});
  const me = await ask('resources/read', { uri: 'account://me' });
  assert.equal(JSON.parse(me.result.contents[0].text).email, 'alice@example.com');
  assert.deepEqual((await ask('resources/list', {})).result.resources.map((x) => x.uri), ['account://me']);
  const prompt = await ask('prompts/get', { name: 'generate-image', arguments: { subject: 'a fox' } });
  assert.match(prompt.result.messages[0].content.text, /a fox/);
  const done = await ask('completion/complete', { ref: { type: 'ref/prompt', name: 'generate-image' }, argument: { name: 'style', value: 'pix' } });
  assert.deepEqual(done.result.completion.values, ['pixel art']);
  const missing = await ask('resources/read', { uri: 'test://static-text' });
  assert.equal(missing.error?.code, JSONRPC.invalidParams);
  assert.ok(!(await ask('tools/list', {})).result.tools.some((t) => t.name.startsWith('test_')));
});
