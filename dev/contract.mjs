// The contract check: every request that reaches the local WorkOS API (dev/front.mjs) is held
// against WorkOS's own OpenAPI document (npm `@workos/openapi-spec`, a pinned devDependency), the
// same document production WorkOS is built from. The emulator behind the front is lenient; this
// is not. A request the document does not allow is answered 400 `contract_violation` and recorded,
// and the end-to-end run fails on any recorded violation (tests/e2e/run.mjs).
//
// What is checked, per request:
//  * the operation exists: method + path match a path template of the document (the most literal
//    template wins, e.g. `/user_management/users/external_id/{external_id}` over `…/users/{id}`);
//  * query parameters: each name is declared (so `statuses[]` is refused where the document says
//    `statuses`), declared serialization (`style: form, explode: false` → one parameter, values
//    joined by commas; exploded arrays may repeat; other parameters appear once), each value's
//    type and enum; required parameters are present; path parameters are non-empty;
//  * the body: present exactly when the operation takes one, a declared media type, valid JSON,
//    and valid against the operation's schema (the JSON Schema subset the document uses: $ref,
//    allOf/oneOf/anyOf, type incl. null, const, enum, required, properties,
//    additionalProperties, patternProperties, propertyNames, maxProperties, items, maxItems,
//    maxLength, minimum/maximum, format email and date-time), with no unknown top-level field.
// Nothing here is WorkOS's code: it reads WorkOS's document and applies the OpenAPI rules.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parse as parseYaml } from 'yaml';

const require = createRequire(import.meta.url);
/** Where the pinned spec lives (the package's default export is the YAML file). */
export const SPEC_PATH = require.resolve('@workos/openapi-spec/spec');
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** The contract from the pinned spec file (parsed once per process). */
let loaded;
export function loadContract(file = SPEC_PATH) {
  if (file === SPEC_PATH && loaded) return loaded;
  const contract = createContract(parseYaml(readFileSync(file, 'utf8')));
  if (file === SPEC_PATH) loaded = contract;
  return contract;
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const typeOf = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);

/**
 * @param {object} spec a parsed OpenAPI 3.1 document
 * @returns {{operations: Array<{method: string, path: string, operationId: string}>,
 *   check: (req: {method: string, url: string, contentType?: string, body?: string}) =>
 *     {operation: {method: string, path: string, operationId: string} | null, problems: string[]}}}
 */
