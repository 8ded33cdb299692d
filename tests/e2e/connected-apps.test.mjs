// Connected apps on the account page (the Worker as authorization server): Alice authorizes two
// MCP clients — the SDK's OAuth client and mcp-remote — sees both on her account page in
// Chromium, revokes one there; its refresh token then fails with invalid_grant and its access
// token is refused within the bearer check's window, while the other keeps working. Rows are
// told apart by their grant id (the first part of each client's refresh token): Alice has
// authorized many clients by the time this file runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { ALICE, ALICE_ID, WORKER_URL, TESTID, PATHS, launchChromium, artifact, worker, kvEntries } from './helpers.mjs';
import { Browser, SdkProvider, sdkAuthorize, refreshToken, expectOAuthError, waitUntilRefused, callProtected, url, registerClient, obtainCode, exchangeCode, expectTokens, authorizeRequest } from './oauth-helpers.mjs';
import { mcpRemoteSandbox, runMcpRemote } from './mcp-remote-helpers.mjs';
import { expectToolOk } from './mcp-helpers.mjs';

/** The grant a token names: a refresh token (`mcp_rt_…`), or with kind 'code' an authorization code. */
const grantOf = (token, kind = 'rt') => token.match(new RegExp(`^mcp_${kind}_([A-Za-z0-9_-]{24}|[A-Za-z0-9_-]{22})\\.`))?.[1];

let chromium;
let sandbox;
let remote;
before(async () => { chromium = await launchChromium(); });
after(async () => {
  await remote?.close();
  await sandbox?.cleanup();
  await chromium?.close();
});

/** The refresh token mcp-remote stored in its config directory. */
function mcpRemoteRefreshToken(configDir) {
  const walk = (d) => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  const file = walk(configDir).find((f) => f.endsWith('_tokens.json'));
  assert.ok(file, 'mcp-remote stored its tokens');
  return JSON.parse(readFileSync(file, 'utf8')).refresh_token;
}

test('two connected apps on the account page; revoking one ends its access, the other keeps working', async () => {
  // 1. The SDK's OAuth client, signed in as Alice by the cookie-jar browser.
  const name = `Connected apps SDK ${Date.now()}`;
  const sdkBrowser = new Browser({ loginHint: ALICE });
  const provider = new SdkProvider({ browser: sdkBrowser, clientName: name });
  const sdkTokens = await sdkAuthorize(provider);
  const sdkGrant = grantOf(sdkTokens.refresh_token);
  assert.ok(sdkGrant, 'a refresh token names its grant');
  const sdkClientId = provider.clientInformation().client_id;

  // 2. mcp-remote over /mcp, signing in through its browser hand-off.
  sandbox = await mcpRemoteSandbox('apps', ALICE);
  remote = await runMcpRemote({
    serverUrl: url('/mcp'), mode: 'http-only', callbackPort: sandbox.callbackPort, configDir: sandbox.configDir,
    home: sandbox.home, hook: sandbox.hook, wrapper: sandbox.wrapper, logName: 'mcp-remote-connected-apps.log',
  });
  await Promise.all(sandbox.hook.opened.map((o) => o.done));
  const remoteGrant = grantOf(mcpRemoteRefreshToken(sandbox.configDir));
  assert.ok(remoteGrant && remoteGrant !== sdkGrant);
  // One person's grants share a partition (the first 8 characters), and so one grant object;
  // revoking one below leaves the other working.
  assert.equal(remoteGrant.length, 24);
  assert.equal(remoteGrant.slice(0, 8), sdkGrant.slice(0, 8), 'the same partition');
  expectToolOk(await remote.client.callTool({ name: 'whoami', arguments: {} }), 'whoami through mcp-remote');

  // 3. Alice's account page in Chromium lists both, each with what it redirects to.
  const context = await chromium.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  try {
    await page.goto(worker(`${PATHS.login}?login_hint=${encodeURIComponent(ALICE)}`));
    await page.getByTestId(TESTID.signIn).click();
    await page.waitForURL(`${WORKER_URL}/`);
    const row = (grant) => page.getByTestId('app').filter({ has: page.locator(`input[name="grant_id"][value="${grant}"]`) });
    await row(sdkGrant).waitFor();
    assert.equal((await row(sdkGrant).getByTestId('app-name').textContent()).trim(), name);
    assert.equal((await row(sdkGrant).getByTestId('app-host').textContent()).trim(), 'this computer');
    assert.match(await row(sdkGrant).getByTestId('app-permissions').textContent(), /image_generation/);
    assert.equal(await row(remoteGrant).count(), 1, 'mcp-remote is listed too');
    assert.equal((await row(remoteGrant).getByTestId('app-host').textContent()).trim(), 'this computer');
    // WorkOS's sign-out ends the session the apps authorized from it hold: the page says so.
    assert.match(await page.content(), /Signing out also ends the apps you\s+authorized from this sign-in/);
    assert.match(await page.content(), /the app must ask\s+for your approval again/);
    await page.screenshot({ path: artifact('connected-apps.png'), fullPage: true });

    // 4. Revoke the SDK client: the page comes back without it.
    await row(sdkGrant).getByTestId('app-revoke').click();
    await page.waitForURL(`${WORKER_URL}/`);
    await page.getByTestId('account-name').waitFor();
    assert.equal(await row(sdkGrant).count(), 0, 'the revoked app is gone from the page');
    assert.equal(await row(remoteGrant).count(), 1, 'the other app is still there');
    await page.screenshot({ path: artifact('connected-apps-revoked.png'), fullPage: true });
  } finally {
    await context.close();
  }

  // 5. The revoked app: refreshing fails at once, its access token is refused within the window.
  expectOAuthError(await refreshToken(sdkClientId, sdkTokens.refresh_token), 400, 'invalid_grant', 'refresh after revocation');
  assert.equal((await waitUntilRefused('/mcp', sdkTokens.access_token)).status, 401);

  // 6. The other keeps working.
  expectToolOk(await remote.client.callTool({ name: 'whoami', arguments: {} }), 'whoami through mcp-remote after the revocation');

  // 7. The revoked app sends the browser it was approved in (not the one that revoked it) back to
  // /authorize: the approval that browser remembers no longer stands, and Alice is asked again.
  const again = await sdkBrowser.navigate(authorizeRequest(provider.clientInformation()).url, { decision: null });
  assert.ok(again.consent, 'the consent page, not a silent code');
});

