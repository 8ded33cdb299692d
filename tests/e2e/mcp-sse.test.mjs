// Legacy HTTP+SSE (protocol 2024-11-05) on GET /sse + POST /sse/message at the HTTP level: the
// endpoint event, responses as `message` events, session ownership (Bob's token on Alice's
// session → 404 and nothing reaches Alice's stream), unknown/ended sessions, a second stream for
// a live session (409), POST /sse → 405 (so Streamable-HTTP-first clients fall back), Origin,
// bad messages, a slow tool that holds no POST (and the cap on messages in flight), the 25-second
// comment keepalive, and the end of a session left idle.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ALICE, ALICE_ID, BOB, control } from './helpers.mjs';
import { ORIGIN, url } from './oauth-helpers.mjs';
import {
  ALL_TOOLS, GATED_TOOL, PLAYGROUND_ORIGIN, MAX_BODY_BYTES, JSONRPC, KEEPALIVE_MS, SseStream,
  accessToken, connectSdk, openSse, openSession, request, notification, initialize, callTool, expectResult, expectRpcError,
  expectToolOk, expectPreviewImage, mcpPost, sleep,
} from './mcp-helpers.mjs';
import { SSE_IDLE_SECONDS } from './stack.mjs';

let alice;      // Alice's token for O/sse
let bob;        // Bob's token for O/sse
let aliceMcp;   // Alice's token for O/mcp (another resource)
const sessions = [];

before(async () => {
  [alice, bob, aliceMcp] = await Promise.all([
    accessToken(ALICE, '/sse').then((t) => t.token),
    accessToken(BOB, '/sse').then((t) => t.token),
    accessToken(ALICE, '/mcp').then((t) => t.token),
  ]);
});
after(async () => { await Promise.all(sessions.map((s) => s.close().catch(() => {}))); });

async function session(token = alice) {
  const s = await openSession(token);
  sessions.push(s);
  return s;
}

const short = (s) => String(s ?? '').slice(0, 300);
const unknownId = () => randomBytes(24).toString('base64url'); // same shape as the Worker's ids

test('GET /sse: an event stream whose first event is the endpoint; requests are answered on the stream', async () => {
  const s = await session();
  const { stream } = s;
  assert.equal(stream.status, 200);
  assert.match(stream.headers.get('content-type'), /^text\/event-stream/);
  assert.match(stream.headers.get('cache-control') ?? '', /no-cache/, 'Cache-Control: no-cache');
  assert.equal(stream.events[0].event, 'endpoint', 'the first event is "endpoint"');
  assert.ok(s.endpoint.startsWith('/sse/message?sessionId='), 'a same-origin relative URL');
  assert.ok(s.sessionId.length >= 16, `a long session id (${s.sessionId})`);
  assert.equal(new URL(s.messageUrl).origin, ORIGIN);

  const init = initialize('2024-11-05');
  const initResult = expectResult(await s.call(init), init.id, 'initialize over SSE');
  assert.equal(initResult.protocolVersion, '2024-11-05');
  assert.deepEqual(initResult.capabilities?.tools, { listChanged: true });

  const ack = await s.post(notification('notifications/initialized'));
  assert.equal(ack.status, 202, `notifications/initialized → ${ack.status}`);

  const list = request('tools/list');
  const tools = expectResult(await s.call(list), list.id).tools;
  assert.deepEqual(tools.map((t) => t.name).sort(), ALL_TOOLS);

  const add = callTool('add', { a: 1.5, b: 2 });
  assert.match(expectToolOk(expectResult(await s.call(add), add.id), 'add'), /\b3\.5\b/);

  const img = callTool(GATED_TOOL, { prompt: 'sse' });
  expectPreviewImage(expectResult(await s.call(img), img.id));

  const unknown = request('nope/nope');
  expectRpcError(await s.call(unknown), JSONRPC.methodNotFound, { id: unknown.id });
  const bad = callTool('noSuchTool', {});
  expectRpcError(await s.call(bad), JSONRPC.invalidParams, { id: bad.id });

  // Only responses and the endpoint went out: no notification answered, nothing twice.
  const ids = s.stream.answeredIds();
  assert.deepEqual(ids, [init.id, list.id, add.id, img.id, unknown.id, bad.id], `one response per request: ${s.stream.describe()}`);
});

