// Shared pieces of the end-to-end tests: where things run, the Worker's URLs, cookie names and
// page selectors (kept here so a change in the Worker's contract is one edit), a cookie jar with a
// fetch wrapper that never follows redirects, the HTTP sign-in, the front's controls, HTML
// helpers and the Chromium launcher. Tests talk HTTP only (no KV access).
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// ---- environment (set by tests/e2e/run.mjs) ---------------------------------------------------
export const WORKER_URL = process.env.WORKER_URL ?? 'http://127.0.0.1:8788';
export const WORKOS_URL = process.env.WORKOS_URL ?? 'http://127.0.0.1:4100';
export const WORKOS_CONTROL = process.env.WORKOS_CONTROL ?? WORKOS_URL;
export const ALICE_ID = process.env.ALICE_ID;
export const BOB_ID = process.env.BOB_ID;
export const CAROL_ID = process.env.CAROL_ID;
export const ACME_ORG_ID = process.env.ACME_ORG_ID;
export const GLOBEX_ORG_ID = process.env.GLOBEX_ORG_ID;
export const ARTIFACTS = process.env.E2E_ARTIFACTS ?? path.join(ROOT, 'target/e2e-artifacts');

export const ALICE = 'alice@example.com';
export const BOB = 'bob@example.com';
/** Acme admin and Globex member: signing in asks her which organization. */
export const CAROL = 'carol@example.com';

// ---- the Worker's contract ---------------------------------------------------------------------
export const COOKIE = { session: '__Host-mcp-session', signin: '__Host-mcp-signin' };
export const PATHS = { login: '/login', callback: '/callback', account: '/', logout: '/logout' };
export const TESTID = {
  signIn: 'sign-in',
  signOut: 'sign-out',
  signInAgain: 'sign-in-again',
  errorTitle: 'error-title',
  errorMessage: 'error-message',
  name: 'account-name',
  email: 'account-email',
  organization: 'account-organization',
  role: 'account-role',
  permissions: 'account-permissions',
};
/** Where a signed-out visit to `/` is sent (contract: 303 to /login?return_to=%2F). */
export const SIGNED_OUT_REDIRECT = '/login?return_to=%2F';
/** WorkOS's sign-out URL the Worker redirects to (query: session_id, return_to). */
export const WORKOS_LOGOUT = `${WORKOS_URL}/user_management/sessions/logout`;
export const WORKOS_AUTHORIZE = `${WORKOS_URL}/user_management/authorize`;

export const worker = (p) => new URL(p, WORKER_URL).href;
/** A Location header resolved against the Worker (a relative `/x` and an absolute URL compare equal). */
export const resolveLocation = (location) => (location === null ? null : new URL(location, WORKER_URL).href);

// ---- cookies -------------------------------------------------------------------------------------

/**
 * A per-host cookie jar, enough for the Worker's cookies: name=value, Max-Age/Expires, no Domain
 * or Path scoping (the Worker's cookies are `__Host-` cookies: Path=/, no Domain). `Secure` is
 * ignored because the local Worker is plain http on a loopback address, which browsers treat as a
 * secure context.
 */
export class CookieJar {
  #hosts = new Map(); // host → Map(name → {value, expires})

