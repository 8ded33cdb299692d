// The "front": a small HTTP server on 127.0.0.1:4100 that the Worker (and tests) talk to as if it
// were the WorkOS API. In front of WorkOS's official emulator (`workos emulate`, on 4101) it does
// three things:
//
//  * Holds every request against WorkOS's OpenAPI document (dev/contract.mjs): a request the
//    document does not allow is answered 400 `contract_violation` (naming the operation and the
//    field) and recorded; tests/e2e/run.mjs prints the operations exercised and fails the run on
//    any violation. A request with `X-Contract: expect-violation` is a test of the check itself:
//    the violation is expected (and it is a failure if none is found). `X-Contract: skip` is for
//    tests of the stand-ins' own error answers (deliberately invalid bodies).
//  * Answers as production WorkOS does where the emulator does not (dev/workos-corrections.mjs:
//    organization scoping and selection at the code exchange, role permissions, audit events
//    validated against configured action schemas, AuthKit's "bring your own login" completion),
//    and forwards everything else verbatim.
//  * /__control/* — test controls, never forwarded: recorded audit events and action schemas,
//    the contract report, a log of the requests that reached the front, AuthKit completions, and
//    fault injection (WorkOS unreachable, slow, 429/5xx, a 200 whose body is not JSON, a 200 cut
//    off mid-body), which the emulator has no notion of.
//    AuthKit: POST /__control/authkit/external-auth {external_auth_id?} → {external_auth_id};
//    POST /__control/authkit/next-completion {redirect_uri} | {status, code?, message?} (the next
//    completion of a known id answers that instead); GET|DELETE /__control/authkit/completions.
//    Audit schemas: GET /__control/audit-schemas; PUT /__control/audit-schemas {action, targets}
//    ({targets: null} removes the action's schema).
//    Contract: GET /__control/contract → {operations: [{operation, callers, count}], violations, probes}.
//    Webhooks (dev/webhooks.mjs): PUT /__control/webhook {url, secret}; POST /__control/webhook/send
//    {event, data, id?, signature?} → the Worker's answer; GET /__control/webhook/deliveries.
import http, { STATUS_CODES } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readBody, sendJson } from './http-json.mjs';
import { loadContract } from './contract.mjs';
import { createCorrections } from './workos-corrections.mjs';
import { createWebhooks } from './webhooks.mjs';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
/** Not part of WorkOS's API: the emulator's own health check. */
const UNCHECKED_PATHS = new Set(['/health']);
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

/** The body WorkOS sends for an injected status. */
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

// ---- the server ------------------------------------------------------------------------------

/** Who sent a request, for the contract report: the Worker names itself in its User-Agent. */
function caller(headers) {
  const ua = headers['user-agent'] ?? '';
  if (ua.startsWith('mcp-authkit-worker/')) return 'worker';
  if (/Mozilla|Chrome/.test(ua)) return 'browser';
  return 'test';
}

/**
 * @param {{upstream: string, apiKey: string, log?: (line: string) => void, logRequests?: boolean,
 *   authkitOrigin?: string, contract?: boolean}} opts
 * upstream: the emulator's base URL (http://127.0.0.1:4101). `contract: false` turns the
 * OpenAPI check off (a front in front of something that is not WorkOS, in the front's own tests).
 */
