// Tool use in WorkOS's audit log (AUDIT_TOOL_CALLS unset = gated): a call of generateImage (the
// permission-gated tool) and a refusal for the missing permission each send one event after the
// answer, through the front, which checks each against WorkOS's OpenAPI document and the action
// schemas a dashboard would hold; a batch's calls each send their own. Ungated tools are not
// recorded; the prompt never is; a failing audit endpoint never fails the call.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, BOB, ALICE_ID, BOB_ID, ACME_ORG_ID, control, waitFor } from './helpers.mjs';
import { accessToken, mcpPost, request, initialize, openSession, expectResult, expectToolOk, expectToolError, sleep } from './mcp-helpers.mjs';

after(async () => { await control.resetFault(); });

const call = (token, name, args, headers = {}) => mcpPost(token, request('tools/call', { name, arguments: args }), { headers });
const toolEvents = async (action) => (await control.auditEvents()).filter((e) => e.event.action === action);

test('generateImage called by Alice and refused for Bob: one event each, naming the user, the tool and the client', async () => {
  const alice = await accessToken(ALICE, '/mcp');
  const bob = await accessToken(BOB, '/mcp');
  await control.clearAuditEvents();
  const prompt = `a secret prompt ${Date.now()}`;
  const ok = await call(alice.token, 'generateImage', { prompt }, { 'user-agent': 'e2e-audit-tools/1', 'cf-connecting-ip': '203.0.113.50' });
  assert.equal(ok.status, 200);
  expectToolOk(ok.json.result, 'generateImage as Alice');
  const denied = await call(bob.token, 'generateImage', { prompt: 'p' });
  expectToolError(denied.json.result, /image_generation permission/, 'generateImage as Bob');

  const events = await waitFor(async () => {
    const [c, d] = [await toolEvents('mcp.tool.called'), await toolEvents('mcp.tool.denied')];
    return c.length && d.length && { called: c, denied: d };
  }, { timeoutMs: 5000 });
  assert.ok(events, 'both events arrived within 5 s');
  await sleep(300);
  assert.equal((await toolEvents('mcp.tool.called')).length, 1, 'one event per call');
  assert.equal((await toolEvents('mcp.tool.denied')).length, 1);

  const [{ organization_id, event, headers }] = events.called;
  assert.equal(organization_id, ACME_ORG_ID);
  assert.deepEqual({ id: event.actor.id, type: event.actor.type }, { id: ALICE_ID, type: 'user' });
  assert.deepEqual({ id: event.targets[0].id, type: event.targets[0].type }, { id: 'generateImage', type: 'mcp_tool' });
  assert.equal(event.context.location, '203.0.113.50');
  assert.equal(event.context.user_agent, 'e2e-audit-tools/1');
  assert.equal(event.metadata.mcp_client_id, alice.provider.clientInformation().client_id);
  assert.equal(event.metadata.mcp_client_name, alice.provider.clientMetadata.client_name);
  assert.equal(event.metadata.outcome, 'ok');
  assert.ok(headers['idempotency-key']?.length > 0, 'sent with an Idempotency-Key');
  assert.ok(!JSON.stringify(events).includes(prompt), 'the prompt is not recorded');

  const refused = events.denied[0].event;
  assert.equal(refused.actor.id, BOB_ID);
  assert.equal(refused.metadata.missing_permission, 'image_generation');
  assert.equal(refused.metadata.mcp_client_id, bob.provider.clientInformation().client_id);
});

test('over legacy SSE too: a refusal in a session is recorded by the session\'s object', async () => {
  const { token, provider } = await accessToken(BOB, '/sse');
  const session = await openSession(token);
  try {
    const init = initialize();
    expectResult(await session.call(init), init.id);
    await control.clearAuditEvents();
    const msg = request('tools/call', { name: 'generateImage', arguments: { prompt: 'p' } });
    expectToolError(expectResult(await session.call(msg), msg.id), /image_generation permission/, 'over SSE');
    const denied = await waitFor(async () => (await toolEvents('mcp.tool.denied'))[0], { timeoutMs: 5000 });
    assert.ok(denied, 'the event arrived');
    assert.equal(denied.event.actor.id, BOB_ID);
    assert.equal(denied.event.metadata.mcp_client_id, provider.clientInformation().client_id);
  } finally {
    await session.close().catch(() => {});
  }
});

