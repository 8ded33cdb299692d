// WorkOS as production answers (issue 10), end to end: the contract check itself, the
// organization picker for a person in two organizations (Carol: Acme admin, Globex member) in
// Chromium and through the MCP SDK client, the configured organization chosen without asking
// (the AuthKit-mode Worker runs with WORKOS_ORGANIZATION_ID = Acme), the spec's membership
// filter, and audit events validated against the action schemas a WorkOS dashboard holds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  WORKOS_URL, WORKOS_CONTROL, CAROL, CAROL_ID, ACME_ORG_ID, GLOBEX_ORG_ID, TESTID, PATHS, COOKIE,
  launchChromium, artifact, worker, control, waitFor, signIn, account, organizationChoices, beginSignIn, CookieJar,
} from './helpers.mjs';
import { Browser, SdkProvider, sdkAuthorize, url, clientWithTokens, expectTokens, refreshToken } from './oauth-helpers.mjs';
import { GATED_TOOL, mcpPost } from './mcp-helpers.mjs';
import { AUTHKIT_WORKER_URL, akUrl } from './authkit-helpers.mjs';
import { loadContract } from '../../dev/contract.mjs';

let browser;
before(async () => { browser = await launchChromium(); });
after(async () => { await browser?.close(); });

async function contract() {
  return (await fetch(new URL('/__control/contract', WORKOS_CONTROL))).json();
}

// ---- the contract check ------------------------------------------------------------------------

test('the contract check knows the document: what WorkOS accepts passes, what it does not is named', () => {
  const spec = loadContract();
  const ok = (req) => assert.deepEqual(spec.check(req).problems, [], JSON.stringify(req));
  const bad = (req, pattern) => {
    const { problems } = spec.check(req);
    assert.ok(problems.some((p) => pattern.test(p)), `${JSON.stringify(req)}: ${JSON.stringify(problems)}`);
  };
  const json = (method, path, body) => ({ method, url: path, contentType: 'application/json', body: JSON.stringify(body) });
  ok({ method: 'GET', url: '/user_management/organization_memberships?limit=100&user_id=u&statuses=active,inactive,pending' });
  bad({ method: 'GET', url: '/user_management/organization_memberships?user_id=u&statuses%5B%5D=active&statuses%5B%5D=inactive' }, /"statuses\[\]": not declared/);
  bad({ method: 'GET', url: '/user_management/organization_memberships?user_id=u&statuses=active&statuses=inactive' }, /explode false/);
  bad({ method: 'GET', url: '/user_management/organization_memberships?user_id=u&limit=500' }, /"limit": above 100/);
  bad({ method: 'GET', url: '/authorization/roles/admin/permissions' }, /no operation GET/);
  ok(json('POST', '/user_management/authenticate', { grant_type: 'urn:workos:oauth:grant-type:organization-selection', client_id: 'c', client_secret: 's', pending_authentication_token: 'p', organization_id: 'org_1' }));
  bad(json('POST', '/user_management/authenticate', { grant_type: 'refresh_token', client_id: 'c', client_secret: 's', refresh_token: 'r', code_verifier: 'v' }), /body\.code_verifier: not a field/);
  bad(json('POST', '/user_management/authenticate', { grant_type: 'authorization_code', client_id: 'c' }), /body\.code: required/);
  bad({ method: 'POST', url: '/user_management/authenticate', contentType: 'application/x-www-form-urlencoded', body: 'grant_type=x' }, /media type/);
  ok(json('PUT', '/user_management/users/user_1', { external_id: 'user_1' }));
  bad(json('POST', '/authkit/oauth2/complete', { external_auth_id: 'e', user: { email: 'a@b.c' } }), /body\.user\.id: required/);
  bad(json('POST', '/audit_logs/events', { organization_id: 'o', event: { action: 'a', occurred_at: 'yesterday', actor: { id: 'u', type: 'user' }, targets: [], context: { location: 'x' } } }), /occurred_at: not an ISO 8601/);
});

test('through the front, a request the document does not allow is refused with the operation and the field', async () => {
  const r = await fetch(`${WORKOS_URL}/user_management/organization_memberships?user_id=${CAROL_ID}&statuses[]=active`, {
    headers: { authorization: 'Bearer sk_test_default', 'x-contract': 'expect-violation' },
  });
  assert.equal(r.status, 400);
  const body = await r.json();
  assert.equal(body.code, 'contract_violation');
  assert.match(body.message, /GET \/user_management\/organization_memberships \(UserlandUserOrganizationMembershipsController_list\)/);
  assert.match(body.message, /"statuses\[\]": not declared/);
  const report = await contract();
  assert.ok(report.probes.some((p) => p.caught && /organization_memberships/.test(p.operation)), 'recorded as a caught probe');
});