  /** Stores the Set-Cookie headers of a response to `url`; returns them parsed. */
  store(url, response) {
    const host = new URL(url).host;
    const parsed = response.headers.getSetCookie().map(parseSetCookie);
    if (!this.#hosts.has(host)) this.#hosts.set(host, new Map());
    const jar = this.#hosts.get(host);
    for (const c of parsed) {
      if (c.expires !== null && c.expires <= Date.now()) jar.delete(c.name);
      else jar.set(c.name, { value: c.value, expires: c.expires });
    }
    return parsed;
  }

  header(url) {
    const jar = this.#hosts.get(new URL(url).host);
    if (!jar) return '';
    const now = Date.now();
    return [...jar].filter(([, c]) => c.expires === null || c.expires > now).map(([n, c]) => `${n}=${c.value}`).join('; ');
  }

  get(name, url = WORKER_URL) { return this.#hosts.get(new URL(url).host)?.get(name)?.value; }
  set(name, value, url = WORKER_URL) {
    const host = new URL(url).host;
    if (!this.#hosts.has(host)) this.#hosts.set(host, new Map());
    this.#hosts.get(host).set(name, { value, expires: null });
  }
  delete(name, url = WORKER_URL) { this.#hosts.get(new URL(url).host)?.delete(name); }

  /** A copy (to replay old cookies later). */
  clone() {
    const copy = new CookieJar();
    for (const [host, jar] of this.#hosts) copy.#hosts.set(host, new Map([...jar].map(([n, c]) => [n, { ...c }])));
    return copy;
  }

  /** fetch() with this jar's cookies, never following redirects; stores what comes back. */
  async fetch(url, init = {}) {
    const headers = new Headers(init.headers);
    const cookie = this.header(url);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(url, { ...init, headers, redirect: 'manual', signal: init.signal ?? AbortSignal.timeout(30000) });
    res.cookies = this.store(url, res);
    res.text = memoize(res.text.bind(res));
    return res;
  }
}

const memoize = (fn) => { let p; return () => (p ??= fn()); };

/** `{name, value, expires (ms since epoch or null), attributes (lower-cased keys)}`. */
export function parseSetCookie(header) {
  const [pair, ...attrs] = header.split(';');
  const eq = pair.indexOf('=');
  const c = { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), expires: null, attributes: {} };
  for (const a of attrs) {
    const i = a.indexOf('=');
    const key = (i < 0 ? a : a.slice(0, i)).trim().toLowerCase();
    c.attributes[key] = i < 0 ? true : a.slice(i + 1).trim();
  }
  if (c.attributes['max-age'] !== undefined) c.expires = Date.now() + Number(c.attributes['max-age']) * 1000;
  else if (c.attributes.expires) c.expires = Date.parse(c.attributes.expires);
  return c;
}

/** The Set-Cookie of `name` on a response fetched through a jar, if any. */
export const setCookie = (res, name) => res.cookies.find((c) => c.name === name);
/** True when the response deletes cookie `name` (Max-Age=0 or an Expires in the past). */
export const clearsCookie = (res, name) => {
  const c = setCookie(res, name);
  return Boolean(c) && c.expires !== null && c.expires <= Date.now();
};

/** Changes one character in the middle of a cookie value (still a plausible-looking value). */
export function tamper(value) {
  const i = Math.floor(value.length / 2);
  const swap = value[i] === 'A' ? 'B' : 'A';
  return value.slice(0, i) + swap + value.slice(i + 1);
}

// ---- HTML ------------------------------------------------------------------------------------------

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
export const decodeHtml = (s) => s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e) => {
  if (e[0] === '#') return String.fromCodePoint(e[1].toLowerCase() === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
  return ENTITIES[e.toLowerCase()] ?? m;
});
const stripTags = (s) => s.replace(/<[^>]*>/g, '');

/** The decoded text of the first element with data-testid=`id`, or undefined. */
export function textByTestId(html, id) {
  const m = html.match(new RegExp(`<(\\w+)[^>]*\\bdata-testid="${id}"[^>]*>([\\s\\S]*?)</\\1>`));
  return m ? decodeHtml(stripTags(m[2])).trim() : undefined;
}

/** The opening tag of the first element with data-testid=`id`. */
export const tagByTestId = (html, id) => html.match(new RegExp(`<[^>]*\\bdata-testid="${id}"[^>]*>`))?.[0];
/** Attribute `name` of an opening tag, decoded. */
export const attr = (tag, name) => {
  const m = tag?.match(new RegExp(`\\b${name}\\s*=\\s*("([^"]*)"|'([^']*)')`));
  return m ? decodeHtml(m[2] ?? m[3]) : undefined;
};

/** The `<li>` texts inside the element with data-testid=`id`. */
export function listItems(html, id) {
  const m = html.match(new RegExp(`<(ul|ol)[^>]*\\bdata-testid="${id}"[^>]*>([\\s\\S]*?)</\\1>`));
  if (!m) return undefined;
  return [...m[2].matchAll(/<li[^>]*>([\s\S]*?)<\/li>/g)].map((x) => decodeHtml(stripTags(x[1])).trim());
}

/** The organization picker's choices: [{id, name}] in page order. */
export function organizationChoices(html) {
  return [...html.matchAll(/<button[^>]*name="organization_id"[^>]*value="([^"]*)"[^>]*data-testid="organization-choice"[^>]*>([^<]*)<\/button>/g)]
    .map((m) => ({ id: decodeHtml(m[1]), name: decodeHtml(m[2]).trim() }));
}

/** Hidden inputs of the form posting to `action`: {name: value}. */
export function formFields(html, action) {
  const form = html.match(new RegExp(`<form[^>]*\\baction="${action}"[^>]*>([\\s\\S]*?)</form>`));
  assert.ok(form, `a <form action="${action}"> on the page`);
  const fields = {};
  for (const [tag] of form[1].matchAll(/<input[^>]*>/g)) {
    if (attr(tag, 'type') === 'hidden') fields[attr(tag, 'name')] = attr(tag, 'value') ?? '';
  }
  return fields;
}

/** Things an error page must never show. */
const LEAKS = [/sk_test_default/, /panicked at/i, /RuntimeError/, /wasm-function/, /\bat [\w.$<>]+ \(/, /stack backtrace/i];

/**
 * Asserts `res` is a readable refusal page: the status, HTML, a title, a message and a fresh
 * sign-in link to /login…, no secrets or stack traces, no session cookie set. Returns its parts.
 */
export async function expectErrorPage(res, status, what = 'the refusal') {
  const html = await res.text();
  assert.equal(res.status, status, `${what}: status ${res.status}, expected ${status}; body: ${html.slice(0, 300)}`);
  assert.match(res.headers.get('content-type') ?? '', /text\/html/, `${what}: an HTML page`);
  const title = textByTestId(html, TESTID.errorTitle);
  const message = textByTestId(html, TESTID.errorMessage);
  assert.ok(title, `${what}: has an error title`);
  assert.ok(message, `${what}: has an error message`);
  const href = attr(tagByTestId(html, TESTID.signInAgain), 'href');
  assert.ok(href?.startsWith('/login'), `${what}: links to a fresh sign-in (href=${href})`);
  for (const leak of LEAKS) assert.doesNotMatch(html, leak, `${what}: must not show ${leak}`);
  const session = setCookie(res, COOKIE.session);
  assert.ok(!session || clearsCookie(res, COOKIE.session), `${what}: must not set a session cookie`);
  return { html, title, message, href };
}

// ---- sign-in over HTTP -------------------------------------------------------------------------------

const FORM = 'application/x-www-form-urlencoded';

/**
 * The browser's part of a sign-in up to (not including) the callback: GET /login, POST its form
 * (as a browser would, with our Origin), follow the Worker's redirect to the emulator's authorize
 * URL, which redirects straight back. Returns the URLs; the jar then holds the sign-in cookie.
 * `form` overrides fields of the posted form (e.g. a raw return_to).
 */
export async function beginSignIn(jar, { loginHint = ALICE, returnTo, form = {}, headers = {} } = {}) {
  const login = new URL(PATHS.login, WORKER_URL);
  if (loginHint !== undefined) login.searchParams.set('login_hint', loginHint);
  if (returnTo !== undefined) login.searchParams.set('return_to', returnTo);
  const page = await jar.fetch(login.href, { headers });
  assert.equal(page.status, 200, `GET ${login.pathname}${login.search} → ${page.status}`);
  const fields = { ...formFields(await page.text(), PATHS.login), ...form };

  const start = await jar.fetch(worker(PATHS.login), {
    method: 'POST',
    headers: { 'content-type': FORM, origin: new URL(WORKER_URL).origin, ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  assert.equal(start.status, 303, `POST /login → ${start.status}: ${(await start.text()).slice(0, 300)}`);
  const authorizeUrl = start.headers.get('location');
  assert.ok(authorizeUrl?.startsWith(`${WORKOS_AUTHORIZE}?`), `POST /login redirects to WorkOS authorize, got ${authorizeUrl}`);
  assert.ok(setCookie(start, COOKIE.signin), 'POST /login sets the sign-in cookie');

  const authorize = await jar.fetch(authorizeUrl, { headers });
  assert.equal(authorize.status, 302, `WorkOS authorize → ${authorize.status}: ${(await authorize.text()).slice(0, 300)}`);
  const callbackUrl = authorize.headers.get('location');
  assert.ok(callbackUrl?.startsWith(worker(PATHS.callback)), `WorkOS redirects to /callback, got ${callbackUrl}`);
  const params = new URL(callbackUrl).searchParams;
  return { authorizeUrl, callbackUrl, state: params.get('state'), code: params.get('code'), fields, start };
}

/** The whole sign-in; asserts it succeeded (303 + session cookie). Returns {jar, response, …}. */
export async function signIn(loginHint = ALICE, { jar = new CookieJar(), returnTo, form, headers } = {}) {
  const begun = await beginSignIn(jar, { loginHint, returnTo, form, headers });
  const response = await jar.fetch(begun.callbackUrl, { headers });
  if (response.status !== 303) {
    assert.fail(`GET /callback → ${response.status}, expected 303: ${(await response.text()).slice(0, 500)}`);
  }
  assert.ok(jar.get(COOKIE.session), 'the callback sets the session cookie');
  return { ...begun, jar, response, location: response.headers.get('location') };
}

/** GET / with a jar: the account page's parts when signed in, else {status, location}. */
export async function account(jar, headers = {}) {
  const res = await jar.fetch(worker(PATHS.account), { headers });
  if (res.status !== 200) return { status: res.status, location: resolveLocation(res.headers.get('location')) };
  const html = await res.text();
  return {
    status: 200,
    html,
    name: textByTestId(html, TESTID.name),
    email: textByTestId(html, TESTID.email),
    organization: textByTestId(html, TESTID.organization),
    role: textByTestId(html, TESTID.role),
    permissions: listItems(html, TESTID.permissions),
    csrf: formFields(html, PATHS.logout).csrf,
  };
}

/** POST /logout with form fields. */
export function postLogout(jar, fields, headers = {}) {
  return jar.fetch(worker(PATHS.logout), {
    method: 'POST',
    headers: { 'content-type': FORM, origin: new URL(WORKER_URL).origin, ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

// ---- the WorkOS front's controls (dev/front.mjs) -----------------------------------------------

async function controlCall(method, p, body) {
  const res = await fetch(new URL(`/__control/${p}`, WORKOS_CONTROL), {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10000),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} /__control/${p} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}
/** WorkOS's code / refresh-token exchange, where most fault tests inject. */
export const AUTHENTICATE = '/user_management/authenticate';

/** Every kind of upstream fault the front injects (specs for `control.setFault`, paths added by the caller). */
export const WORKOS_FAULTS = [
  { mode: 'down' },
  { mode: 'slow', delayMs: 7000 }, // beyond the Worker's 5 s timeout
  { mode: 'status', status: 429, retryAfter: '4' },
  { mode: 'status', status: 500 },
  { mode: 'status', status: 502 },
  { mode: 'status', status: 503 },
  { mode: 'malformed' },
  { mode: 'truncated' },
];

export const control = {
  setFault: (spec) => controlCall('POST', 'fault', spec),
  resetFault: () => controlCall('POST', 'fault', { mode: 'ok' }),
  auditEvents: async () => (await controlCall('GET', 'audit-events')).events,
  clearAuditEvents: () => controlCall('DELETE', 'audit-events'),
  requests: async () => (await controlCall('GET', 'requests')).requests,
  clearRequests: () => controlCall('DELETE', 'requests'),
};

/** Polls `probe` every `intervalMs` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor(probe, { timeoutMs = 5000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() >= deadline) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---- browser ---------------------------------------------------------------------------------------

/** Debian's Chromium through playwright-core (no browser download, ever). */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    timeout: 60000,
  });
}

/** Absolute path for an artifact file (the directory is created). */
export function artifact(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

// ---- the Worker's local KV ----------------------------------------------------------------------

const execFileP = promisify(execFile);

/**
 * Names of the keys under `prefix` in the (Worker-mode) Worker's local KV, read with wrangler's
 * own `kv key list --local` from the state directory wrangler dev persists to.
 */
export async function kvKeys(prefix) {
  return (await kvEntries(prefix)).map((k) => k.name);
}

/** The keys under `prefix`, as {name, expiration} (unix seconds), sorted by name (see kvKeys). */
export async function kvEntries(prefix) {
  const stdout = await localKv(['list', '--prefix', prefix]);
  return JSON.parse(stdout).map(({ name, expiration }) => ({ name, expiration })).sort((a, b) => a.name.localeCompare(b.name));
}

/** Writes `value` under `key` in the Worker's local KV (`undefined`: deletes the key). */
export async function kvSet(key, value) {
  await localKv(value === undefined ? ['delete', key] : ['put', key, value]);
}

/** `wrangler kv key <args>` on the (Worker-mode) Worker's local KV; its output. */
async function localKv(args) {
  const state = process.env.WORKER_STATE_DIR;
  assert.ok(state, 'run under tests/e2e/run.mjs (WORKER_STATE_DIR)');
  const wrangler = fileURLToPath(new URL('../../node_modules/.bin/wrangler', import.meta.url));
  const { stdout } = await execFileP(wrangler, ['kv', 'key', ...args, '--binding', 'OAUTH_KV', '--local', '--persist-to', state,
    '--env', 'local'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 60000, maxBuffer: 16 << 20 });
  return stdout;
}
