#!/usr/bin/env node
// The local WorkOS API: WorkOS's official emulator (`workos emulate`, hidden command of the pinned
// `workos` npm CLI) on 127.0.0.1:4101, seeded with demo data, behind the front (dev/front.mjs) on
// 127.0.0.1:4100, which is what the Worker's WORKOS_API_BASE_URL points at.
//
//   node dev/emulator.mjs [--log-requests]   start, print the seeded ids, run until SIGINT/SIGTERM
//   import { startWorkosStack } from './dev/emulator.mjs'   the same from tests (tests/e2e/run.mjs)
//
// Why a front: the emulator lacks a spec-conformant `POST /audit_logs/events` (it expects a
// top-level `action.name`), and has no fault injection; the front answers those itself and
// forwards everything else untouched (see dev/front.mjs), and it also answers what the emulator
// lacks entirely (`POST /authkit/oauth2/complete`). Beside them, the AuthKit-domain stand-in
// (dev/authkit.mjs) on 127.0.0.1:4102: discovery, JWKS and token minting for AuthKit mode
// (`WORKOS_AUTHKIT_DOMAIN=http://127.0.0.1:4102`).
//
// Seeded: organizations Acme and Globex; Alice (Acme admin, with image_generation), Bob (Acme
// member) and Carol (Acme admin and Globex member — the organization picker's user).
// Seeding follows what was found to work with emulator 0.14.0: users come from dev/workos-seed.yaml;
// permission, roles, role permissions, organization and memberships via the management API (the
// seed file cannot reference generated user ids). The emulator is in-memory, so every start is
// fresh and seeding is never repeated against the same instance. A real sign-in round trip then
// proves the seed gives Alice admin + image_generation and Bob member without it — if not, the
// start fails loudly rather than letting tests fail obscurely later.
import path from 'node:path';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createFront } from './front.mjs';
import { createAuthkit } from './authkit.mjs';
import { spawnNode, stopChild, eachLine } from './child.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const API_KEY = 'sk_test_default';
/** Any client id works with the emulator; this one is also what the e2e Worker is configured with. */
export const CLIENT_ID = 'client_01LOCALEMULATOR';
const PERMISSION = 'image_generation';
const USERS = {
  alice: { email: 'alice@example.com', role: 'admin' },
  bob: { email: 'bob@example.com', role: 'member' },
  // Also a member of Globex: WorkOS asks her which organization to sign in to.
  carol: { email: 'carol@example.com', role: 'admin', globex: 'member' },
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Fails unless `port` can be bound. Needed because the emulator prints its "ready" JSON line
 * before it binds, so a port held by a leftover emulator would otherwise go unnoticed (and we
 * would seed that one).
 */
export function assertPortFree(port, host) {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err) => reject(new Error(`port ${port} is not available (${err.code}) — is another WorkOS stack or Worker still running?`)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(resolve));
  });
}

/** Starts the emulator child and resolves once its --json line is printed and /health answers. */
async function startEmulator(port, log) {
  const child = spawnNode([path.join(ROOT, 'node_modules/.bin/workos'),
    'emulate', '--port', String(port), '--seed', path.join(ROOT, 'dev/workos-seed.yaml'), '--json'], { cwd: ROOT });
  const stderr = [];
  let announced;
  const ready = new Promise((resolve) => { announced = resolve; });
  eachLine(child.stdout, (line) => {
    try {
      const info = JSON.parse(line);
      if (info?.health) return announced(info);
    } catch { /* not the JSON line */ }
    log(`emulator: ${line}`);
  });
  eachLine(child.stderr, (line) => { stderr.push(line); log(`emulator: ${line}`); });

  let timer;
  const outcome = await Promise.race([
    ready,
    child.exited.then(({ code, signal }) => ({ exited: `exited (${signal ?? code})` })),
    new Promise((resolve) => { timer = setTimeout(resolve, 30000, { exited: 'printed nothing within 30 s' }); }),
  ]);
  clearTimeout(timer);
  if (outcome.exited) {
    await stopChild(child);
    const tail = stderr.slice(-15).join('\n');
    throw new Error(`the WorkOS emulator (workos emulate --port ${port}) ${outcome.exited}${tail ? `:\n${tail}` : ''}`);
  }
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) return { child, base };
    } catch { /* not listening yet */ }
    if (i >= 50) {
      await stopChild(child);
      throw new Error(`the WorkOS emulator announced itself but ${base}/health did not answer within 5 s`);
    }
    await sleep(100);
  }
}