test("Bob's token on Alice's session → 404, and Alice's stream receives nothing for it", async () => {
  const s = await session(alice);
  const before = s.stream.events.length;

  const intruder = callTool('whoami', {});
  const r = await s.post(intruder, { token: bob });
  assert.equal(r.status, 404, `Bob posting to Alice's session → ${r.status}: ${short(r.text)}`);
  assert.doesNotMatch(r.text, /alice/i, 'the refusal says nothing about the session');
  const initByBob = initialize();
  assert.equal((await s.post(initByBob, { token: bob })).status, 404, 'also for initialize');

  // Alice's token from another MCP client of hers: 404 too (only the client that opened it).
  const otherClient = (await accessToken(ALICE, '/sse')).token;
  const fromOtherClient = callTool('whoami', {});
  assert.equal((await s.post(fromOtherClient, { token: otherClient })).status, 404, "Alice's other client → 404");

  // Without a token, or with Alice's token for another resource: 401.
  assert.equal((await s.post(request('ping'), { token: null })).status, 401, 'no token → 401');
  const wrongResource = await s.post(request('ping'), { token: aliceMcp });
  assert.equal(wrongResource.status, 401, `Alice's O/mcp token on /sse/message → ${wrongResource.status}`);

  // Alice's own ping is the next thing on her stream: nothing arrived for Bob's messages.
  const ping = request('ping');
  expectResult(await s.call(ping), ping.id);
  const after = s.stream.events.slice(before);
  assert.deepEqual(after.map((e) => e.json?.id), [ping.id], `only Alice's response arrived: ${s.stream.describe()}`);
  assert.ok(!s.stream.events.some((e) => [intruder.id, initByBob.id, fromOtherClient.id].includes(e.json?.id)), 'no answer to Bob or the other client anywhere');

  // Bob's own session works for Bob.
  const b = await session(bob);
  const who = callTool('whoami', {});
  assert.equal(expectResult(await b.call(who), who.id).structuredContent.email, BOB);
});

test('the message endpoint: missing sessionId → 400, unknown or malformed → 404; bad bodies → 400 / 413', async () => {
  const s = await session();
  const missing = await s.post(request('ping'), { query: '' });
  assert.equal(missing.status, 400, `no sessionId → ${missing.status}: ${short(missing.text)}`);
  const empty = await s.post(request('ping'), { query: '?sessionId=' });
  assert.ok([400, 404].includes(empty.status), `empty sessionId → ${empty.status}`);
  for (const id of [unknownId(), 'x', '../../sse', `${s.sessionId}x`, [...s.sessionId].reverse().join('')]) {
    const r = await s.post(request('ping'), { query: `?sessionId=${encodeURIComponent(id)}` });
    assert.equal(r.status, 404, `sessionId=${id} → ${r.status}: ${short(r.text)}`);
  }

  const parse = await s.post(undefined, { body: '{"jsonrpc":"2.0",' });
  assert.equal(parse.status, 400, `bad JSON → ${parse.status}`);
  expectRpcError(parse.json, JSONRPC.parseError, { what: 'bad JSON on /sse/message' });
  const batch = await s.post([]);
  assert.equal(batch.status, 400, `an empty batch → ${batch.status}`);
  expectRpcError(batch.json, JSONRPC.invalidRequest, { what: 'an empty batch on /sse/message' });
  // Nothing in a batch accepted: refused as on /mcp, 400 with the refusals as the body.
  const junk = await s.post([1, 'two']);
  assert.equal(junk.status, 400, `a batch of malformed messages → ${junk.status}: ${short(junk.text)}`);
  assert.deepEqual(junk.json.map((e) => [e.id, e.error.code]), [[null, JSONRPC.invalidRequest], [null, JSONRPC.invalidRequest]]);
  // A body that is not UTF-8 is a parse error, not read with replacement characters.
  const valid = Buffer.from('{"jsonrpc":"2.0","id":"bytes","method":"ping","params":{"_meta":{"x":"?"}}}');
  const notUtf8 = await s.post(undefined, { body: Buffer.from(valid.map((byte) => (byte === 0x3f ? 0xff : byte))) });
  assert.equal(notUtf8.status, 400, `not UTF-8 → ${notUtf8.status}`);
  expectRpcError(notUtf8.json, JSONRPC.parseError, { what: 'a body that is not UTF-8 on /sse/message' });
  const big = await s.post(undefined, { body: JSON.stringify(request('ping', { _meta: { pad: 'x'.repeat(MAX_BODY_BYTES) } })) });
  assert.equal(big.status, 413, `over 1 MiB → ${big.status}`);

  // None of that put anything on the stream, and the session still works.
  const ping = request('ping');
  expectResult(await s.call(ping), ping.id);
  assert.deepEqual(s.stream.answeredIds(), [ping.id]);
});

