// AuthKit mode, the JWKS shared between isolates (src/platform/cache.rs, src/authkit/shared.rs):
// an isolate that fetched AuthKit's JWKS leaves a copy in the Cache API, sealed with the
// deployment's COOKIE_ENCRYPTION_KEY, and a new isolate takes its keys from that copy instead of
// fetching them. A new isolate here is a new `wrangler dev` (a fresh workerd) on the same local
// state: an AuthKit-mode Worker of this file's own on 127.0.0.1:8799, so that the shared one
// (8789), whose isolate the other AuthKit files rely on, is left as it is. Each start after the
// first finds the JWKS down at the stand-in, so only a copy it can open lets a token through.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import os from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { ROOT, logFile, writeWorkerEnv, writePrebuiltConfig, startWrangler, waitForWorker } from './stack.mjs';
import { stopChild } from '../../dev/child.mjs';
import { ACME_ORG_ID } from './helpers.mjs';
import { AUTHKIT_URL, AUTHKIT_AUDIENCE, mint, authkit, mcpCall } from './authkit-helpers.mjs';

const PORT = 8799;
const ORIGIN = `http://127.0.0.1:${PORT}`;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'authkit-shared-keys-'));
const log = logFile(path.join(ROOT, 'target/e2e-artifacts'), 'wrangler-authkit-shared-keys.log');
const config = writePrebuiltConfig(tmp);
/** The AuthKit-mode Worker's settings, each env file with a random COOKIE_ENCRYPTION_KEY of its own. */
const envFile = (name) => writeWorkerEnv(tmp, process.env.WORKOS_URL, {
  WORKOS_AUTHKIT_DOMAIN: AUTHKIT_URL,
  WORKOS_AUTHKIT_AUDIENCE: AUTHKIT_AUDIENCE,
  WORKOS_ORGANIZATION_ID: ACME_ORG_ID,
}, name);
const deployment = envFile('deployment.env');
let wrangler = null;

after(async () => {
  await stopChild(wrangler);
  await authkit.jwksDown(false);
  await log.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** This file's Worker, started afresh (a new workerd) with `env` on the local state `state`. */
async function startFresh(env, state) {
  await stopChild(wrangler);
  log.write(`---- wrangler dev on ${ORIGIN}, state ${state}, ${path.basename(env)}`);
  wrangler = startWrangler(env, path.join(tmp, state), log, { port: PORT, config });
  await waitForWorker(wrangler, log, () => {}, ORIGIN);
}

/** `tools/list` on this file's Worker with a token AuthKit's stand-in minted now. */
const toolsList = async () => mcpCall(await mint({ aud: AUTHKIT_AUDIENCE }), 'tools/list', undefined, { base: ORIGIN });

const fetchesNow = async () => (await authkit.jwksFetches()).length;

test('a new isolate takes the JWKS another left in the Cache API; not a copy sealed under another key, nor where none was left', { timeout: 3 * 60 * 1000 }, async () => {
  await authkit.jwksDown(false);
  await startFresh(deployment, 'state');
  let before = await fetchesNow();
  const first = await toolsList();
  assert.equal(first.status, 200, `the first isolate, the JWKS up: ${first.status} ${first.text.slice(0, 300)}`);
  assert.ok(Array.isArray(first.json?.result?.tools), 'a tools list');
  assert.equal(await fetchesNow(), before + 1, 'the first isolate fetched the JWKS once');

  // The copy is stored before that answer (src/authkit/tokens.rs, `refresh_keys`).
  await authkit.jwksDown(true);
  await startFresh(deployment, 'state');
  before = await fetchesNow();
  const second = await toolsList();
  assert.equal(second.status, 200, `a new isolate with the JWKS down takes the copy: ${second.status} ${second.text.slice(0, 300)}`);
  assert.equal(await fetchesNow(), before, 'no JWKS fetch by the new isolate');

  // The same local state (the copy is there) under another deployment's key: its seal does not
  // open, so the copy is not taken, and with the JWKS down there is nothing to verify with.
  await startFresh(envFile('another-deployment.env'), 'state');
  const foreign = await toolsList();
  assert.equal(foreign.status, 503, `a copy sealed under another key is not taken: ${foreign.status} ${foreign.text.slice(0, 300)}`);

  // And the deployment itself on fresh local state (no copy anywhere): 503 as well.
  await startFresh(deployment, 'state-empty');
  const none = await toolsList();
  assert.equal(none.status, 503, `no copy and the JWKS down: ${none.status} ${none.text.slice(0, 300)}`);
});