export function createFront({ upstream, apiKey, log = () => {}, logRequests = false, authkitOrigin = 'http://127.0.0.1:4102', contract = true }) {
  const up = new URL(upstream);
  const corrections = createCorrections({ upstream: up, apiKey, authkitOrigin, log });
  const spec = contract ? loadContract() : null;
  const exercised = new Map(); // "METHOD /template" → {operation, operationId, callers: Set, count}
  const violations = [];      // requests the document does not allow (fail the run)
  const probes = [];          // deliberate violations (X-Contract: expect-violation), found or missed
  const requests = [];        // last MAX_REQUESTS_KEPT non-control requests
  let fault = { mode: 'ok' };
  const webhooks = createWebhooks({ log });

  const control = {
    ...corrections.control,
    fault: () => ({ ...fault }),
    setFault(spec) { fault = parseFault(spec); log(`front: fault mode ${JSON.stringify(fault)}`); return { ...fault }; },
    requests: () => requests.map((r) => ({ ...r })),
    clearRequests() { const n = requests.length; requests.length = 0; return n; },
    contract: () => ({
      operations: [...exercised.values()].map((o) => ({ ...o, callers: [...o.callers].sort() })).sort((a, b) => a.operation.localeCompare(b.operation)),
      violations: structuredClone(violations),
      probes: structuredClone(probes),
    }),
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

  /** Checks the request against the document; returns the 400 answer for a violation, or null. */
  function checkContract(req, path, text) {
    const mode = req.headers['x-contract'];
    if (!spec || mode === 'skip' || UNCHECKED_PATHS.has(path)) return null;
    const { operation, problems } = spec.check({ method: req.method, url: req.url, contentType: req.headers['content-type'], body: text });
    const who = caller(req.headers);
    const name = operation ? `${operation.method} ${operation.path}` : `${req.method} ${path}`;
    const unique = [...new Set(problems)];
    if (mode === 'expect-violation') {
      probes.push({ operation: name, problems: unique, caught: unique.length > 0 });
      if (!unique.length) log(`front: contract check MISSED a deliberate violation: ${name}`);
    } else if (operation) {
      const o = exercised.get(name) ?? { operation: name, operationId: operation.operationId, callers: new Set(), count: 0 };
      o.callers.add(who);
      o.count += 1;
      exercised.set(name, o);
    }
    if (!unique.length) return null;
    const message = `${name}${operation ? ` (${operation.operationId})` : ''} does not match WorkOS's OpenAPI document: ${unique.join('; ')}`;
    if (mode !== 'expect-violation') {
      violations.push({ at: new Date().toISOString(), operation: name, caller: who, problems: unique });
      log(`front: CONTRACT VIOLATION by ${who}: ${message}`);
    }
    return { status: 400, body: { code: 'contract_violation', message, problems: unique } };
  }

  function forward(req, res, entry, body) {
    const upReq = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: endToEnd(req.rawHeaders) });
    upReq.on('response', (upRes) => {
      if (entry.path === '/user_management/authorize' && upRes.statusCode === 302) {
        corrections.observeAuthorize(entry.query.replace(/^\?/, ''), upRes.headers.location);
      }
      res.writeHead(upRes.statusCode, upRes.statusMessage, endToEnd(upRes.rawHeaders));
      upRes.pipe(res);
    });
    upReq.on('error', (err) => {
      log(`front: forwarding ${req.method} ${entry.path} failed: ${err.message}`);
      if (!res.headersSent) sendJson(res, 502, { message: 'Bad Gateway (the WorkOS emulator did not answer)' });
      else res.destroy();
    });
    res.on('close', () => { if (!res.writableFinished) upReq.destroy(); }); // the caller gave up
    upReq.end(body);
  }

  async function handleControl(req, res, path) {
    const route = `${req.method} ${path}`;
    const jsonBody = async () => JSON.parse((await readBody(req)) || '{}');
    const attempt = async (fn) => {
      try { return sendJson(res, 200, await fn()); } catch (err) { return sendJson(res, 400, { message: `invalid control request: ${err.message}` }); }
    };
    switch (route) {
      case 'GET /__control/audit-events': return sendJson(res, 200, { events: control.auditEvents() });
      case 'DELETE /__control/audit-events': return sendJson(res, 200, { cleared: control.clearAuditEvents() });
      case 'GET /__control/audit-schemas': return sendJson(res, 200, { schemas: control.auditSchemas() });
      case 'PUT /__control/audit-schemas': return attempt(async () => { const b = await jsonBody(); return { action: b.action, targets: control.setAuditSchema(b.action, b.targets) }; });
      case 'GET /__control/requests': return sendJson(res, 200, { requests: control.requests() });
      case 'DELETE /__control/requests': return sendJson(res, 200, { cleared: control.clearRequests() });
      case 'GET /__control/contract': return sendJson(res, 200, control.contract());
      case 'GET /__control/fault': return sendJson(res, 200, { fault: control.fault() });
      case 'POST /__control/fault':
        try {
          return sendJson(res, 200, { fault: control.setFault(await jsonBody()) });
        } catch (err) {
          return sendJson(res, 400, { message: `invalid fault: ${err.message}` });
        }
      case 'POST /__control/authkit/external-auth': return attempt(async () => control.newExternalAuth((await jsonBody()).external_auth_id));
      case 'POST /__control/authkit/next-completion': return attempt(async () => ({ next: control.setNextCompletion(await jsonBody()) }));
      case 'GET /__control/authkit/completions': return sendJson(res, 200, { completions: control.completions() });
      case 'DELETE /__control/authkit/completions': return sendJson(res, 200, { cleared: control.clearCompletions() });
      case 'PUT /__control/webhook': return attempt(async () => webhooks.setEndpoint(await jsonBody()));
      case 'POST /__control/webhook/send': return attempt(async () => webhooks.send(await jsonBody()));
      case 'GET /__control/webhook/deliveries': return sendJson(res, 200, { deliveries: webhooks.deliveries() });
      default: return sendJson(res, 404, { message: `no control endpoint ${route}` });
    }
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
      const text = await readBody(req);
      const refused = checkContract(req, path, text);
      if (refused) {
        entry.by = 'contract';
        return sendJson(res, refused.status, refused.body, { 'x-request-id': req.headers['x-request-id'] ?? `req_${randomUUID()}` });
      }
      const answer = await corrections.answer({ method: req.method, path, url: req.url, headers: req.headers, text });
      if (answer) {
        entry.by = entry.by.replace('emulator', 'front');
        return sendJson(res, answer.status, answer.body, { 'x-request-id': req.headers['x-request-id'] ?? `req_${randomUUID()}`, ...answer.headers });
      }
      forward(req, res, entry, text);
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
