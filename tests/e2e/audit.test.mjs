// A successful sign-in sends one `user.signed_in` audit event to WorkOS, shaped as the WorkOS API
// reference says (the front validates the shape and records what it accepts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, ALICE_ID, ACME_ORG_ID, signIn, control, waitFor } from './helpers.mjs';

test('signing in records one user.signed_in event for the organization', async () => {
  assert.ok(ALICE_ID && ACME_ORG_ID, 'ALICE_ID and ACME_ORG_ID are set (run through tests/e2e/run.mjs)');
  const userAgent = `e2e-audit/${Date.now()} (node)`;
  await control.clearAuditEvents();
  const started = Date.now();
  await signIn(ALICE, { headers: { 'user-agent': userAgent } });

  // The Worker sends the event in the background, after answering.
  const events = await waitFor(async () => {
    const all = await control.auditEvents();
    return all.some((e) => e.event.action === 'user.signed_in') && all;
  }, { timeoutMs: 5000, intervalMs: 100 });
  assert.ok(events, 'a user.signed_in event arrived within 5 s');
  await new Promise((r) => setTimeout(r, 300)); // and no second one right behind it
  const logins = (await control.auditEvents()).filter((e) => e.event.action === 'user.signed_in');
  assert.equal(logins.length, 1, `exactly one event: ${JSON.stringify(logins)}`);

  const [{ organization_id, event, headers }] = logins;
  assert.equal(organization_id, ACME_ORG_ID);
  assert.equal(event.actor.id, ALICE_ID);
  assert.equal(event.actor.type, 'user');
  assert.equal(event.targets[0].id, ALICE_ID);
  assert.ok(event.context.location.length > 0, 'context.location is set');
  assert.equal(event.context.user_agent, userAgent);
  const occurred = Date.parse(event.occurred_at);
  assert.ok(occurred >= started - 60000 && occurred <= Date.now() + 60000, `occurred_at is now-ish: ${event.occurred_at}`);
  assert.ok(headers['idempotency-key']?.length > 0, 'sent with an Idempotency-Key');
});
