// JSON-RPC batches on POST /mcp, which MCP 2025-03-26 requires a server to receive (and 2025-06-18
// removed): served when the request says 2025-03-26 or names no revision, each message answered
// as it would be alone (its own permission check), the answers in order as one JSON array (one
// event each on an event stream); the refusals (an empty or oversized batch, initialize inside
// one, a later revision's header), a batch with nothing accepted (HTTP 400), a batch on a legacy
// SSE session (by the same header rule), and the SDK's own transport sending a batch.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ALICE, BOB } from './helpers.mjs';
import { url } from './oauth-helpers.mjs';
import {
  GATED_TOOL, JSONRPC, accessToken, mcpPost, request, notification, initialize, callTool, expectRpcError,
  expectResult, expectToolError, expectToolOk, expectPreviewImage, openSession, sleep,
} from './mcp-helpers.mjs';

const tokenFor = async (who) => (await accessToken(who, '/mcp')).token;
let [alice, bob] = [];
before(async () => { [alice, bob] = [await tokenFor(ALICE), await tokenFor(BOB)]; });

const V2025_03_26 = { 'mcp-protocol-version': '2025-03-26' };
const short = (s) => String(s ?? '').slice(0, 300);

/** A 200 answer holding a JSON array; returns it. */
function expectArray(r, what) {
  assert.equal(r.status, 200, `${what}: status ${r.status}: ${short(r.text)}`);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/, `${what}: application/json`);
  assert.ok(Array.isArray(r.json), `${what}: an array: ${short(r.text)}`);
  return r.json;
}

/** The messages of an event-stream body, in order. */
const events = (text) => text.split('\n\n').filter((e) => e.trim())
  .map((e) => JSON.parse(e.split('\n').find((l) => l.startsWith('data: ')).slice(6)));

test('a batch without MCP-Protocol-Version, or with 2025-03-26, is answered in order as one array', async () => {
  for (const headers of [{}, V2025_03_26]) {
    const what = `headers ${JSON.stringify(headers)}`;
    const add = callTool('add', { a: 2, b: 3 });
    const ping = request('ping');
    const unknown = request('tools/frobnicate', {});
    const batch = [notification('notifications/initialized'), add, ping, { jsonrpc: '2.0', id: 99, result: {} }, unknown];
    const answers = expectArray(await mcpPost(alice, batch, { headers }), what);
    assert.deepEqual(answers.map((a) => a.id), [add.id, ping.id, unknown.id], `${what}: one answer per request, in order`);
    assert.deepEqual(expectResult(answers[0], add.id, what).structuredContent, { sum: 5 });
    assert.deepEqual(expectResult(answers[1], ping.id, what), {});
    expectRpcError(answers[2], JSONRPC.methodNotFound, { id: unknown.id, what });
  }
});

test('each request in a batch is checked on its own: permissions, params, malformed elements', async () => {
  const image = callTool(GATED_TOOL, { prompt: 'a fox' });
  const me = callTool('whoami', {});
  const badArgs = callTool('add', { a: 'two' });
  const batch = [image, 7, { jsonrpc: '1.0', id: 'old', method: 'ping' }, me, badArgs];
  const asBob = expectArray(await mcpPost(bob, batch), 'bob');
  assert.deepEqual(asBob.map((a) => a.id), [image.id, null, 'old', me.id, badArgs.id]);
  expectToolError(expectResult(asBob[0], image.id, 'bob: generateImage'), /image_generation/, 'bob: generateImage');
  expectRpcError(asBob[1], JSONRPC.invalidRequest, { id: null, what: 'a number in the batch' });
  expectRpcError(asBob[2], JSONRPC.invalidRequest, { id: 'old', what: 'jsonrpc 1.0 in the batch' });
  const whoami = expectResult(asBob[3], me.id, 'bob: whoami');
  expectToolOk(whoami, 'bob: whoami');
  assert.equal(whoami.structuredContent.email, 'bob@example.com');
  expectToolError(expectResult(asBob[4], badArgs.id, 'bad arguments'), /^Invalid arguments for add/, 'bad arguments');
  const asAlice = expectArray(await mcpPost(alice, [image]), 'alice');
  expectPreviewImage(expectResult(asAlice[0], image.id, 'alice: generateImage'), 'alice: generateImage');
});