test('revoking needs this origin and the session\'s CSRF token; someone else\'s grant is untouched', async () => {
  const browser = new Browser({ loginHint: ALICE });
  const provider = new SdkProvider({ browser, clientName: `Connected apps SDK ${Date.now()}` });
  const tokens = await sdkAuthorize(provider);
  const grant = grantOf(tokens.refresh_token);
  const account = await browser.navigate(url('/'));
  const csrf = account.page?.html?.match(/name="csrf" value="([^"]+)"/)?.[1];
  assert.ok(csrf, `the account page carries the CSRF token: ${Browser.describe(account.hops)}`);
  const post = (body, origin = WORKER_URL) => browser.jar.fetch(url('/account/apps/revoke'), {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: new URLSearchParams(body).toString(),
  });
  assert.equal((await post({ csrf, grant_id: grant }, 'https://evil.example')).status, 403, 'a cross-site post');
  assert.equal((await post({ csrf: 'forged', grant_id: grant })).status, 403, 'a wrong CSRF token');
  assert.equal((await callProtected('/mcp', tokens.access_token)).status, 200, 'still working after refused posts');
  // Bob, signed in, naming Alice's grant: nothing happens to it.
  const bob = new Browser({ loginHint: 'bob@example.com' });
  const bobAccount = await bob.navigate(url('/'));
  const bobCsrf = bobAccount.page?.html?.match(/name="csrf" value="([^"]+)"/)?.[1];
  const r = await bob.jar.fetch(url('/account/apps/revoke'), {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: WORKER_URL },
    body: new URLSearchParams({ csrf: bobCsrf, grant_id: grant }).toString(),
  });
  assert.equal(r.status, 303);
  assert.equal((await callProtected('/mcp', tokens.access_token)).status, 200, 'Alice\'s app is untouched');
  assert.equal((await refreshToken(provider.clientInformation().client_id, tokens.refresh_token)).status, 200, 'and still refreshes');
});

test('a grant waiting for its code exchange is not listed, and is listed once the code is exchanged', async () => {
  const browser = new Browser({ loginHint: ALICE });
  const got = await obtainCode(browser, await registerClient({ client_name: `Waiting app ${Date.now()}` }));
  const grant = grantOf(got.code, 'code');
  assert.ok(grant, 'a code names its grant');
  const listed = async () => (await browser.navigate(url('/'))).page?.html?.includes(`value="${grant}"`);
  // The partition's object lists the waiting grant, but the page shows a grant only once its
  // code is exchanged (until then it has issued no token).
  assert.equal(await listed(), false, 'not listed while its code waits');
  expectTokens(await exchangeCode(got), 'the code exchange after the account page');
  assert.equal(await listed(), true, 'listed once exchanged');
});

test('one index entry per person: it names their partition, and a further app writes it no more', async () => {
  const exchanged = async (name) => {
    const got = await obtainCode(new Browser({ loginHint: ALICE }), await registerClient({ client_name: name }));
    expectTokens(await exchangeCode(got), name);
    return grantOf(got.code, 'code');
  };
  const first = await exchanged(`Indexed app ${Date.now()}`);
  const entries = await kvEntries(`oauth:user-grant:${ALICE_ID}:`);
  const mine = entries.filter((e) => e.name.endsWith(`:${first.slice(0, 8)}`));
  assert.equal(mine.length, 1, `one entry names the partition: ${JSON.stringify(entries)}`);
  assert.ok(!entries.some((e) => e.name.endsWith(`:${first}`)), 'no entry of the grant\'s own');
  const second = await exchanged(`Indexed app ${Date.now()}`);
  assert.equal(second.slice(0, 8), first.slice(0, 8), 'the same partition');
  assert.deepEqual(await kvEntries(`oauth:user-grant:${ALICE_ID}:`), entries, 'the second grant wrote no entry');
});
