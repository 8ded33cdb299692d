// The "front": a small HTTP server on 127.0.0.1:4100 that the Worker (and tests) talk to as if it
// were the WorkOS API. It forwards every request verbatim to WorkOS's official emulator
// (`workos emulate`, on 4101) and answers itself only where the emulator cannot serve us:
//
//  * POST /audit_logs/events — the emulator's version wants a non-spec body (a top-level
//    `action.name`) and answers 201 with the stored event, so a Worker that follows the WorkOS API
//    reference would be refused. The front is a stand-in for exactly this endpoint, following
//    /work/shared/reference/workos-api.md §5 (shapes, 401/422/404/200, Idempotency-Key for 24 h),
//    and records accepted events so tests can read them.
//  * /__control/* — test controls, never forwarded: recorded audit events, a log of the requests
//    that reached the front, and fault injection (WorkOS unreachable, slow, 429/5xx, a 200 whose
//    body is not JSON, a 200 cut off mid-body), which the
//    emulator has no notion of.
//
//  * POST /authkit/oauth2/complete — standalone Connect ("bring your own login"), which the
//    emulator lacks: a stand-in following /work/shared/reference/workos-api.md §3 (Bearer API key,
//    required `external_auth_id`, `user.id`, `user.email`; 422/404/400 `code`; 200
//    `{redirect_uri}` pointing at the AuthKit stand-in's /oauth2/continue, dev/authkit.mjs).
//    External auth ids exist once a test registers them (AuthKit creates them when it sends the
//    browser to the Login URI); each completes once.
//    Controls: POST /__control/authkit/external-auth {external_auth_id?} → {external_auth_id};
//    POST /__control/authkit/next-completion {redirect_uri} | {status, code?, message?} (the next
//    completion of a known id answers that instead); GET|DELETE /__control/authkit/completions.
import http, { STATUS_CODES } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { readBody, sendJson } from './http-json.mjs';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_REQUESTS_KEPT = 200;
const FAULT_MODES = new Set(['ok', 'down', 'slow', 'status', 'malformed', 'truncated']);

/** Raw header list ([k, v, k, v, …]) without hop-by-hop headers; keeps repeated ones (Set-Cookie). */
function endToEnd(raw) {
  const out = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (!HOP_BY_HOP.has(raw[i].toLowerCase())) out.push(raw[i], raw[i + 1]);
  }
  return out;
}


const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The body WorkOS sends for an injected status (reference §0.1). */
function faultBody(status) {
  if (status === 429) return { message: 'Too many requests.', code: 'rate_limit_exceeded' };
  if (status >= 500) return { message: 'Internal Server Error' };
  if (status === 401) return { message: 'Unauthorized', code: 'unauthorized' };
  return { message: STATUS_CODES[status] ?? 'Error' };
}

/** Normalises and checks a fault spec from POST /__control/fault; throws a readable Error. */
export function parseFault(spec) {
  if (!spec || typeof spec !== 'object') throw new Error('expected a JSON object');
  const mode = spec.mode ?? 'ok';
  if (!FAULT_MODES.has(mode)) throw new Error(`mode must be one of ${[...FAULT_MODES].join(', ')}`);
  if (mode === 'ok') return { mode };
  const fault = { mode };
  if (spec.paths !== undefined) {
    if (!Array.isArray(spec.paths) || !spec.paths.every((p) => typeof p === 'string' && p.startsWith('/'))) {
      throw new Error('paths must be an array of path prefixes starting with /');
    }
    fault.paths = spec.paths;
  }
  if (spec.times !== undefined) {
    if (!Number.isInteger(spec.times) || spec.times < 1) throw new Error('times must be a positive integer');
    fault.times = spec.times; // applies to the next N matching requests, then back to ok
  }
  if (mode === 'slow') {
    const d = spec.delayMs ?? 6000;
    if (!Number.isFinite(d) || d < 0 || d > 120000) throw new Error('delayMs must be 0..120000');
    fault.delayMs = d;
  }
  if (mode === 'status') {
    const s = spec.status ?? 503;
    if (!Number.isInteger(s) || s < 400 || s > 599) throw new Error('status must be an integer 400..599');
    fault.status = s;
  }
  if (spec.retryAfter !== undefined) fault.retryAfter = String(spec.retryAfter);
  return fault;
}