/** A minimal client for the emulator's management API; any non-2xx throws with the body. */
function managementApi(base) {
  return async (method, apiPath, body) => {
    const r = await fetch(`${base}${apiPath}`, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`seeding: ${method} ${apiPath} → ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

async function seed(base) {
  const api = managementApi(base);
  await api('POST', '/authorization/permissions', { slug: PERMISSION, name: 'Image generation' });
  await api('POST', '/authorization/roles', { slug: 'admin', name: 'Admin' });
  await api('POST', '/authorization/roles', { slug: 'member', name: 'Member' });
  // Permissions given when creating a role are ignored; this call is what attaches them.
  await api('POST', '/authorization/roles/admin/permissions', { permissions: [PERMISSION] });
  const org = await api('POST', '/organizations', { name: 'Acme' });
  const globex = await api('POST', '/organizations', { name: 'Globex' });
  const users = {};
  for (const [name, { email, role, globex: globexRole }] of Object.entries(USERS)) {
    const list = await api('GET', `/user_management/users?email=${encodeURIComponent(email)}`);
    const user = list.data.find((u) => u.email === email);
    if (!user) throw new Error(`seeding: ${email} is missing — is dev/workos-seed.yaml intact?`);
    await api('POST', '/user_management/organization_memberships', { user_id: user.id, organization_id: org.id, role_slug: role });
    if (globexRole) await api('POST', '/user_management/organization_memberships', { user_id: user.id, organization_id: globex.id, role_slug: globexRole });
    users[name] = { id: user.id, email };
  }
  return { organizationId: org.id, globexOrganizationId: globex.id, users };
}

const jwtPayload = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));

/** One sign-in as a browser + Worker would do it; returns the organization-scoped token's claims. */
async function signInClaims(base, email, organizationId) {
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL('/user_management/authorize', base);
  Object.entries({
    client_id: CLIENT_ID, provider: 'authkit', response_type: 'code', state: 'seed-check', login_hint: email,
    redirect_uri: 'http://127.0.0.1:8788/callback', code_challenge_method: 'S256',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
  }).forEach(([k, v]) => authorize.searchParams.set(k, v));
  const redirect = await fetch(authorize, { redirect: 'manual' });
  const code = redirect.status === 302 && new URL(redirect.headers.get('location')).searchParams.get('code');
  if (!code) throw new Error(`seed check: authorize for ${email} → ${redirect.status} ${redirect.headers.get('location')}`);

  const authenticate = async (body) => {
    const r = await fetch(new URL('/user_management/authenticate', base), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: CLIENT_ID, client_secret: API_KEY, ...body }),
    });
    if (!r.ok) throw new Error(`seed check: authenticate (${body.grant_type}) for ${email} → ${r.status} ${await r.text()}`);
    return r.json();
  };
  const first = await authenticate({ grant_type: 'authorization_code', code, code_verifier: verifier });
  if (first.user?.email !== email) throw new Error(`seed check: login_hint ${email} signed in ${first.user?.email}`);
  const scoped = await authenticate({ grant_type: 'refresh_token', refresh_token: first.refresh_token, organization_id: organizationId });
  return jwtPayload(scoped.access_token);
}

async function verifySeed(base, seeded) {
  const problems = [];
  for (const [name, { email, role }] of Object.entries(USERS)) {
    const claims = await signInClaims(base, email, seeded.organizationId);
    const perms = claims.permissions ?? [];
    if (claims.sub !== seeded.users[name].id) problems.push(`${email}: sub ${claims.sub}`);
    if (claims.org_id !== seeded.organizationId) problems.push(`${email}: org_id ${claims.org_id}`);
    if (claims.role !== role) problems.push(`${email}: role ${claims.role}, expected ${role}`);
    const wantPerms = role === 'admin' ? [PERMISSION] : [];
    if (JSON.stringify(perms) !== JSON.stringify(wantPerms)) {
      problems.push(`${email}: permissions ${JSON.stringify(perms)}, expected ${JSON.stringify(wantPerms)}`);
    }
  }
  if (problems.length) throw new Error(`the seeded emulator does not behave as expected:\n  ${problems.join('\n  ')}`);
}

/**
 * Starts emulator + seeding + front. `log` receives one line per step (and the children's output).
 * Also starts the AuthKit-domain stand-in (dev/authkit.mjs) on `authkitPort`.
 * @returns {Promise<{url: string, apiKey: string, seeded: object, control: object, authkitUrl: string, authkit: object,
 *   stop: () => Promise<void>, exited: Promise<{code: number|null, signal: string|null}>}>}
 */
export async function startWorkosStack({ port = 4100, emulatorPort = 4101, authkitPort = 4102, log = () => {}, logRequests = false } = {}) {
  log('starting WorkOS emulator…');
  await assertPortFree(port, '127.0.0.1');
  await assertPortFree(authkitPort, '127.0.0.1');
  await assertPortFree(emulatorPort, '::'); // the emulator binds all interfaces
  const { child, base } = await startEmulator(emulatorPort, log);
  let front;
  let authkit;
  const stop = async () => {
    await authkit?.close();
    await front?.close();
    await stopChild(child);
  };
  try {
    const seeded = await seed(base);
    await verifySeed(base, seeded);
    const { alice, bob, carol } = seeded.users;
    log(`seeded: org Acme ${seeded.organizationId}, org Globex ${seeded.globexOrganizationId}, alice (admin) ${alice.id}, bob (member) ${bob.id}, carol (Acme admin, Globex member) ${carol.id}`);

    authkit = createAuthkit({ port: authkitPort, log });
    await authkit.listen().catch((err) => {
      throw new Error(`cannot listen on 127.0.0.1:${authkitPort} (${err.code ?? err.message}) — is another stack still running?`);
    });
    log(`AuthKit stand-in on ${authkit.origin}`);
    front = createFront({ upstream: base, apiKey: API_KEY, log, logRequests, authkitOrigin: authkit.origin });
    await front.listen(port).catch((err) => {
      throw new Error(`cannot listen on 127.0.0.1:${port} (${err.code ?? err.message}) — is another stack still running?`);
    });
    const url = `http://127.0.0.1:${port}`;
    const health = await fetch(`${url}/health`);
    if (!health.ok) throw new Error(`${url}/health through the front → ${health.status}`);
    log(`WorkOS API on ${url}`);
    // `exited` settles if the emulator dies on its own (or is stopped), so callers can react.
    return { url, apiKey: API_KEY, seeded, control: front.control, authkitUrl: authkit.origin, authkit: authkit.control, stop, exited: child.exited };
  } catch (err) {
    await stop();
    throw err;
  }
}

const READY_LINE = 'WORKOS_STACK_READY';

/**
 * The same stack in a process of its own (this file's command line), for a caller whose own
 * event loop must not serve WorkOS's requests (the benchmark: production's WorkOS answers on
 * other machines, and a front in the measuring process would charge each WorkOS request it
 * serves — the OpenAPI check, the stand-ins — to the client's timings). Its controls are the
 * front's HTTP ones; `control.contract()` is a promise here.
 * @returns {Promise<{url: string, seeded: object, authkitUrl: string, control: {contract: () => Promise<object>},
 *   stop: () => Promise<void>, exited: Promise<{code: number|null, signal: string|null}>}>}
 */
export async function startWorkosStackProcess({ log = () => {}, logRequests = false } = {}) {
  const args = [fileURLToPath(import.meta.url), '--ready-line', ...(logRequests ? ['--log-requests'] : [])];
  const child = spawnNode(args);
  const ready = new Promise((resolve, reject) => {
    const onLine = (line) => {
      if (line.startsWith(`${READY_LINE} `)) resolve(JSON.parse(line.slice(READY_LINE.length + 1)));
      else log(line);
    };
    eachLine(child.stdout, onLine);
    eachLine(child.stderr, onLine);
    child.exited.then(({ code, signal }) => reject(new Error(`the WorkOS stack's process exited (${signal ?? code}) before it was ready`)));
  });
  try {
    const { url, seeded, authkitUrl } = await ready;
    const contract = async () => (await fetch(`${url}/__control/contract`)).json();
    return { url, seeded, authkitUrl, control: { contract }, stop: () => stopChild(child), exited: child.exited };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

async function main() {
  const log = (line) => console.log(line);
  let stack;
  let stopping = false;
  const shutdown = async (why) => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${why})…`);
    await stack?.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  // If whoever started us dies without stopping us (e.g. scripts/dev.sh killed with SIGKILL), we
  // are re-parented: stop then, rather than holding ports 4100/4101 forever.
  const parent = process.ppid;
  setInterval(() => { if (process.ppid !== parent) shutdown('parent process gone'); }, 1000).unref();
  try {
    stack = await startWorkosStack({ log, logRequests: process.argv.includes('--log-requests') });
  } catch (err) {
    console.error(`WorkOS emulator stack failed to start: ${err.message}`);
    process.exit(1);
  }
  // --ready-line: one line for a parent process that started the stack (startWorkosStackProcess).
  if (process.argv.includes('--ready-line')) {
    log(`${READY_LINE} ${JSON.stringify({ url: stack.url, seeded: stack.seeded, authkitUrl: stack.authkitUrl })}`);
  }
  stack.exited.then(async ({ code, signal }) => {
    if (stopping) return;
    console.error(`the WorkOS emulator exited unexpectedly (${signal ?? code}); stopping`);
    stopping = true;
    await stack.stop();
    process.exit(1);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