test('a second stream for a live session → 409; for an unknown session → 404', async () => {
  const s = await session();
  const second = await openSse(alice, { query: `?sessionId=${s.sessionId}` });
  assert.ok(!(second instanceof SseStream), 'no second stream');
  assert.equal(second.status, 409, `GET /sse?sessionId=<live> → ${second.status}: ${short(second.text)}`);
  const unknown = await openSse(alice, { query: `?sessionId=${unknownId()}` });
  assert.ok(!(unknown instanceof SseStream));
  assert.equal(unknown.status, 404, `GET /sse?sessionId=<unknown> → ${unknown.status}`);
  // The live session was not disturbed.
  const ping = request('ping');
  expectResult(await s.call(ping), ping.id);
});

test('when the client goes away the session ends: its messages → 404, its id cannot be reopened', async () => {
  const s = await session();
  const ping = request('ping');
  expectResult(await s.call(ping), ping.id);
  await s.close();
  // The object notices at once (the stream is cancelled) or at the next keepalive (25 s).
  const deadline = Date.now() + KEEPALIVE_MS + 15000;
  let last;
  while (Date.now() < deadline) {
    last = await s.post(request('ping'));
    if (last.status === 404) break;
    assert.equal(last.status, 202, `while the session winds down: 202 or 404, got ${last.status}`);
    await sleep(1000);
  }
  assert.equal(last.status, 404, `a message to an ended session → ${last.status}`);
  const reopen = await openSse(alice, { query: `?sessionId=${s.sessionId}` });
  assert.ok(!(reopen instanceof SseStream), 'an ended session is not reopened');
  assert.equal(reopen.status, 404, `GET /sse?sessionId=<ended> → ${reopen.status}`);
});

test('POST /sse with a valid token → 405 (so Streamable-HTTP-first clients fall back to GET /sse)', async () => {
  for (const message of [initialize(), request('ping')]) {
    const r = await mcpPost(alice, message, { path: '/sse' });
    assert.equal(r.status, 405, `POST /sse (${message.method}) → ${r.status}: ${short(r.text)}`);
    assert.equal(r.headers.get('allow'), 'GET', 'Allow: GET');
  }
  const del = await mcpPost(alice, undefined, { path: '/sse', method: 'DELETE' });
  assert.equal(del.status, 405, `DELETE /sse → ${del.status}`);
  // And unauthenticated it is the 401 that starts OAuth.
  assert.equal((await mcpPost(null, initialize(), { path: '/sse' })).status, 401, 'POST /sse without a token → 401');
});

test('Origin on /sse and /sse/message: foreign → 403, the playground → allowed with CORS', async () => {
  const foreign = await openSse(alice, { headers: { origin: 'https://evil.example' } });
  assert.ok(!(foreign instanceof SseStream), 'no stream for a foreign origin');
  assert.equal(foreign.status, 403, `GET /sse from a foreign origin → ${foreign.status}`);

  const play = await openSse(alice, { headers: { origin: PLAYGROUND_ORIGIN } });
  assert.ok(play instanceof SseStream, `GET /sse from the playground → ${play.status}: ${short(play.text)}`);
  sessions.push({ close: () => play.close() });
  assert.equal(play.headers.get('access-control-allow-origin'), PLAYGROUND_ORIGIN, 'the stream carries CORS for the playground');
  const endpoint = await play.nextEvent('endpoint');
  const messageUrl = url(endpoint.data);
  const post = (origin) => fetch(messageUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json', origin },
    body: JSON.stringify(request('ping')),
    signal: AbortSignal.timeout(30000),
  });
  const evil = await post('https://evil.example');
  await evil.text();
  assert.equal(evil.status, 403, `POST /sse/message from a foreign origin → ${evil.status}`);
  const ok = await post(PLAYGROUND_ORIGIN);
  await ok.text();
  assert.equal(ok.status, 202, `POST /sse/message from the playground → ${ok.status}`);
  assert.equal(ok.headers.get('access-control-allow-origin'), PLAYGROUND_ORIGIN);
});

