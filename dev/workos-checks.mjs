// The bodies the front's stand-ins accept (dev/workos-corrections.mjs), checked as WorkOS checks
// them: an audit-log event (POST /audit_logs/events) and an AuthKit completion
// (POST /authkit/oauth2/complete).

/** The audit actions and target types a WorkOS dashboard would have configured (README). */
export const DEFAULT_AUDIT_SCHEMAS = { 'user.signed_in': ['user'], 'mcp.tool.called': ['mcp_tool'], 'mcp.tool.denied': ['mcp_tool'] };

const isMissing = (v) => v === undefined || v === null || v === '';
export const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

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
