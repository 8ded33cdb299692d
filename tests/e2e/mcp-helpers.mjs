// Shared pieces of the MCP end-to-end tests (issue 4: MCP over /sse and /mcp):
//
//  * the Worker's MCP contract in one place (paths, protocol versions, tools, error codes, limits);
//  * `connectSdk` — an `@modelcontextprotocol/sdk` `Client` over `SSEClientTransport` (/sse) or
//    `StreamableHTTPClientTransport` (/mcp) whose `authProvider` is an `SdkProvider` driving the
//    cookie-jar `Browser`: the SDK runs the OAuth itself on the first 401;
//  * `accessToken` — a token for one user and resource, obtained by the SDK's own `auth()`;
//  * raw Streamable HTTP (`mcpPost`) and a raw legacy-SSE client (`openSse`, `SseStream`) for the
//    refusal and edge-case tests, where an SDK would refuse to send what we need to send;
//  * checks on tool results (PNG image content, whoami) and the `Server-Timing` KV-read count.
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { ALICE } from './helpers.mjs';
import { Browser, SdkProvider, sdkAuthorize, url, readResponse } from './oauth-helpers.mjs';

// ---- the contract ------------------------------------------------------------------------------

export const MCP_PATH = '/mcp';
export const SSE_PATH = '/sse';
export const SSE_MESSAGE_PATH = '/sse/message';
/** Newest first, as the Worker negotiates them. */
export const PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];
export const LATEST_PROTOCOL_VERSION = PROTOCOL_VERSIONS[0];
export const ALL_TOOLS = ['add', 'generateImage', 'getUserProfile', 'whoami'];
export const GATED_TOOL = 'generateImage';
/** The default `MCP_ALLOWED_ORIGINS`: the Workers AI playground. */
export const PLAYGROUND_ORIGIN = 'https://playground.ai.cloudflare.com';
export const MAX_BODY_BYTES = 1024 * 1024;
export const ACCEPT_BOTH = 'application/json, text/event-stream';
export const JSONRPC = { parseError: -32700, invalidRequest: -32600, methodNotFound: -32601, invalidParams: -32602 };
/** Comment keepalive period on an SSE stream. */
export const KEEPALIVE_MS = 25000;

const short = (s, n = 300) => String(s ?? '').replace(/\s+/g, ' ').slice(0, n);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- JSON-RPC messages -----------------------------------------------------------------------------

