// The return path survives the whole sign-in only when it is a same-site absolute path; anything
// that a browser could resolve to another origin (or a script) falls back to `/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, signIn, worker, resolveLocation } from './helpers.mjs';

const VECTORS = [
  '//evil.example',
  '/\\evil.example',
  '\\evil.example',
  '/%2Fevil.example',
  '/%5Cevil.example',
  'https://evil.example/',
  'javascript:alert(1)',
  '/%09/evil.example',
  '%2F%2Fevil.example',
];

/** Where the sign-in's final redirect goes (raw Location, and resolved against the Worker). */
async function landing(options) {
  const { location } = await signIn(ALICE, options);
  return { raw: location, resolved: resolveLocation(location) };
}

for (const vector of VECTORS) {
  test(`return_to=${JSON.stringify(vector)} ends on /`, async () => {
    // As a browser would: the vector in /login's query, carried by the page's form.
    const viaPage = await landing({ returnTo: vector });
    assert.equal(viaPage.resolved, worker('/'), `via the sign-in page: Location ${viaPage.raw}`);
    // As an attacker's own form would: the raw vector posted to /login.
    const viaForm = await landing({ form: { return_to: vector } });
    assert.equal(viaForm.resolved, worker('/'), `posted directly: Location ${viaForm.raw}`);
  });
}

test('a same-site path with a query is kept: /account?tab=1', async () => {
  const { raw, resolved } = await landing({ returnTo: '/account?tab=1' });
  assert.equal(resolved, worker('/account?tab=1'), `Location ${raw}`);
});

test('an authorization request longer than 2 KiB comes back whole after the sign-in and ends with its code', async () => {
  const { Browser, registerClient, obtainCode } = await import('./oauth-helpers.mjs');
  const client = await registerClient();
  // A state near its limit (1024) of characters the request's path percent-encodes: the path the
  // sign-in keeps to come back to is over 3 KiB.
  const state = '/'.repeat(1000);
  const got = await obtainCode(new Browser(), client, { state });
  assert.equal(got.nav.redirect.searchParams.get('state'), state, 'the client gets its state back whole');
  assert.ok(got.code, 'a code for the client, not the account page');
});