// ---- POST /audit_logs/events validation (reference §5) ----------------------------------------

const isMissing = (v) => v === undefined || v === null || v === '';
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

function metadataOk(m) {
  if (!isObject(m)) return false;
  const entries = Object.entries(m);
  return entries.length <= 50 && entries.every(([k, v]) => /^[a-zA-Z0-9_-]{0,40}$/.test(k)
    && ((typeof v === 'string' && v.length <= 500) || typeof v === 'number' || typeof v === 'boolean'));
}

/** `{missing: [field…]}` (→ 422), `{invalid: [instancePath…]}` (→ 400) or `{}` when acceptable. */
export function checkAuditEvent(body) {
  const missing = [];
  const need = (v, field) => { if (isMissing(v)) { missing.push(field); return false; } return true; };
  need(body.organization_id, 'organization_id');
  const e = body.event;
  if (need(e, 'event') && isObject(e)) {
    need(e.action, 'event.action');
    need(e.occurred_at, 'event.occurred_at');
    if (need(e.actor, 'event.actor') && isObject(e.actor)) {
      need(e.actor.id, 'event.actor.id');
      need(e.actor.type, 'event.actor.type');
    }
    if (need(e.targets, 'event.targets') && Array.isArray(e.targets)) {
      e.targets.forEach((t, i) => {
        if (isObject(t)) { need(t.id, `event.targets[${i}].id`); need(t.type, `event.targets[${i}].type`); }
      });
    }
    if (need(e.context, 'event.context') && isObject(e.context)) need(e.context.location, 'event.context.location');
  }
  if (missing.length) return { missing };

  const invalid = [];
  const check = (ok, path) => { if (!ok) invalid.push(path); };
  check(typeof body.organization_id === 'string', '/organization_id');
  if (!isObject(e)) return { invalid: [...invalid, '/event'] };
  check(typeof e.action === 'string', '/action');
  check(typeof e.occurred_at === 'string' && ISO_DATE_TIME.test(e.occurred_at) && !Number.isNaN(Date.parse(e.occurred_at)), '/occurred_at');
  check(e.version === undefined || Number.isInteger(e.version), '/version');
  check(isObject(e.actor) && typeof e.actor.id === 'string' && typeof e.actor.type === 'string'
    && (e.actor.name === undefined || typeof e.actor.name === 'string')
    && (e.actor.metadata === undefined || metadataOk(e.actor.metadata)), '/actor');
  check(Array.isArray(e.targets) && e.targets.every((t) => isObject(t) && typeof t.id === 'string' && typeof t.type === 'string'
    && (t.name === undefined || typeof t.name === 'string') && (t.metadata === undefined || metadataOk(t.metadata))), '/targets');
  check(isObject(e.context) && typeof e.context.location === 'string'
    && (e.context.user_agent === undefined || typeof e.context.user_agent === 'string'), '/context');
  check(e.metadata === undefined || metadataOk(e.metadata), '/metadata');
  return invalid.length ? { invalid } : {};
}

// ---- POST /authkit/oauth2/complete (reference §3) ----------------------------------------------

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A fresh id in AuthKit's shape (`ext_auth_` + 26 Crockford base32 characters). */
export function newExternalAuthId() {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  return `ext_auth_${[...randomBytes(26)].map((b) => alphabet[b % 32]).join('')}`;
}

/** `{status, body}` for a body that is not an acceptable completion request, else null. */
export function checkCompletion(body) {
  if (!isObject(body)) return { status: 422, body: { message: 'Validation failed: the body must be a JSON object.' } };
  const missing = [];
  if (typeof body.external_auth_id !== 'string' || !body.external_auth_id) missing.push('external_auth_id');
  if (!isObject(body.user)) missing.push('user');
  else {
    if (typeof body.user.id !== 'string' || !body.user.id) missing.push('user.id');
    if (typeof body.user.email !== 'string' || !body.user.email) missing.push('user.email');
    for (const f of ['first_name', 'last_name', 'name']) {
      if (body.user[f] !== undefined && body.user[f] !== null && typeof body.user[f] !== 'string') missing.push(`user.${f}`);
    }
    if (body.user.metadata !== undefined && !(isObject(body.user.metadata) && Object.keys(body.user.metadata).length <= 50
      && Object.values(body.user.metadata).every((v) => typeof v === 'string' && v.length <= 600))) missing.push('user.metadata');
  }
  if (body.user_consent_options !== undefined && !Array.isArray(body.user_consent_options)) missing.push('user_consent_options');
  if (missing.length) return { status: 422, body: { message: `Validation failed: ${missing.join(', ')} missing or invalid.` } };
  if (!EMAIL.test(body.user.email)) return { status: 400, body: { code: 'invalid_email', message: 'The email address is invalid.' } };
  return null;
}