let nextId = 1;
/** A JSON-RPC request with a fresh numeric id (params left out when undefined). */
export const request = (method, params, id = nextId++) => ({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
export const notification = (method, params) => ({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) });
export const initialize = (protocolVersion = LATEST_PROTOCOL_VERSION, id) => request('initialize', {
  protocolVersion, capabilities: {}, clientInfo: { name: 'mcp-e2e', version: '0' },
}, id);
export const callTool = (name, args, id) => request('tools/call', { name, arguments: args }, id);

/** Asserts a JSON-RPC error response with `code` (and the id, when given); returns the error. */
export function expectRpcError(json, code, { id, what = 'the response' } = {}) {
  assert.equal(json?.jsonrpc, '2.0', `${what}: a JSON-RPC message: ${short(JSON.stringify(json))}`);
  assert.ok(json.error, `${what}: an error, got ${short(JSON.stringify(json))}`);
  assert.equal(json.error.code, code, `${what}: error code ${json.error.code} (${json.error.message}), expected ${code}`);
  assert.equal(typeof json.error.message, 'string', `${what}: error.message`);
  assert.equal(json.result, undefined, `${what}: no result next to the error`);
  if (id !== undefined) assert.equal(json.id, id, `${what}: the request's id`);
  return json.error;
}

/** Asserts a JSON-RPC success response for `id`; returns the result. */
export function expectResult(json, id, what = 'the response') {
  assert.equal(json?.jsonrpc, '2.0', `${what}: a JSON-RPC message: ${short(JSON.stringify(json))}`);
  assert.equal(json.error, undefined, `${what}: no error, got ${short(JSON.stringify(json.error))}`);
  assert.equal(json.id, id, `${what}: id`);
  assert.ok(json.result && typeof json.result === 'object', `${what}: a result object`);
  return json.result;
}

// ---- tokens and SDK clients ----------------------------------------------------------------------------

/** A new person with a browser and an SDK OAuth provider (nothing authorized yet). */
export const newProvider = (loginHint = ALICE) => new SdkProvider({ browser: new Browser({ loginHint }) });

/**
 * An access token for `loginHint` bound to the resource of `path` (`/mcp` → O/mcp; `/sse` → O/sse,
 * also valid on /sse/message), obtained by the SDK's `auth()` through sign-in and consent.
 * Returns {token, tokens, provider} (the provider can refresh: `sdkRefresh(provider, url(path))`).
 */
export async function accessToken(loginHint = ALICE, path = MCP_PATH) {
  const provider = newProvider(loginHint);
  const tokens = await sdkAuthorize(provider, url(path));
  return { token: tokens.access_token, tokens, provider };
}

function sdkTransport(kind, provider) {
  const opts = { authProvider: provider, fetch: provider.fetchFn };
  if (kind === 'sse') return new SSEClientTransport(new URL(url(SSE_PATH)), opts);
  if (kind === 'http') return new StreamableHTTPClientTransport(new URL(url(MCP_PATH)), opts);
  throw new Error(`unknown transport ${kind}`);
}

/**
 * The SDK's `Client` connected over `kind` ('sse' → SSEClientTransport on O/sse, 'http' →
 * StreamableHTTPClientTransport on O/mcp), authorizing as an MCP client does: the first attempt
 * meets the 401, the SDK discovers, registers and sends the person to /authorize (our `Browser`
 * signs in and consents), then `finishAuth(code)` and a second connection with the tokens.
 * Returns {client, provider, transport, authorizedOnConnect, close()}.
 */
export async function connectSdk(kind, { loginHint = ALICE, provider = newProvider(loginHint) } = {}) {
  const name = `mcp-e2e-${kind}`;
  let transport = sdkTransport(kind, provider);
  let client = new Client({ name, version: '0' });
  let authorizedOnConnect = false;
  try {
    await client.connect(transport);
  } catch (err) {
    if (!(err instanceof UnauthorizedError)) throw err;
    await client.close().catch(() => {});
    await transport.finishAuth(provider.takeCode());
    authorizedOnConnect = true;
    transport = sdkTransport(kind, provider);
    client = new Client({ name, version: '0' });
    await client.connect(transport);
  }
  return { client, provider, transport, authorizedOnConnect, close: () => client.close() };
}

// ---- tool results --------------------------------------------------------------------------------------

/** The text of a tool result's content items, joined. */
export const resultText = (result) => (result?.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');

/** Asserts a tool result that is not an error; returns its text. */
export function expectToolOk(result, what) {
  assert.notEqual(result?.isError, true, `${what}: not an error result: ${short(JSON.stringify(result))}`);
  assert.ok(Array.isArray(result?.content) && result.content.length > 0, `${what}: has content`);
  return resultText(result);
}

/** Asserts an `isError: true` tool result whose text matches `pattern`; returns the text. */
export function expectToolError(result, pattern, what) {
  assert.equal(result?.isError, true, `${what}: isError: true, got ${short(JSON.stringify(result))}`);
  const text = resultText(result);
  assert.match(text, pattern, `${what}: the error text "${short(text)}"`);
  return text;
}

/**
 * Checks that `base64` is a PNG: signature, an IHDR chunk first (length 13, CRC correct,
 * non-zero size, a valid bit depth/colour type) and an IEND chunk last. Returns {width, height}.
 */
export function expectPng(base64, what = 'the image') {
  assert.equal(typeof base64, 'string', `${what}: base64 data`);
  assert.match(base64, /^[A-Za-z0-9+/]+={0,2}$/, `${what}: standard base64 (no data: prefix, no line breaks)`);
  const png = Buffer.from(base64, 'base64');
  assert.ok(png.length > 8 + 25 + 12, `${what}: ${png.length} bytes is too short for a PNG`);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${what}: PNG signature`);
  assert.equal(png.readUInt32BE(8), 13, `${what}: IHDR length 13`);
  assert.equal(png.toString('latin1', 12, 16), 'IHDR', `${what}: first chunk IHDR`);
  assert.equal(png.readUInt32BE(29), crc32(png.subarray(12, 29)), `${what}: IHDR CRC`);
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  assert.ok(width > 0 && height > 0, `${what}: size ${width}×${height}`);
  assert.ok([1, 2, 4, 8, 16].includes(png[24]), `${what}: bit depth ${png[24]}`);
  assert.ok([0, 2, 3, 4, 6].includes(png[25]), `${what}: colour type ${png[25]}`);
  assert.equal(png.toString('latin1', png.length - 8, png.length - 4), 'IEND', `${what}: ends with IEND`);
  return { width, height };
}

/** Asserts a generateImage result as served under `wrangler dev` (no AI binding): PNG + "Local preview" text. */
export function expectPreviewImage(result, what = 'generateImage') {
  expectToolOk(result, what);
  const [image, text] = result.content;
  assert.equal(image?.type, 'image', `${what}: first content item is an image: ${short(JSON.stringify(result.content))}`);
  assert.equal(image.mimeType, 'image/png', `${what}: mimeType`);
  const size = expectPng(image.data, what);
  assert.equal(text?.type, 'text', `${what}: second content item is text`);
  assert.match(text.text, /^Local preview/, `${what}: the text says it is a local preview: "${short(text.text)}"`);
  return size;
}

// ---- raw Streamable HTTP ---------------------------------------------------------------------------------

/**
 * One request to /mcp. `message` is serialized unless `body` (a string or Buffer) is given.
 * Defaults: POST, Authorization: Bearer `token` (when given), Accept both, Content-Type JSON.
 * A header set to null is left out. Returns {status, headers, text, json, kvReads}.
 */
export async function mcpPost(token, message, { method = 'POST', body, headers = {}, path = MCP_PATH } = {}) {
  const h = {
    accept: ACCEPT_BOTH,
    'content-type': 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...headers,
  };
  for (const k of Object.keys(h)) if (h[k] === null) delete h[k];
  const withBody = method !== 'GET' && method !== 'HEAD';
  const res = await fetch(url(path), {
    method,
    headers: h,
    body: withBody ? (body ?? (message === undefined ? undefined : JSON.stringify(message))) : undefined,
    signal: AbortSignal.timeout(30000),
  });
  const r = await readResponse(res);
  return { ...r, kvReads: kvReads(res.headers) };
}

/** The KV read count of a response: `Server-Timing: kv;desc="reads=N"` → N (undefined if absent). */
export function kvReads(headers) {
  const m = (headers.get('server-timing') ?? '').match(/(?:^|,)\s*kv\s*;[^,]*desc="?reads=(\d+)"?/);
  return m ? Number(m[1]) : undefined;
}

// ---- raw legacy SSE ---------------------------------------------------------------------------------------

/**
 * A legacy-SSE stream read as it arrives: every event (`{event, data, id, json, at}`) and comment
 * line (`{comment, at}`), with waits for the next matching one.
 */
export class SseStream {
  constructor(res, controller) {
    this.res = res;
    this.status = res.status;
    this.headers = res.headers;
    this.controller = controller;
    this.events = [];
    this.comments = [];
    this.ended = false;
    this.error = null;
    this._waiters = new Set();
    this.done = this._read();
  }

  async _read() {
    const reader = this.res.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    let ev = { event: 'message', data: [], id: undefined };
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let i;
        while ((i = buf.search(/\r\n|\r|\n/)) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(buf[i] === '\r' && buf[i + 1] === '\n' ? i + 2 : i + 1);
          if (line === '') {
            if (ev.data.length) this._push({ event: ev.event, data: ev.data.join('\n'), id: ev.id });
            ev = { event: 'message', data: [], id: undefined };
          } else if (line.startsWith(':')) {
            this.comments.push({ comment: line.slice(1).trim(), at: Date.now() });
            this._wake();
          } else {
            const c = line.indexOf(':');
            const field = c < 0 ? line : line.slice(0, c);
            const val = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
            if (field === 'event') ev.event = val;
            else if (field === 'data') ev.data.push(val);
            else if (field === 'id') ev.id = val;
          }
        }
      }
    } catch (err) {
      if (err.name !== 'AbortError') this.error = err;
    } finally {
      this.ended = true;
      this._wake();
    }
  }

  _push(e) {
    let json;
    try { json = JSON.parse(e.data); } catch { json = undefined; }
    this.events.push({ ...e, json, at: Date.now() });
    this._wake();
  }

  _wake() { for (const w of this._waiters) w(); }

  /** Resolves with the first value `probe()` returns truthy, re-checked on every arrival; rejects after `timeoutMs`. */
  waitFor(probe, { timeoutMs = 15000, what = 'an event' } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = probe();
        if (v) { done(); resolve(v); return; }
        if (this.ended) { done(); reject(new Error(`the stream ended while waiting for ${what}; events: ${this.describe()}`)); }
      };
      const timer = setTimeout(() => { done(); reject(new Error(`no ${what} within ${timeoutMs} ms; events: ${this.describe()}`)); }, timeoutMs);
      const done = () => { clearTimeout(timer); this._waiters.delete(check); };
      this._waiters.add(check);
      check();
    });
  }

  /** The first event named `event` (from index `from`). */
  nextEvent(event, opts = {}) {
    const from = opts.from ?? 0;
    return this.waitFor(() => this.events.slice(from).find((e) => e.event === event), { what: `an "${event}" event`, ...opts });
  }

  /** The `message` event carrying the JSON-RPC response with `id`. */
  response(id, opts = {}) {
    return this.waitFor(() => this.events.find((e) => e.event === 'message' && e.json?.id === id && !e.json?.method),
      { what: `the response to id ${id}`, ...opts });
  }

  /** The ids of the message events so far (a response's; undefined for a notification). */
  answeredIds() {
    return this.events.filter((e) => e.event === 'message').map((e) => e.json?.id);
  }

  /** Message events whose JSON is a notification named `method`. */
  notifications(method) {
    return this.events.filter((e) => e.event === 'message' && e.json?.method === method && e.json.id === undefined);
  }

  describe() {
    return this.events.map((e) => `${e.event}:${short(e.data, 80)}`).join(' | ') || '(none)';
  }

  /** Closes the connection (the client goes away). */
  async close() {
    this.controller.abort();
    await this.done;
  }
}

/**
 * GET /sse with `token`. A 200 `text/event-stream` gives an `SseStream`; anything else gives
 * {status, headers, text, json} (body read).
 */
export async function openSse(token, { query = '', headers = {} } = {}) {
  const h = { accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers };
  for (const k of Object.keys(h)) if (h[k] === null) delete h[k];
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 30000);
  let res;
  try {
    res = await fetch(url(SSE_PATH) + query, { headers: h, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 200 && /text\/event-stream/.test(res.headers.get('content-type') ?? '')) return new SseStream(res, controller);
  const r = await readResponse(res);
  return { ...r, kvReads: kvReads(res.headers) };
}

/**
 * A legacy-SSE session: the stream opened with `token`, its `endpoint` event read and checked
 * (a same-origin relative URL /sse/message?sessionId=…). `post(message, {token})` sends to the
 * message endpoint (default: the session's own token) and returns {status, text, json};
 * `call(message)` posts and waits for the response event.
 */
export async function openSession(token) {
  const stream = await openSse(token);
  assert.ok(stream instanceof SseStream, `GET /sse → ${stream.status}: ${short(stream.text)}`);
  const endpoint = await stream.nextEvent('endpoint', { timeoutMs: 10000 });
  const m = endpoint.data.match(/^\/sse\/message\?sessionId=([^&\s]+)$/);
  assert.ok(m, `the endpoint event is /sse/message?sessionId=<id>, got "${endpoint.data}"`);
  const sessionId = m[1];
  const messageUrl = url(endpoint.data);
  const post = async (message, { token: as = token, body, headers = {}, query } = {}) => {
    const h = { 'content-type': 'application/json', ...(as ? { authorization: `Bearer ${as}` } : {}), ...headers };
    for (const k of Object.keys(h)) if (h[k] === null) delete h[k];
    const res = await fetch(query === undefined ? messageUrl : url(SSE_MESSAGE_PATH) + query, {
      method: 'POST',
      headers: h,
      body: body ?? JSON.stringify(message),
      signal: AbortSignal.timeout(30000),
    });
    return { ...(await readResponse(res)), kvReads: kvReads(res.headers) };
  };
  const call = async (message, opts = {}) => {
    const r = await post(message, opts);
    assert.equal(r.status, 202, `POST ${SSE_MESSAGE_PATH} (${message.method}) → ${r.status}: ${short(r.text)}`);
    return (await stream.response(message.id, opts)).json;
  };
  return { stream, sessionId, endpoint: endpoint.data, messageUrl, post, call, close: () => stream.close() };
}