test('at most 16 messages run at once in a session: the 17th → 429, and it never runs; the 16 all answer', async () => {
  const s = await session();
  const profile = () => callTool('getUserProfile', {});
  const asked = async () => (await control.requests()).filter((r) => r.path === `/user_management/users/${ALICE_ID}`).length;
  // WorkOS answers the profile after 4 s (within the Worker's 5 s timeout).
  await control.clearRequests();
  await control.setFault({ mode: 'slow', delayMs: 4000, paths: ['/user_management/users'] });
  try {
    const slow = profile();
    assert.equal((await s.post(slow)).status, 202, 'the slow call is accepted');
    // Fourteen more: 15 run. A batch of two would make 17: refused whole (each message counts).
    const more = Array.from({ length: 14 }, profile);
    for (const r of await Promise.all(more.map((m) => s.post(m)))) assert.equal(r.status, 202, 'accepted while fewer than 16 run');
    const pair = [request('ping'), request('ping')];
    const batch = await s.post(undefined, { body: JSON.stringify(pair), headers: { 'mcp-protocol-version': '2025-03-26' } });
    assert.equal(batch.status, 429, `a batch of two with 15 running → ${batch.status}: ${short(batch.text)}`);
    // The sixteenth fits; the seventeenth is refused, and runs nothing.
    more.push(profile());
    assert.equal((await s.post(more.at(-1))).status, 202, 'the sixteenth is accepted');
    const over = profile();
    const refused = await s.post(over);
    assert.equal(refused.status, 429, `the 17th in flight → ${refused.status}: ${short(refused.text)}`);
    assert.equal(refused.headers.get('retry-after'), '1', 'Retry-After: 1');
    expectRpcError(refused.json, JSONRPC.invalidRequest);
    // Every message counts, a notification too.
    assert.equal((await s.post(notification('notifications/initialized'))).status, 429, 'a full session takes nothing more');
    for (const m of [slow, ...more]) {
      const { json } = await s.stream.response(m.id, { timeoutMs: 15000 });
      assert.match(expectToolOk(json.result, 'the slow profile'), /alice@example\.com/);
    }
    assert.equal(await asked(), 16, 'WorkOS was asked for the 16 accepted calls, not the refused one');
    assert.ok(!s.stream.answeredIds().some((id) => [over.id, ...pair.map((p) => p.id)].includes(id)), 'nothing answers what was refused');
    // Once they are answered, the session takes messages again.
    await control.resetFault();
    const sum = callTool('add', { a: 2, b: 3 });
    assert.match(expectToolOk((await s.call(sum)).result, 'add'), /5/);
  } finally {
    await control.resetFault();
  }
});

test('a slow tool does not hold the messages posted after it: a ping is answered first', async () => {
  const s = await session();
  await control.setFault({ mode: 'slow', delayMs: 4000, paths: ['/user_management/users'] });
  try {
    const slow = callTool('getUserProfile', {});
    assert.equal((await s.post(slow)).status, 202, 'the slow call is accepted');
    const ping = request('ping');
    expectResult(await s.call(ping), ping.id);
    assert.ok(!s.stream.answeredIds().includes(slow.id), `the ping was answered while the tool ran: ${s.stream.answeredIds()}`);
    await s.stream.response(slow.id, { timeoutMs: 15000 });
  } finally {
    await control.resetFault();
  }
});

test('notifications/cancelled stops a running request: it is never answered, and the session goes on', async () => {
  const s = await session();
  // WorkOS answers the profile after 2 s.
  await control.setFault({ mode: 'slow', delayMs: 2000, paths: ['/user_management/users'] });
  try {
    const [stopped, kept] = [callTool('getUserProfile', {}), callTool('getUserProfile', {})];
    for (const m of [stopped, kept]) assert.equal((await s.post(m)).status, 202, 'the slow calls are accepted');
    // An id that is not running, then the first call's: each accepted, as any notification.
    for (const requestId of [`not-${stopped.id}`, stopped.id]) {
      const cancel = notification('notifications/cancelled', { requestId, reason: 'the user pressed stop' });
      assert.equal((await s.post(cancel)).status, 202, 'a cancellation is accepted');
    }
    const ping = request('ping');
    expectResult(await s.call(ping), ping.id);
    const { json } = await s.stream.response(kept.id, { timeoutMs: 15000 });
    assert.match(expectToolOk(json.result, 'the call not cancelled'), /alice@example\.com/);
    await sleep(1000); // past WorkOS's answer to the first call too
    assert.ok(!s.stream.answeredIds().includes(stopped.id), `the cancelled call was not answered: ${s.stream.answeredIds()}`);
  } finally {
    await control.resetFault();
  }
});