test('a batch of notifications and responses only → 202 with no body; with a malformed one, 400', async () => {
  const r = await mcpPost(alice, [notification('notifications/initialized'), { jsonrpc: '2.0', id: 5, result: {} }]);
  assert.equal(r.status, 202, short(r.text));
  assert.equal(r.text, '');
  // Nothing accepted: an HTTP error, the refusals as the body; a response's id is not echoed.
  const bad = { jsonrpc: '2.0', id: 5, result: {}, error: { code: 1, message: 'm' } };
  const refused = await mcpPost(alice, [notification('notifications/initialized'), bad]);
  assert.equal(refused.status, 400, short(refused.text));
  assert.ok(Array.isArray(refused.json), short(refused.text));
  assert.equal(refused.json.length, 1);
  expectRpcError(refused.json[0], JSONRPC.invalidRequest, { id: null, what: 'a malformed response in a batch' });
  const junk = await mcpPost(alice, [1, 'two']);
  assert.equal(junk.status, 400, short(junk.text));
  assert.deepEqual(junk.json.map((e) => [e.id, e.error.code]), [[null, JSONRPC.invalidRequest], [null, JSONRPC.invalidRequest]]);
});

test('a batch whose calls report progress streams their notifications, then one event per answer', async () => {
  const call = (token) => request('tools/call', { name: GATED_TOOL, arguments: { prompt: 'a boat' }, _meta: { progressToken: token } });
  const [first, second] = [call('b-1'), call('b-2')];
  const r = await mcpPost(alice, [first, second]);
  assert.equal(r.status, 200, short(r.text));
  assert.match(r.headers.get('content-type') ?? '', /^text\/event-stream/, 'an event stream');
  const sent = events(r.text);
  assert.deepEqual(sent.slice(0, 4).map((e) => [e.method, e.params.progressToken, e.params.progress]), [
    ['notifications/progress', 'b-1', 0], ['notifications/progress', 'b-1', 1],
    ['notifications/progress', 'b-2', 0], ['notifications/progress', 'b-2', 1],
  ]);
  // One message per event, as the SDKs read a stream: each answer its own event, in order.
  assert.deepEqual(sent.slice(4).map((e) => e.id), [first.id, second.id]);
  for (const [i, e] of sent.slice(4).entries()) expectPreviewImage(expectResult(e, [first, second][i].id), `answer ${i}`);
  // Without text/event-stream in Accept, the array alone.
  const third = call('b-3');
  const plain = await mcpPost(alice, [third], { headers: { accept: '*/*' } });
  expectPreviewImage(expectResult(expectArray(plain, 'Accept */*')[0], third.id, 'Accept */*'), 'Accept */*');
});

test('refused as a whole: an empty batch, one over 8 messages, a later revision; initialize must come alone', async () => {
  const whole = async (what, body, headers = {}) => {
    const r = await mcpPost(alice, body, { headers });
    assert.equal(r.status, 400, `${what}: status ${r.status}: ${short(r.text)}`);
    assert.ok(!Array.isArray(r.json), `${what}: one error, not an array`);
    return expectRpcError(r.json, JSONRPC.invalidRequest, { id: null, what });
  };
  await whole('an empty batch', []);
  const full = Array.from({ length: 8 }, () => request('ping'));
  assert.equal(expectArray(await mcpPost(alice, full), '8 pings').length, 8);
  assert.match((await whole('9 pings', [...full, request('ping')])).message, /at most 8/);
  for (const version of ['2025-06-18', '2025-11-25', '2024-11-05']) {
    const error = await whole(`a batch under ${version}`, [request('ping')], { 'mcp-protocol-version': version });
    assert.match(error.message, /2025-03-26/, 'the refusal says which revision has batches');
  }
  const init = initialize('2025-03-26');
  const ping = request('ping');
  const r = await mcpPost(alice, [init, ping], { headers: V2025_03_26 });
  const answers = expectArray(r, 'initialize in a batch');
  expectRpcError(answers[0], JSONRPC.invalidRequest, { id: init.id, what: 'initialize in a batch' });
  expectResult(answers[1], ping.id, 'the ping beside it');
  assert.equal(r.headers.get('mcp-session-id'), null, 'no session id: nothing was initialized');
});