// ---- the server ------------------------------------------------------------------------------

/**
 * @param {{upstream: string, apiKey: string, log?: (line: string) => void, logRequests?: boolean}} opts
 * upstream: the emulator's base URL (http://127.0.0.1:4101).
 */
export function createFront({ upstream, apiKey, log = () => {}, logRequests = false, authkitOrigin = 'http://127.0.0.1:4102' }) {
  const up = new URL(upstream);
  const externalAuth = new Map(); // external_auth_id → {completed: bool}
  const completions = [];      // every POST /authkit/oauth2/complete that passed the API key
  let nextCompletion = null;   // a one-shot answer for the next completion of a known id
  const events = [];          // accepted audit events
  const idempotency = new Map(); // key → {status, body, at}
  const requests = [];        // last MAX_REQUESTS_KEPT non-control requests
  let fault = { mode: 'ok' };

  const control = {
    auditEvents: () => structuredClone(events),
    clearAuditEvents() { const n = events.length; events.length = 0; idempotency.clear(); return n; },
    fault: () => ({ ...fault }),
    setFault(spec) { fault = parseFault(spec); log(`front: fault mode ${JSON.stringify(fault)}`); return { ...fault }; },
    requests: () => requests.map((r) => ({ ...r })),
    clearRequests() { const n = requests.length; requests.length = 0; return n; },
    newExternalAuth(id = newExternalAuthId()) {
      if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,200}$/.test(id)) throw new Error('external_auth_id must be 1–200 of [A-Za-z0-9_-]');
      externalAuth.set(id, { completed: false });
      return { external_auth_id: id };
    },
    setNextCompletion(spec) {
      if (!isObject(spec)) throw new Error('expected a JSON object');
      if (typeof spec.redirect_uri === 'string') nextCompletion = { redirect_uri: spec.redirect_uri };
      else if (Number.isInteger(spec.status) && spec.status >= 400 && spec.status <= 599) {
        const body = { ...(spec.code ? { code: spec.code } : {}), message: spec.message ?? (spec.code ? `Refused: ${spec.code}.` : STATUS_CODES[spec.status] ?? 'Error') };
        nextCompletion = { status: spec.status, body };
      } else if (spec.clear) nextCompletion = null;
      else throw new Error('expected {redirect_uri} or {status, code?, message?} or {clear: true}');
      return nextCompletion;
    },
    completions: () => structuredClone(completions),
    clearCompletions() { const n = completions.length; completions.length = 0; return n; },
  };

  function record(entry) {
    requests.push(entry);
    if (requests.length > MAX_REQUESTS_KEPT) requests.splice(0, requests.length - MAX_REQUESTS_KEPT);
    if (logRequests) log(`front: ${entry.method} ${entry.path} → ${entry.status ?? 'connection dropped'} (${entry.by})`);
  }

  /** The fault that applies to this path, consuming one of its `times`. */
  function faultFor(path) {
    if (fault.mode === 'ok') return null;
    if (fault.paths && !fault.paths.some((p) => path.startsWith(p))) return null;
    const applied = { ...fault };
    if (fault.times !== undefined && --fault.times <= 0) fault = { mode: 'ok' };
    return applied;
  }

  function forward(req, res, entry) {
    const upReq = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: endToEnd(req.rawHeaders) });
    upReq.on('response', (upRes) => {
      res.writeHead(upRes.statusCode, upRes.statusMessage, endToEnd(upRes.rawHeaders));
      upRes.pipe(res);
    });
    upReq.on('error', (err) => {
      log(`front: forwarding ${req.method} ${entry.path} failed: ${err.message}`);
      if (!res.headersSent) sendJson(res, 502, { message: 'Bad Gateway (the WorkOS emulator did not answer)' });
      else res.destroy();
    });
    res.on('close', () => { if (!res.writableFinished) upReq.destroy(); }); // the caller gave up
    req.pipe(upReq);
  }

  async function organizationExists(id) {
    const r = await fetch(new URL(`/organizations/${encodeURIComponent(id)}`, up), { headers: { authorization: `Bearer ${apiKey}` } });
    if (r.status === 200) return true;
    if (r.status === 404) return false;
    throw new Error(`GET /organizations/${id} → ${r.status}`);
  }

  /** Spec-conformant POST /audit_logs/events; returns {status, body} (cached per Idempotency-Key). */
  async function auditEvent(req, text) {
    let body;
    try { body = JSON.parse(text); } catch { return { status: 400, body: { message: 'Problems parsing JSON', code: 'invalid_request_body' } }; }
    if (!isObject(body)) return { status: 400, body: { message: 'Problems parsing JSON', code: 'invalid_request_body' } };
    const verdict = checkAuditEvent(body);
    if (verdict.missing) {
      return { status: 422, body: { message: 'Validation failed.', errors: verdict.missing.map((field) => ({ code: 'required', field })) } };
    }
    if (verdict.invalid) {
      return { status: 400, body: { message: 'Invalid Audit Log event.', code: 'invalid_audit_log_event', errors: verdict.invalid.map((instancePath) => ({ instancePath })) } };
    }
    if (!(await organizationExists(body.organization_id))) {
      return { status: 404, body: { message: `Organization not found: '${body.organization_id}'.` } };
    }
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) if (k !== 'authorization') headers[k] = v;
    events.push({ received_at: new Date().toISOString(), organization_id: body.organization_id, event: body.event, headers });
    return { status: 200, body: { success: true } };
  }

  async function handleAudit(req, res) {
    const requestId = req.headers['x-request-id'] ?? `req_${randomUUID()}`;
    const text = await readBody(req);
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      return sendJson(res, 401, { message: 'Unauthorized', code: 'unauthorized' }, { 'x-request-id': requestId });
    }
    const key = req.headers['idempotency-key'];
    const now = Date.now();
    for (const [k, v] of idempotency) if (now - v.at > IDEMPOTENCY_TTL_MS) idempotency.delete(k);
    // Same key ⇒ same response, and the event is recorded once (spec: keys expire after 24 h).
    let outcome = key ? idempotency.get(key) : undefined;
    if (!outcome) {
      outcome = { ...(await auditEvent(req, text)), at: now };
      if (key) idempotency.set(key, outcome);
    }
    sendJson(res, outcome.status, outcome.body, { 'x-request-id': requestId });
  }

  /** POST /authkit/oauth2/complete: {status, body}; records what passed the API key. */
  async function authkitComplete(req, text) {
    if (req.headers.authorization !== `Bearer ${apiKey}`) return { status: 401, body: { message: 'Unauthorized', code: 'unauthorized' } };
    let body;
    try { body = JSON.parse(text); } catch { body = undefined; }
    const record = { at: new Date().toISOString(), external_auth_id: body?.external_auth_id, user: body?.user, body, status: null };
    completions.push(record);
    const outcome = (() => {
      const refusal = checkCompletion(body);
      if (refusal) return refusal;
      const session = externalAuth.get(body.external_auth_id);
      if (!session) return { status: 404, body: { message: `External auth session not found: '${body.external_auth_id}'.` } };
      if (session.completed) {
        return { status: 400, body: { code: 'external_auth_session_already_completed', message: 'The external auth session has already been completed.' } };
      }
      if (nextCompletion) {
        const answer = nextCompletion;
        nextCompletion = null;
        if (answer.redirect_uri) {
          session.completed = true;
          return { status: 200, body: { redirect_uri: answer.redirect_uri } };
        }
        return { status: answer.status, body: answer.body };
      }
      session.completed = true;
      const state = randomBytes(24).toString('base64url');
      return { status: 200, body: { redirect_uri: `${authkitOrigin}/oauth2/continue?state=${state}` } };
    })();
    record.status = outcome.status;
    record.response = outcome.body;
    return outcome;
  }

  async function handleControl(req, res, path) {
    const route = `${req.method} ${path}`;
    if (route === 'GET /__control/audit-events') return sendJson(res, 200, { events: control.auditEvents() });
    if (route === 'DELETE /__control/audit-events') return sendJson(res, 200, { cleared: control.clearAuditEvents() });
    if (route === 'GET /__control/requests') return sendJson(res, 200, { requests: control.requests() });
    if (route === 'DELETE /__control/requests') return sendJson(res, 200, { cleared: control.clearRequests() });
    if (route === 'GET /__control/fault') return sendJson(res, 200, { fault: control.fault() });
    if (route === 'POST /__control/authkit/external-auth' || route === 'POST /__control/authkit/next-completion') {
      try {
        const spec = JSON.parse((await readBody(req)) || '{}');
        if (route.endsWith('external-auth')) return sendJson(res, 200, control.newExternalAuth(spec.external_auth_id));
        return sendJson(res, 200, { next: control.setNextCompletion(spec) });
      } catch (err) {
        return sendJson(res, 400, { message: `invalid control request: ${err.message}` });
      }
    }
    if (route === 'GET /__control/authkit/completions') return sendJson(res, 200, { completions: control.completions() });
    if (route === 'DELETE /__control/authkit/completions') return sendJson(res, 200, { cleared: control.clearCompletions() });
    if (route === 'POST /__control/fault') {
      try {
        return sendJson(res, 200, { fault: control.setFault(JSON.parse((await readBody(req)) || '{}')) });
      } catch (err) {
        return sendJson(res, 400, { message: `invalid fault: ${err.message}` });
      }
    }
    sendJson(res, 404, { message: `no control endpoint ${route}` });
  }

  const server = http.createServer(async (req, res) => {
    const { pathname: path, search: query } = new URL(req.url, 'http://front');
    try {
      if (path.startsWith('/__control/')) return await handleControl(req, res, path);
      const entry = { at: new Date().toISOString(), method: req.method, path, query, status: null, by: 'emulator' };
      res.on('finish', () => { entry.status = res.statusCode; });
      res.on('close', () => record(entry));

      const f = faultFor(path);
      if (f?.mode === 'down') {
        entry.by = 'fault:down';
        req.socket.destroy(); // no answer at all: the caller sees a network failure
        return;
      }
      if (f?.mode === 'status') {
        entry.by = `fault:${f.status}`;
        const headers = f.retryAfter !== undefined ? { 'retry-after': f.retryAfter } : {};
        req.resume();
        return sendJson(res, f.status, faultBody(f.status), { 'x-request-id': `req_${randomUUID()}`, ...headers });
      }
      if (f?.mode === 'malformed') {
        // A proxy's HTML page where JSON was expected, with a success status.
        entry.by = 'fault:malformed';
        req.resume();
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<html><body>502 Bad Gateway (upstream)</body></html>');
      }
      if (f?.mode === 'truncated') {
        // Headers promise 400 bytes of JSON; 30 arrive, then the connection drops.
        entry.by = 'fault:truncated';
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '400' });
        res.write('{"object":"user","id":"user_01');
        return setTimeout(() => res.destroy(), 50);
      }
      if (f?.mode === 'slow') {
        entry.by = `fault:slow ${f.delayMs}ms → emulator`;
        await sleep(f.delayMs);
        if (res.destroyed) return; // the caller gave up meanwhile
      }
      if (req.method === 'POST' && path === '/audit_logs/events') {
        entry.by = entry.by === 'emulator' ? 'front' : entry.by.replace('emulator', 'front');
        return await handleAudit(req, res);
      }
      if (path === '/authkit/oauth2/complete') {
        entry.by = entry.by === 'emulator' ? 'front' : entry.by.replace('emulator', 'front');
        const text = await readBody(req);
        if (req.method !== 'POST') return sendJson(res, 405, { message: 'Method Not Allowed' }, { allow: 'POST' });
        const { status, body } = await authkitComplete(req, text);
        return sendJson(res, status, body, { 'x-request-id': req.headers['x-request-id'] ?? `req_${randomUUID()}` });
      }
      forward(req, res, entry);
    } catch (err) {
      log(`front: ${req.method} ${path} failed: ${err.stack ?? err}`);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    }
  });

  return {
    server,
    control,
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => { server.off('error', reject); resolve(server.address().port); });
      });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
