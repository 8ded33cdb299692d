// Live permissions: Alice's role is changed in WorkOS (the emulator's own management API,
// PUT /user_management/organization_memberships/{id} with role_slug); the next refresh of her MCP
// grant re-reads it, without a new sign-in. The role is restored afterwards (tests share the emulator).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, ALICE_ID, ACME_ORG_ID } from './helpers.mjs';
import {
  Browser, SdkProvider, sdkAuthorize, sdkRefresh, scopesOf, membership, setRole, PERMISSION, BASE_SCOPE, expectAccepted,
} from './oauth-helpers.mjs';

let restore; // the membership id to put back to admin

after(async () => {
  if (restore) await setRole(restore, 'admin');
});

test('Alice demoted to member in WorkOS: her next refresh drops image_generation; promoted again, it returns', async () => {
  assert.ok(ALICE_ID && ACME_ORG_ID, 'run under tests/e2e/run.mjs (ALICE_ID, ACME_ORG_ID)');
  const m = await membership(ALICE_ID, ACME_ORG_ID);
  assert.equal(m.role?.slug, 'admin', 'Alice starts as admin');

  const provider = new SdkProvider({ browser: new Browser({ loginHint: ALICE }) });
  const initial = await sdkAuthorize(provider);
  assert.ok(scopesOf(initial).includes(PERMISSION), `as admin: scope "${initial.scope}" includes ${PERMISSION}`);

  restore = m.id;
  await setRole(m.id, 'member');
  const demoted = await sdkRefresh(provider);
  assert.ok(!scopesOf(demoted).includes(PERMISSION), `after the role change: scope "${demoted.scope}" lacks ${PERMISSION}`);
  assert.ok(scopesOf(demoted).includes(BASE_SCOPE), `still ${BASE_SCOPE}`);
  await expectAccepted('/mcp', demoted.access_token, 'the new access token works');
  assert.equal(provider.navigations.length, 1, 'no new authorization (no sign-in, no consent)');

  await setRole(m.id, 'admin');
  restore = undefined;
  const promoted = await sdkRefresh(provider);
  assert.ok(scopesOf(promoted).includes(PERMISSION), `admin again: scope "${promoted.scope}" includes ${PERMISSION}`);
});