test('a role\'s permissions set as WorkOS sets them (PUT): the role answered with them; an unknown permission refused, changing nothing', async () => {
  const api = (method, path, body) => fetch(`${WORKOS_URL}${path}`, {
    method, headers: { authorization: 'Bearer sk_test_default', 'content-type': 'application/json' }, body: body && JSON.stringify(body),
  });
  const refused = await api('PUT', '/authorization/roles/admin/permissions', { permissions: ['no_such_permission', 'image_generation'] });
  assert.equal(refused.status, 404, await refused.text());
  const role = await (await api('GET', '/authorization/roles/admin')).json();
  assert.deepEqual(role.permissions, ['image_generation'], 'the role kept its permission');
  const set = await api('PUT', '/authorization/roles/admin/permissions', { permissions: ['image_generation'] });
  assert.equal(set.status, 200);
  const answered = await set.json();
  assert.deepEqual([answered.object, answered.slug, answered.permissions], ['role', 'admin', ['image_generation']]);
});

// ---- the organization picker ---------------------------------------------------------------------

const text = (page, id) => page.getByTestId(id).textContent().then((t) => t.trim());
const permissions = (page) => page.getByTestId(TESTID.permissions).locator('li').allTextContents().then((l) => l.map((t) => t.trim()));

for (const [organization, role, gated] of [['Acme', 'admin', true], ['Globex', 'member', false]]) {
  test(`Chromium: Carol signs in through the organization picker as ${organization} ${role}`, async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(20000);
      await page.goto(worker(`${PATHS.login}?login_hint=${encodeURIComponent(CAROL)}`));
      await page.getByTestId(TESTID.signIn).click();
      await page.waitForURL((u) => u.pathname === '/callback');
      const choices = page.getByTestId('organization-choice');
      assert.deepEqual((await choices.allTextContents()).map((t) => t.trim()).sort(), ['Acme', 'Globex']);
      assert.match(await page.title(), /^Choose an organization/);
      await page.screenshot({ path: artifact(`picker-${organization.toLowerCase()}.png`), fullPage: true });
      assert.ok(!(await context.cookies()).some((c) => c.name === COOKIE.session), 'no session before the choice');
      await choices.filter({ hasText: organization }).click();
      await page.waitForURL(worker('/'));
      assert.equal(await text(page, TESTID.email), CAROL);
      assert.equal(await text(page, TESTID.organization), organization);
      assert.equal(await text(page, TESTID.role), role);
      assert.equal((await permissions(page)).includes('image_generation'), gated);
      // The pending token never reached the browser: only sealed cookies.
      const cookies = await context.cookies();
      assert.ok(!cookies.some((c) => c.value.includes('pending_')), 'no pending token in a cookie');
    } finally {
      await context.close();
    }
  });
}