test('each call in a 2025-03-26 batch is recorded on its own', async () => {
  const { token } = await accessToken(BOB, '/mcp');
  await control.clearAuditEvents();
  const calls = [1, 2].map(() => request('tools/call', { name: 'generateImage', arguments: { prompt: 'p' } }));
  const r = await mcpPost(token, calls);
  assert.equal(r.status, 200);
  for (const [i, answer] of r.json.entries()) expectToolError(expectResult(answer, calls[i].id), /image_generation permission/, `call ${i}`);
  const denied = await waitFor(async () => { const d = await toolEvents('mcp.tool.denied'); return d.length >= 2 && d; }, { timeoutMs: 5000 });
  assert.ok(denied, 'both events arrived');
  await sleep(300);
  assert.equal((await toolEvents('mcp.tool.denied')).length, 2, 'one event per call, not one per batch');
  assert.notEqual(denied[0].headers['idempotency-key'], denied[1].headers['idempotency-key'], 'a key each');
});

test('ungated tools are not recorded by default', async () => {
  const { token } = await accessToken(ALICE, '/mcp');
  await control.clearAuditEvents();
  expectToolOk((await call(token, 'add', { a: 1, b: 2 })).json.result, 'add');
  expectToolOk((await call(token, 'whoami', {})).json.result, 'whoami');
  // Then a gated call, whose event is sent as theirs would have been (after the answer): once it
  // has arrived, theirs would have too. It is the only tool event.
  expectToolOk((await call(token, 'generateImage', { prompt: 'a gated call after two open ones' })).json.result, 'generateImage');
  const tools = async () => (await control.auditEvents()).filter((e) => e.event.action.startsWith('mcp.tool.'));
  assert.ok(await waitFor(async () => (await tools()).length > 0), 'the gated call\'s event arrived');
  assert.deepEqual((await tools()).map((e) => [e.event.action, e.event.targets?.[0]?.id]), [['mcp.tool.called', 'generateImage']]);
});

test('a failing audit endpoint never fails the tool call', async () => {
  const { token } = await accessToken(ALICE, '/mcp');
  await control.setFault({ mode: 'status', status: 500, paths: ['/audit_logs/events'] });
  try {
    const r = await call(token, 'generateImage', { prompt: 'a lighthouse' });
    assert.equal(r.status, 200);
    expectToolOk(r.json.result, 'generateImage while the audit log fails');
  } finally {
    await control.resetFault();
  }
});

// Each event is a WorkOS call on the API key everyone's sign-ins share: a person's tool events are
// counted by WORKOS_TOOL_LIMITER under `audit:<user id>` (300 a minute in wrangler.toml's
// env.local), so a flood of refused calls is not a flood of events. The calls themselves are
// still answered (refused, each with its readable error). The limiter counts in windows of a
// minute: a flood that crosses the start of one may be let through 300 twice, so it is more
// than two windows' worth (640 refusals).
test('a flood of refused calls is not a flood of audit events: they are limited per person', async () => {
  const { token } = await accessToken(BOB, '/mcp');
  await control.clearAuditEvents();
  const batch = Array.from({ length: 8 }, () => request('tools/call', { name: 'generateImage', arguments: { prompt: 'p' } }));
  for (let i = 0; i < 80; i++) {
    const r = await mcpPost(token, batch);
    assert.equal(r.status, 200);
    for (const answer of r.json) expectToolError(answer.result, /image_generation permission/, `batch ${i}`);
  }
  // The events are sent after the answers: wait until their count stops growing.
  let count = -1;
  for (let seen = 0; seen !== count;) {
    count = seen;
    await sleep(1000);
    seen = (await toolEvents('mcp.tool.denied')).length;
  }
  assert.ok(count >= 30 && count <= 600, `${count} events for 640 refusals`);
});
