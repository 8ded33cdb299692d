// Where the WorkOS emulator answers differently from production WorkOS (its OpenAPI document and
// its API reference), the front (dev/front.mjs) answers as production does.
// Each correction is a handler `(request) → answer | null` (null: forward to the emulator as is):
//
//  * POST /user_management/authenticate, grant authorization_code — the emulator never scopes a
//    code exchange to an organization. WorkOS does: the organization named at authorize
//    (`organization_id`), else the user's only active membership; a user with several active
//    memberships gets 403 `organization_selection_required` with a `pending_authentication_token`
//    and the `organizations` to choose from.
//  * the same endpoint, grant urn:workos:oauth:grant-type:organization-selection — the emulator
//    knows no pending tokens (it never issues them): the front finishes its own, once, within
//    10 minutes; an unknown token → 400 `invalid_pending_authentication_token`, an organization
//    not offered → 400 `invalid_organization_id`.
//  * GET /authorization/roles/{slug} and /authorization/organizations/{id}/roles/{slug} — the
//    emulator leaves out `permissions`, which the document makes required: the front fills it in.
//  * PUT /authorization/roles/{slug}/permissions — replaces an environment role's permissions;
//    the emulator has no PUT and does the same with a POST of that body (where the document's
//    POST adds one permission): the front sends it that, and answers the role, as WorkOS does.
//  * GET /user_management/organization_memberships — the emulator's items lack `user` and
//    `directory_managed` (both required by the document) and `organization_name` (which WorkOS
//    sends): the front fills them in.
//  * POST /audit_logs/events — the emulator wants a non-spec body; the front is a stand-in
//    (401/422/400/404/200, Idempotency-Key for 24 h) that also validates each event
//    against the action's schema "configured in the dashboard" (`auditSchemas`): an action
//    without one, or a target type it does not list, is 400 `invalid_audit_log_event`.
//  * POST /authkit/oauth2/complete — missing from the emulator: a stand-in that,
//    like WorkOS, reads `user.id` as the person's external id and upserts by it: the user with
//    that `external_id`, else a new user — refused with 400 `email_not_available` when another
//    user already has the email.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  DEFAULT_AUDIT_SCHEMAS, checkAuditEvent, checkCompletion, isObject,
} from './workos-checks.mjs';

const PENDING_TTL_MS = 10 * 60 * 1000;
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
export const ORGANIZATION_SELECTION = 'urn:workos:oauth:grant-type:organization-selection';

/** A fresh id in AuthKit's shape (`ext_auth_` + 26 Crockford base32 characters). */
export function newExternalAuthId() {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  return `ext_auth_${[...randomBytes(26)].map((b) => alphabet[b % 32]).join('')}`;
}

/**
 * @param {{upstream: URL, apiKey: string, authkitOrigin: string, log?: (line: string) => void}} opts
 */