test("the SDK's Streamable HTTP transport sends a batch under 2025-03-26 and receives every answer", async () => {
  const transport = new StreamableHTTPClientTransport(new URL(url('/mcp')), {
    requestInit: { headers: { authorization: `Bearer ${alice}` } },
  });
  const received = [];
  const errors = [];
  transport.onmessage = (m) => received.push(m);
  transport.onerror = (e) => errors.push(e);
  await transport.start();
  transport.setProtocolVersion('2025-03-26');
  try {
    const add = callTool('add', { a: 20, b: 22 });
    const image = request('tools/call', { name: GATED_TOOL, arguments: { prompt: 'a kite' }, _meta: { progressToken: 'sdk' } });
    await transport.send([notification('notifications/initialized'), add, image]);
    for (let i = 0; i < 100 && received.filter((m) => m.id !== undefined).length < 2; i++) await sleep(50);
    assert.deepEqual(errors, []);
    const answers = received.filter((m) => m.id !== undefined);
    assert.deepEqual(answers.map((a) => a.id), [add.id, image.id], 'each answer delivered as its own message');
    assert.deepEqual(answers[0].result.structuredContent, { sum: 42 });
    expectPreviewImage(answers[1].result, 'generateImage in the SDK batch');
    const progress = received.filter((m) => m.method === 'notifications/progress').map((m) => m.params.progress);
    assert.deepEqual(progress, [0, 1], 'the progress came through the stream first');
  } finally {
    await transport.close();
  }
});

test('a legacy SSE session takes a batch under 2025-03-26 or no header, one event per answer; not under a later one', async () => {
  const { token } = await accessToken(ALICE, '/sse');
  const s = await openSession(token);
  try {
    const init = initialize('2025-03-26');
    expectResult(await s.call(init), init.id);
    const level = request('logging/setLevel', { level: 'debug' });
    const image = request('tools/call', { name: GATED_TOOL, arguments: { prompt: 'a bird' }, _meta: { progressToken: 's' } });
    const again = initialize('2025-03-26');
    const batch = [notification('notifications/initialized'), level, 'x', image, again];
    const r = await s.post(batch);
    assert.equal(r.status, 202, short(r.text));
    await s.stream.response(again.id);
    const sent = s.stream.events.filter((e) => e.event === 'message' && e.json?.id !== init.id).map((e) => e.json);
    assert.deepEqual(sent.map((m) => m.method ?? m.id), [
      level.id, null, 'notifications/progress', 'notifications/message', 'notifications/progress', image.id, again.id,
    ], 'in order; the level set first applies to the call after it (its log message is sent)');
    expectRpcError(sent[1], JSONRPC.invalidRequest, { id: null, what: 'a string in the batch' });
    expectPreviewImage(expectResult(sent[5], image.id), 'generateImage in the batch');
    expectRpcError(sent[6], JSONRPC.invalidRequest, { id: again.id, what: 'initialize in the batch' });
    // Accepted or not by the same rule as on /mcp: no request and a malformed element → 400 with
    // the refusals, and nothing of it runs; a lone initialize is a request, answered on the stream.
    const bad = { jsonrpc: '2.0', id: 5, result: {}, error: { code: 1, message: 'm' } };
    const refused = await s.post([notification('notifications/initialized'), bad]);
    assert.equal(refused.status, 400, short(refused.text));
    assert.equal(refused.json.length, 1);
    expectRpcError(refused.json[0], JSONRPC.invalidRequest, { id: null, what: 'a malformed response in an SSE batch' });
    const lone = initialize('2025-03-26');
    assert.equal((await s.post([lone])).status, 202);
    expectRpcError((await s.stream.response(lone.id)).json, JSONRPC.invalidRequest, { id: lone.id, what: 'initialize alone in a batch' });
    // The revision the client negotiated, sent on its POSTs, decides as on /mcp.
    const ping = request('ping');
    const later = await s.post([ping], { headers: { 'mcp-protocol-version': '2025-11-25' } });
    assert.equal(later.status, 400, short(later.text));
    expectRpcError(later.json, JSONRPC.invalidRequest, { id: null, what: 'a batch under 2025-11-25' });
    assert.match(later.json.error.message, /2025-03-26/);
    const older = request('ping');
    assert.equal((await s.post([older], { headers: { 'mcp-protocol-version': '2025-03-26' } })).status, 202);
    expectResult((await s.stream.response(older.id)).json, older.id, 'a batch under 2025-03-26');
    assert.equal(s.stream.events.filter((e) => e.json?.id === ping.id).length, 0, 'the refused batch ran nothing');
  } finally {
    await s.close();
  }
});