test('a replayed or forged picker choice is refused and signs nobody in', async () => {
  const { jar, callbackUrl } = await beginCarol();
  const picker = await jar.fetch(callbackUrl);
  assert.equal(picker.status, 200);
  const html = await picker.text();
  const choices = organizationChoices(html);
  const csrf = html.match(/name="csrf" value="([^"]+)"/)[1];
  const post = (fields, headers = {}) => jar.fetch(worker('/login/organization'), {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(worker('/')).origin, ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  assert.equal((await post({ csrf: 'forged', organization_id: choices[0].id })).status, 403);
  assert.equal((await post({ csrf, organization_id: 'org_01NOTOFFERED' })).status, 400);
  assert.equal((await post({ csrf, organization_id: choices[0].id }, { origin: 'https://evil.example' })).status, 403);
  assert.equal((await account(jar)).status, 303, 'still signed out');
  const done = await post({ csrf, organization_id: choices[0].id });
  assert.equal(done.status, 303, await done.text());
  assert.equal((await post({ csrf, organization_id: choices[0].id })).status, 400, 'a picker is used once');
});

/** Carol's sign-in up to WorkOS's redirect back (not followed): {jar, callbackUrl}. */
async function beginCarol() {
  const jar = new CookieJar();
  return { jar, ...(await beginSignIn(jar, { loginHint: CAROL })) };
}

for (const [organization, gated] of [['Acme', true], ['Globex', false]]) {
  test(`MCP SDK client: Carol authorizes through the picker as ${organization}; generateImage ${gated ? 'listed' : 'not listed'}`, async () => {
    const provider = new SdkProvider({ browser: new Browser({ loginHint: CAROL, organization }) });
    const tokens = await sdkAuthorize(provider, url('/mcp'));
    assert.ok(provider.navigations.some((n) => n.pickers === 1), 'the browser met the picker once');
    const list = await mcpPost(tokens.access_token, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const names = list.json.result.tools.map((t) => t.name);
    assert.equal(names.includes(GATED_TOOL), gated, names.join(', '));
    const who = await mcpPost(tokens.access_token, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
    assert.match(JSON.stringify(who.json.result), new RegExp(organization === 'Acme' ? ACME_ORG_ID : GLOBEX_ORG_ID));
  });
}

test('with WORKOS_ORGANIZATION_ID set (the AuthKit-mode Worker: Acme) Carol goes straight in, no picker', async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(20000);
    const seen = [];
    page.on('response', (r) => { if (r.request().isNavigationRequest()) seen.push(`${r.status()} ${new URL(r.url()).pathname}`); });
    await page.goto(akUrl(`${PATHS.login}?login_hint=${encodeURIComponent(CAROL)}`));
    await page.getByTestId(TESTID.signIn).click();
    await page.waitForURL(`${AUTHKIT_WORKER_URL}/`);
    assert.ok(!seen.includes('200 /callback'), `no picker page: ${seen.join(' → ')}`);
    assert.equal(await text(page, TESTID.organization), 'Acme');
    assert.equal(await text(page, TESTID.role), 'admin');
  } finally {
    await context.close();
  }
});

// ---- requests as the document says -----------------------------------------------------------------

test('memberships are asked for with the spec\'s statuses form, filtered by the organization when known', async () => {
  const listings = async () => (await control.requests()).filter((r) => r.path === '/user_management/organization_memberships');
  await control.clearRequests();
  const { client, tokens } = await clientWithTokens(new Browser());
  assert.deepEqual(await listings(), [], 'WorkOS scoped the sign-in to Acme: its token speaks for the membership');
  expectTokens(await refreshToken(client.client_id, tokens.refresh_token), 'refresh');
  const listed = await listings();
  assert.ok(listed.length >= 1, 'the refresh listed memberships');
  for (const r of listed) {
    const q = new URLSearchParams(r.query);
    assert.deepEqual(q.getAll('statuses'), ['active,inactive,pending']);
    assert.equal(q.get('organization_id'), ACME_ORG_ID, 'WorkOS scoped the session to Acme: filtered by it');
  }
});

// ---- audit events and the dashboard's action schemas ------------------------------------------------

async function setSchema(action, targets) {
  const r = await fetch(new URL('/__control/audit-schemas', WORKOS_CONTROL), { method: 'PUT', body: JSON.stringify({ action, targets }) });
  assert.equal(r.status, 200, await r.text());
}

test('an audit action without a schema in the dashboard: WorkOS refuses, the sign-in is unaffected, the log names the step', async () => {
  await setSchema('user.signed_in', null);
  try {
    await control.clearAuditEvents();
    const { jar } = await signIn('alice@example.com');
    assert.equal((await account(jar)).status, 200, 'signed in regardless');
    const line = await waitFor(() => {
      const log = readFileSync(artifact('wrangler.log'), 'utf8');
      return log.split('\n').find((l) => l.includes('invalid_audit_log_event') && l.includes('WorkOS dashboard'));
    }, { timeoutMs: 10000 });
    assert.match(line, /create the action "user\.signed_in" with target type "user"/);
    assert.deepEqual(await control.auditEvents(), [], 'nothing recorded');
  } finally {
    await setSchema('user.signed_in', ['user']);
  }
  await signIn('alice@example.com');
  const events = await waitFor(async () => {
    const recorded = (await control.auditEvents()).filter((e) => e.event.action === 'user.signed_in');
    return recorded.length > 0 && recorded;
  }, { timeoutMs: 10000 });
  assert.equal(events?.length, 1, 'with the schema back, the event is recorded');
});