export function createCorrections({ upstream, apiKey, authkitOrigin, log = () => {} }) {
  const codeOrganizations = new Map(); // authorization code → organization_id asked for at authorize
  const pending = new Map();           // pending_authentication_token → {refreshToken, clientId, user, organizations, method, at}
  const externalAuth = new Map();      // external_auth_id → {completed: bool}
  const completions = [];              // every POST /authkit/oauth2/complete that passed the API key
  let nextCompletion = null;           // a one-shot answer for the next completion of a known id
  const events = [];                   // accepted audit events
  const idempotency = new Map();       // key → {status, body, at}
  const auditSchemas = new Map(Object.entries(DEFAULT_AUDIT_SCHEMAS).map(([a, t]) => [a, new Set(t)]));

  /** The emulator, with the API key (or the caller's credentials); `{status, json}`. */
  async function emulator(method, path, body, authorization = `Bearer ${apiKey}`) {
    const r = await fetch(new URL(path, upstream), {
      method,
      headers: { ...(authorization ? { authorization } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: r.status, json, text };
  }

  async function activeMemberships(userId) {
    const all = [];
    let after = null;
    for (let page = 0; page < 20; page++) {
      const q = new URLSearchParams({ user_id: userId, statuses: 'active', limit: '100', ...(after ? { after } : {}) });
      const r = await emulator('GET', `/user_management/organization_memberships?${q}`);
      if (r.status !== 200) throw new Error(`listing memberships → ${r.status} ${r.text}`);
      all.push(...r.json.data.filter((m) => m.status === 'active'));
      after = r.json.list_metadata?.after;
      if (!after || r.json.data.length < 100) break;
    }
    return all;
  }

  /** The emulator's organization-scoped answer for a refresh token (how the front scopes a session). */
  async function scoped(body, refreshToken, organizationId, authenticationMethod) {
    const r = await emulator('POST', '/user_management/authenticate', {
      grant_type: 'refresh_token', client_id: body.client_id, client_secret: body.client_secret ?? apiKey,
      refresh_token: refreshToken, organization_id: organizationId,
    });
    if (r.status === 200 && authenticationMethod) r.json.authentication_method = authenticationMethod;
    return { status: r.status, body: r.json ?? { message: r.text } };
  }

  async function organizationName(id) {
    const r = await emulator('GET', `/organizations/${encodeURIComponent(id)}`);
    return r.status === 200 ? r.json.name : '';
  }

  /** authorization_code: forward, then scope the answer as WorkOS would. */
  async function codeExchange(body) {
    const r = await emulator('POST', '/user_management/authenticate', body);
    if (r.status !== 200) return { status: r.status, body: r.json ?? { message: r.text } };
    const asked = codeOrganizations.get(body.code);
    codeOrganizations.delete(body.code);
    const memberships = await activeMemberships(r.json.user.id);
    const method = r.json.authentication_method;
    if (asked) {
      if (!memberships.some((m) => m.organization_id === asked)) return { status: 200, body: r.json };
      return scoped(body, r.json.refresh_token, asked, method);
    }
    if (memberships.length === 0) return { status: 200, body: r.json };
    if (memberships.length === 1) return scoped(body, r.json.refresh_token, memberships[0].organization_id, method);
    const organizations = [];
    for (const m of memberships) organizations.push({ id: m.organization_id, name: m.organization_name ?? await organizationName(m.organization_id) });
    const token = `pending_${randomBytes(18).toString('base64url')}`;
    pending.set(token, { refreshToken: r.json.refresh_token, user: r.json.user, organizations, method, at: Date.now() });
    log(`front: ${r.json.user.email} belongs to ${organizations.length} organizations → organization_selection_required`);
    return {
      status: 403,
      body: {
        code: 'organization_selection_required',
        message: 'The user must choose an organization to finish their authentication.',
        pending_authentication_token: token,
        organizations,
        user: r.json.user,
      },
    };
  }

  async function organizationSelection(body) {
    const entry = pending.get(body.pending_authentication_token);
    pending.delete(body.pending_authentication_token); // one attempt per token
    if (!entry || Date.now() - entry.at > PENDING_TTL_MS) {
      return { status: 400, body: { code: 'invalid_pending_authentication_token', message: 'Invalid pending authentication token' } };
    }
    if (!entry.organizations.some((o) => o.id === body.organization_id)) {
      return { status: 400, body: { code: 'invalid_organization_id', message: `The user is not a member of organization '${body.organization_id}'.` } };
    }
    return scoped(body, entry.refreshToken, body.organization_id, entry.method);
  }

  /** GET …/roles/{slug}: the role with its `permissions` (required by the document). */
  async function role(path, authorization) {
    const r = await emulator('GET', path, undefined, authorization);
    if (r.status !== 200 || !isObject(r.json) || Array.isArray(r.json.permissions)) return { status: r.status, body: r.json ?? { message: r.text } };
    const list = await emulator('GET', `${path}/permissions?limit=100`);
    if (list.status !== 200) throw new Error(`GET ${path}/permissions → ${list.status} ${list.text}`);
    return { status: 200, body: { ...r.json, permissions: list.json.data.map((p) => p.slug) } };
  }

  /**
   * PUT /authorization/roles/{slug}/permissions: the emulator replaces them on a POST. It empties
   * the list before it finds an unknown slug, so unknown ones are refused here first (404).
   */
  async function setRolePermissions(path, authorization, body) {
    for (const slug of body.permissions) {
      const known = await emulator('GET', `/authorization/permissions/${encodeURIComponent(slug)}`, undefined, authorization);
      if (known.status !== 200) return { status: known.status, body: known.json ?? { message: known.text } };
    }
    const r = await emulator('POST', path, body, authorization);
    if (r.status !== 200) return { status: r.status, body: r.json ?? { message: r.text } };
    return role(path.slice(0, -'/permissions'.length), authorization);
  }

  /** The membership list, each item with its `user` and `directory_managed`. */
  async function memberships(url, authorization) {
    const r = await emulator('GET', url, undefined, authorization);
    if (r.status !== 200 || !Array.isArray(r.json?.data)) return { status: r.status, body: r.json ?? { message: r.text } };
    const users = new Map();
    const names = new Map();
    for (const m of r.json.data) {
      if (m.organization_name === undefined) {
        if (!names.has(m.organization_id)) names.set(m.organization_id, await organizationName(m.organization_id));
        m.organization_name = names.get(m.organization_id);
      }
      if (!m.user) {
        if (!users.has(m.user_id)) {
          const u = await emulator('GET', `/user_management/users/${encodeURIComponent(m.user_id)}`);
          if (u.status !== 200) throw new Error(`GET users/${m.user_id} → ${u.status}`);
          users.set(m.user_id, u.json);
        }
        m.user = users.get(m.user_id);
      }
      m.directory_managed ??= false;
    }
    return { status: 200, body: r.json };
  }

  // ---- audit events --------------------------------------------------------------------------

  async function auditEvent(headers, body) {
    if (!isObject(body)) return { status: 400, body: { message: 'Problems parsing JSON', code: 'invalid_request_body' } };
    const verdict = checkAuditEvent(body);
    if (verdict.missing) {
      return { status: 422, body: { message: 'Validation failed.', errors: verdict.missing.map((field) => ({ code: 'required', field })) } };
    }
    const invalid = (errors) => ({ status: 400, body: { message: 'Invalid Audit Log event.', code: 'invalid_audit_log_event', errors } });
    if (verdict.invalid) return invalid(verdict.invalid.map((instancePath) => ({ instancePath })));
    const schema = auditSchemas.get(body.event.action);
    if (!schema) return invalid([{ instancePath: '/action', message: `no schema is configured for the action '${body.event.action}'` }]);
    const badTarget = body.event.targets.findIndex((t) => !schema.has(t.type));
    if (badTarget >= 0) return invalid([{ instancePath: `/targets/${badTarget}/type`, message: `the action's schema has no target type '${body.event.targets[badTarget].type}'` }]);
    const org = await emulator('GET', `/organizations/${encodeURIComponent(body.organization_id)}`);
    if (org.status === 404) return { status: 404, body: { message: `Organization not found: '${body.organization_id}'.` } };
    if (org.status !== 200) throw new Error(`GET /organizations/${body.organization_id} → ${org.status}`);
    const kept = {};
    for (const [k, v] of Object.entries(headers)) if (k !== 'authorization') kept[k] = v;
    events.push({ received_at: new Date().toISOString(), organization_id: body.organization_id, event: body.event, headers: kept });
    return { status: 200, body: { success: true } };
  }

  async function auditWithIdempotency(headers, body) {
    const key = headers['idempotency-key'];
    const now = Date.now();
    for (const [k, v] of idempotency) if (now - v.at > IDEMPOTENCY_TTL_MS) idempotency.delete(k);
    // Same key ⇒ same response, and the event is recorded once (spec: keys expire after 24 h).
    let outcome = key ? idempotency.get(key) : undefined;
    if (!outcome) {
      outcome = { ...(await auditEvent(headers, body)), at: now };
      if (key) idempotency.set(key, outcome);
    }
    return { status: outcome.status, body: outcome.body };
  }

  // ---- AuthKit "bring your own login" ----------------------------------------------------------

  /** WorkOS's upsert by external id: `{user, created}` or a refusal `{status, body}`. */
  async function upsertByExternalId(person) {
    const found = await emulator('GET', `/user_management/users/external_id/${encodeURIComponent(person.id)}`);
    if (found.status === 200) {
      if (found.json.email.toLowerCase() !== person.email.toLowerCase()) {
        return { refusal: { status: 400, body: { code: 'email_change_not_allowed', message: 'The email address of an existing user cannot be changed here.' } } };
      }
      return { user: found.json, created: false };
    }
    if (found.status !== 404) throw new Error(`GET users/external_id → ${found.status} ${found.text}`);
    const taken = await emulator('GET', `/user_management/users?email=${encodeURIComponent(person.email)}`);
    if (taken.status !== 200) throw new Error(`GET users?email → ${taken.status} ${taken.text}`);
    if (taken.json.data.some((u) => u.email.toLowerCase() === person.email.toLowerCase())) {
      return { refusal: { status: 400, body: { code: 'email_not_available', message: `The email address '${person.email}' is not available.` } } };
    }
    const made = await emulator('POST', '/user_management/users', {
      email: person.email, external_id: person.id,
      ...(person.first_name ? { first_name: person.first_name } : {}), ...(person.last_name ? { last_name: person.last_name } : {}),
    });
    if (made.status !== 201 && made.status !== 200) throw new Error(`POST users → ${made.status} ${made.text}`);
    return { user: made.json, created: true };
  }

  async function completion(headers, body) {
    if (headers.authorization !== `Bearer ${apiKey}`) return { status: 401, body: { message: 'Unauthorized', code: 'unauthorized' } };
    const record = { at: new Date().toISOString(), external_auth_id: body?.external_auth_id, user: body?.user, body, status: null };
    completions.push(record);
    const outcome = await (async () => {
      const refusal = checkCompletion(body);
      if (refusal) return refusal;
      const session = externalAuth.get(body.external_auth_id);
      if (!session) return { status: 404, body: { message: `External auth session not found: '${body.external_auth_id}'.` } };
      if (session.completed) {
        return { status: 400, body: { code: 'external_auth_session_already_completed', message: 'The external auth session has already been completed.' } };
      }
      if (nextCompletion?.status) {
        const answer = nextCompletion;
        nextCompletion = null;
        return { status: answer.status, body: answer.body };
      }
      const upsert = await upsertByExternalId(body.user);
      if (upsert.refusal) return upsert.refusal;
      record.resolved_user_id = upsert.user.id;
      record.created_user = upsert.created;
      session.completed = true;
      if (nextCompletion?.redirect_uri) {
        const { redirect_uri } = nextCompletion;
        nextCompletion = null;
        return { status: 200, body: { redirect_uri } };
      }
      const state = randomBytes(24).toString('base64url');
      return { status: 200, body: { redirect_uri: `${authkitOrigin}/oauth2/continue?state=${state}` } };
    })();
    record.status = outcome.status;
    record.response = outcome.body;
    return outcome;
  }

  return {
    /** Called with every 302 of GET /user_management/authorize the emulator sends back. */
    observeAuthorize(query, location) {
      const org = new URLSearchParams(query).get('organization_id');
      const code = location && new URL(location).searchParams.get('code');
      if (org && code) codeOrganizations.set(code, org);
    },

    /** The front's own answer `{status, body}` for this request, or null to forward it. */
    async answer({ method, path, url, headers, text }) {
      const json = () => { try { return JSON.parse(text); } catch { return undefined; } };
      if (method === 'POST' && path === '/user_management/authenticate') {
        const body = json();
        if (body?.grant_type === 'authorization_code') return codeExchange(body);
        if (body?.grant_type === ORGANIZATION_SELECTION) return organizationSelection(body);
        return null;
      }
      if (method === 'GET' && /^\/authorization\/(organizations\/[^/]+\/)?roles\/[^/]+$/.test(path)) return role(path, headers.authorization);
      if (method === 'GET' && path === '/user_management/organization_memberships') return memberships(url, headers.authorization);
      if (method === 'PUT' && /^\/authorization\/roles\/[^/]+\/permissions$/.test(path)) {
        const body = json();
        const slugs = isObject(body) && Array.isArray(body.permissions) && body.permissions.every((p) => typeof p === 'string');
        if (!slugs) return { status: 400, body: { code: 'bad_request', message: 'Request could not be processed.' } };
        return setRolePermissions(path, headers.authorization, body);
      }
      if (method === 'POST' && path === '/audit_logs/events') {
        if (headers.authorization !== `Bearer ${apiKey}`) return { status: 401, body: { message: 'Unauthorized', code: 'unauthorized' } };
        const body = json();
        if (body === undefined) return { status: 400, body: { message: 'Problems parsing JSON', code: 'invalid_request_body' } };
        return auditWithIdempotency(headers, body);
      }
      if (path === '/authkit/oauth2/complete') {
        if (method !== 'POST') return { status: 405, body: { message: 'Method Not Allowed' }, headers: { allow: 'POST' } };
        return completion(headers, json());
      }
      return null;
    },

    control: {
      auditEvents: () => structuredClone(events),
      clearAuditEvents() { const n = events.length; events.length = 0; idempotency.clear(); return n; },
      auditSchemas: () => Object.fromEntries([...auditSchemas].map(([a, t]) => [a, [...t]])),
      setAuditSchema(action, targets) {
        if (typeof action !== 'string' || !action) throw new Error('action must be a non-empty string');
        if (targets === null) { auditSchemas.delete(action); return null; }
        if (!Array.isArray(targets) || !targets.every((t) => typeof t === 'string' && t)) throw new Error('targets must be an array of type names');
        auditSchemas.set(action, new Set(targets));
        return [...targets];
      },
      newExternalAuth(id = newExternalAuthId()) {
        if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,200}$/.test(id)) throw new Error('external_auth_id must be 1–200 of [A-Za-z0-9_-]');
        externalAuth.set(id, { completed: false });
        return { external_auth_id: id };
      },
      setNextCompletion(spec) {
        if (!isObject(spec)) throw new Error('expected a JSON object');
        if (typeof spec.redirect_uri === 'string') nextCompletion = { redirect_uri: spec.redirect_uri };
        else if (Number.isInteger(spec.status) && spec.status >= 400 && spec.status <= 599) {
          const body = { ...(spec.code ? { code: spec.code } : {}), message: spec.message ?? (spec.code ? `Refused: ${spec.code}.` : 'Error') };
          nextCompletion = { status: spec.status, body };
        } else if (spec.clear) nextCompletion = null;
        else throw new Error('expected {redirect_uri} or {status, code?, message?} or {clear: true}');
        return nextCompletion;
      },
      completions: () => structuredClone(completions),
      clearCompletions() { const n = completions.length; completions.length = 0; return n; },
      pendingSelections: () => pending.size,
    },
  };
}

/** A request id as WorkOS sends one back. */
export const requestId = (headers) => headers['x-request-id'] ?? `req_${randomUUID()}`;