test('an idle stream gets a comment keepalive every 25 s, and ends once nobody posted for MCP_SSE_IDLE_SECONDS',
  { timeout: (SSE_IDLE_SECONDS * 1000 + KEEPALIVE_MS) * 2 }, async () => {
    // The suite runs the Worker with MCP_SSE_IDLE_SECONDS=40: checked at the keepalives, so a
    // session nobody posted to ends at the second one (50 s); one posted to at 25 s lives on.
    const idle = await session();
    const busy = await session();
    const opened = Date.now();
    // The SDK's client over /sse, left idle too: when its stream ends it opens a new session and
    // goes on (what the docs promise a client).
    const sdk = await connectSdk('sse');
    sessions.push(sdk);
    const sdkOpened = Date.now();
    const sdkSession = () => sdk.transport._endpoint?.searchParams.get('sessionId');
    const firstSdkSession = sdkSession();
    assert.ok(firstSdkSession, 'the SDK has a session');
    const keepalive = (s) => s.stream.waitFor(() => s.stream.comments.find((c) => /keepalive/.test(c.comment)),
      { timeoutMs: KEEPALIVE_MS + 10000, what: 'a ": keepalive" comment' });
    const first = await keepalive(idle);
    const after = first.at - opened;
    assert.ok(after >= KEEPALIVE_MS - 3000, `the first keepalive came after ${after} ms (not much sooner than 25 s)`);
    assert.equal(idle.stream.events.filter((e) => e.event === 'message').length, 0, 'keepalives are comments, not messages');
    await keepalive(busy);
    // The busy session is still usable after it; its post restarts its idle time. Bob's post to
    // the idle one is refused and restarts nothing.
    const ping = request('ping');
    expectResult(await busy.call(ping), ping.id);
    assert.equal((await idle.post(request('ping'), { token: bob })).status, 404, 'Bob posting to Alice\'s session → 404');

    await idle.stream.waitFor(() => idle.stream.ended,
      { timeoutMs: SSE_IDLE_SECONDS * 1000 + KEEPALIVE_MS, what: 'the idle session\'s stream to end' });
    const lasted = Date.now() - opened;
    assert.ok(lasted >= SSE_IDLE_SECONDS * 1000 - 3000, `the idle stream ended after ${lasted} ms (not before the idle limit)`);
    // At the second keepalive (50 s), not the third (75 s, had Bob's post at 25 s counted).
    assert.ok(lasted < 2 * KEEPALIVE_MS + 12000, `the idle stream ended after ${lasted} ms (at the first keepalive past the limit)`);
    assert.ok(idle.stream.comments.some((c) => /idle/.test(c.comment)), `a closing comment says why: ${JSON.stringify(idle.stream.comments)}`);
    assert.equal((await idle.post(request('ping'))).status, 404, 'a message to the ended idle session → 404');
    const reopen = await openSse(alice, { query: `?sessionId=${idle.sessionId}` });
    assert.equal(reopen.status, 404, `GET /sse?sessionId=<ended by idleness> → ${reopen.status}`);

    // Its own second keepalive (50 s after it opened) came, and it was not the end: its post at
    // 25 s counted.
    await busy.stream.waitFor(() => busy.stream.comments.filter((c) => /keepalive/.test(c.comment)).length >= 2,
      { timeoutMs: KEEPALIVE_MS + 10000, what: 'the busy session\'s second keepalive' });
    assert.ok(!busy.stream.ended, 'the session posted to at 25 s is still open');
    const again = request('ping');
    expectResult(await busy.call(again), again.id);

    // The SDK's session ended at the same keepalive (give or take its opening a moment later);
    // its EventSource reconnects, and the next call goes to the new session.
    await sleep(Math.max(0, sdkOpened + SSE_IDLE_SECONDS * 1000 + KEEPALIVE_MS - Date.now()));
    const sum = await sdk.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    assert.match(expectToolOk(sum, 'add after the idle end'), /5/);
    assert.notEqual(sdkSession(), firstSdkSession, 'the SDK went on in a new session');
  });