export function createContract(spec) {
  const schemas = spec.components?.schemas ?? {};
  const resolve = (s) => {
    let seen = 0;
    while (s && s.$ref) {
      if (++seen > 20) throw new Error(`$ref loop at ${s.$ref}`);
      const name = s.$ref.replace('#/components/schemas/', '');
      if (!(name in schemas)) throw new Error(`unknown $ref ${s.$ref}`);
      s = schemas[name];
    }
    return s ?? {};
  };

  const operations = [];
  for (const [template, item] of Object.entries(spec.paths ?? {})) {
    const segments = template.split('/').slice(1);
    const literal = segments.filter((s) => !s.startsWith('{')).length;
    const names = segments.filter((s) => s.startsWith('{')).map((s) => s.slice(1, -1));
    const pattern = new RegExp(`^/${segments.map((s) => (s.startsWith('{') ? '([^/]+)' : escapeRegExp(s))).join('/')}$`);
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const parameters = [...(item.parameters ?? []), ...(op.parameters ?? [])];
      operations.push({ method: method.toUpperCase(), path: template, operationId: op.operationId ?? `${method} ${template}`, pattern, literal, names, parameters, op });
    }
  }

  function find(method, path) {
    const candidates = operations.filter((o) => o.method === method && o.pattern.test(path));
    candidates.sort((a, b) => b.literal - a.literal);
    return candidates[0] ?? null;
  }

  // ---- JSON Schema (the subset the document uses) ------------------------------------------

  /** Problems of `value` against `schema` (empty when valid). */
  function validate(schema, value, where, problems) {
    const s = resolve(schema);
    const start = problems.length;
    for (const part of s.allOf ?? []) validate(part, value, where, problems);
    if (s.oneOf || s.anyOf) {
      const branches = s.oneOf ?? s.anyOf;
      const results = branches.map((b) => { const p = []; validate(b, value, where, p); return p; });
      const matching = results.filter((p) => p.length === 0).length;
      if (matching === 0) {
        // Report the branch the value meant (its const discriminator agrees), else a summary.
        const meant = branches.findIndex((b) => discriminates(resolve(b), value));
        if (meant >= 0) problems.push(...results[meant]);
        else problems.push(`${where}: matches none of the ${branches.length} shapes the document allows`);
      }
    }
    if (s.const !== undefined && value !== s.const) problems.push(`${where}: must be ${JSON.stringify(s.const)}`);
    if (s.enum && !s.enum.includes(value)) problems.push(`${where}: must be one of ${s.enum.map((e) => JSON.stringify(e)).join(', ')}`);
    if (s.type !== undefined) {
      const allowed = Array.isArray(s.type) ? s.type : [s.type];
      const actual = typeOf(value);
      const ok = allowed.includes(actual) || (actual === 'integer' && allowed.includes('number'));
      if (!ok) {
        problems.push(`${where}: must be ${allowed.join(' or ')}, is ${actual}`);
        return problems.length === start;
      }
    }
    if (typeof value === 'string') {
      if (s.maxLength !== undefined && [...value].length > s.maxLength) problems.push(`${where}: longer than ${s.maxLength} characters`);
      if (s.minLength !== undefined && [...value].length < s.minLength) problems.push(`${where}: shorter than ${s.minLength} characters`);
      if (s.pattern && !new RegExp(s.pattern, 'u').test(value)) problems.push(`${where}: does not match ${s.pattern}`);
      if (s.format === 'date-time' && !(ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)))) problems.push(`${where}: not an ISO 8601 date-time`);
      if (s.format === 'email' && !EMAIL.test(value)) problems.push(`${where}: not an email address`);
    }
    if (typeof value === 'number') {
      if (s.minimum !== undefined && value < s.minimum) problems.push(`${where}: below ${s.minimum}`);
      if (s.maximum !== undefined && value > s.maximum) problems.push(`${where}: above ${s.maximum}`);
    }
    if (Array.isArray(value)) {
      if (s.maxItems !== undefined && value.length > s.maxItems) problems.push(`${where}: more than ${s.maxItems} items`);
      if (s.items) value.forEach((v, i) => validate(s.items, v, `${where}[${i}]`, problems));
    }
    if (isObject(value)) {
      for (const name of s.required ?? []) if (!(name in value)) problems.push(`${where}.${name}: required`);
      const keys = Object.keys(value);
      if (s.maxProperties !== undefined && keys.length > s.maxProperties) problems.push(`${where}: more than ${s.maxProperties} properties`);
      for (const key of keys) {
        const inner = `${where}.${key}`;
        if (s.propertyNames) validate(s.propertyNames, key, `${where} property name ${JSON.stringify(key)}`, problems);
        if (s.properties && key in s.properties) { validate(s.properties[key], value[key], inner, problems); continue; }
        const patterned = Object.entries(s.patternProperties ?? {}).filter(([re]) => new RegExp(re, 'u').test(key));
        if (patterned.length) { patterned.forEach(([, sub]) => validate(sub, value[key], inner, problems)); continue; }
        if (s.additionalProperties === false) problems.push(`${inner}: not a field the document declares`);
        else if (isObject(s.additionalProperties)) validate(s.additionalProperties, value[key], inner, problems);
        else if (s.patternProperties && !s.properties) problems.push(`${inner}: the name is not allowed`);
      }
    }
    return problems.length === start;
  }

  /** True when a branch's const properties agree with the value (e.g. `grant_type`). */
  function discriminates(branch, value) {
    if (!isObject(value)) return false;
    const consts = Object.entries(branch.properties ?? {}).filter(([, p]) => resolve(p).const !== undefined);
    return consts.length > 0 && consts.every(([k, p]) => value[k] === resolve(p).const);
  }

  /** The top-level field names a schema declares for this value (matching branches only). */
  function declared(schema, value, into = new Set()) {
    const s = resolve(schema);
    Object.keys(s.properties ?? {}).forEach((k) => into.add(k));
    for (const part of s.allOf ?? []) declared(part, value, into);
    const branches = s.oneOf ?? s.anyOf;
    if (branches) {
      const fitting = branches.filter((b) => validate(b, value, 'body', []));
      (fitting.length ? fitting : branches).forEach((b) => declared(b, value, into));
    }
    return into;
  }

  // ---- parameters --------------------------------------------------------------------------

  function coerce(schema, raw) {
    const s = resolve(schema);
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (types.includes('integer') || types.includes('number')) return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    if (types.includes('boolean')) return raw === 'true' ? true : raw === 'false' ? false : raw;
    return raw;
  }

  function checkQuery(entry, rawQuery, problems) {
    const pairs = [];
    for (const part of rawQuery.split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      const [k, v] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
      const decode = (x) => { try { return decodeURIComponent(x.replace(/\+/g, ' ')); } catch { problems.push(`query: ${JSON.stringify(x)} is not valid percent-encoding`); return x; } };
      pairs.push([decode(k), decode(v)]);
    }
    const declaredQuery = entry.parameters.filter((p) => p.in === 'query');
    const seen = new Map();
    for (const [name, value] of pairs) {
      const objectParam = declaredQuery.find((p) => resolve(p.schema).type === 'object' && name.startsWith(`${p.name}[`) && name.endsWith(']'));
      const param = declaredQuery.find((p) => p.name === name) ?? objectParam;
      if (!param) { problems.push(`query parameter ${JSON.stringify(name)}: not declared (declared: ${declaredQuery.map((p) => p.name).join(', ') || 'none'})`); continue; }
      if (param === objectParam) continue;
      seen.set(name, (seen.get(name) ?? 0) + 1);
      const schema = resolve(param.schema ?? {});
      const where = `query parameter ${JSON.stringify(name)}`;
      if (schema.type === 'array') {
        const explode = param.explode ?? ((param.style ?? 'form') === 'form');
        if (!explode && seen.get(name) > 1) problems.push(`${where}: appears more than once; the document declares style ${param.style ?? 'form'}, explode false (one parameter, comma-separated values)`);
        const items = explode ? [value] : value.split(',');
        items.forEach((item, i) => validate(schema.items ?? {}, coerce(schema.items ?? {}, item), `${where}[${i}]`, problems));
      } else {
        if (seen.get(name) > 1) problems.push(`${where}: appears more than once`);
        validate(schema, coerce(schema, value), where, problems);
      }
    }
    for (const p of declaredQuery) if (p.required && !seen.has(p.name)) problems.push(`query parameter ${JSON.stringify(p.name)}: required`);
  }

  function checkBody(entry, contentType, body, problems) {
    const rb = entry.op.requestBody;
    const present = body !== undefined && body !== '';
    if (!rb) { if (present) problems.push('body: the operation takes no body'); return; }
    if (!present) { if (rb.required) problems.push('body: required'); return; }
    const media = (contentType ?? '').split(';')[0].trim().toLowerCase();
    const content = rb.content ?? {};
    if (!(media in content)) { problems.push(`body: media type ${JSON.stringify(media || 'none')}, the document allows ${Object.keys(content).join(', ')}`); return; }
    let value;
    try { value = JSON.parse(body); } catch { problems.push('body: not valid JSON'); return; }
    const schema = content[media].schema ?? {};
    validate(schema, value, 'body', problems);
    if (isObject(value)) {
      const known = declared(schema, value);
      for (const key of Object.keys(value)) if (!known.has(key)) problems.push(`body.${key}: not a field the document declares for this operation`);
    }
  }

  return {
    operations: operations.map(({ method, path, operationId }) => ({ method, path, operationId })),
    check({ method, url, contentType, body }) {
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const entry = find(method.toUpperCase(), path);
      if (!entry) return { operation: null, problems: [`no operation ${method.toUpperCase()} ${path} in WorkOS's OpenAPI document`] };
      const problems = [];
      const values = entry.pattern.exec(path).slice(1);
      entry.names.forEach((name, i) => { if (!values[i]) problems.push(`path parameter ${name}: empty`); });
      checkQuery(entry, q < 0 ? '' : url.slice(q + 1), problems);
      checkBody(entry, contentType, body, problems);
      return { operation: { method: entry.method, path: entry.path, operationId: entry.operationId }, problems };
    },
  };
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
