// Security round two, what anonymous callers can make the Worker do (issue 11): per-IP rate
// limits (Cloudflare's Rate Limiting binding, which works under wrangler dev; the local limits
// are ten times production's — see wrangler.toml), sign-in states only for same-origin posts,
// bodies read as streams that stop at their limit (a 50 MB chunked upload is refused without
// workerd holding it), a metadata document sent without Content-Length cut at 5 KiB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { WORKER_URL, kvKeys, worker } from './helpers.mjs';
import { authorizeRequest, url, ORIGIN } from './oauth-helpers.mjs';

/**
 * A client address no other request of this file used (wrangler dev passes CF-Connecting-IP
 * through): /login and /authorize share a limiter, so a repeated address could find its bucket
 * already emptied by another test.
 */
let nextAddress = randomBytes(2).readUInt16BE(0);
const address = () => { const n = nextAddress++ % 65536; return `10.77.${n >> 8}.${n & 255}`; };

/**
 * Sends requests from one address, 25 at a time, until one is refused with 429 (or `max` were
 * sent): the statuses in order, and the first refusal's Retry-After.
 */
async function untilRefused(max, send) {
  const statuses = [];
  let retryAfter;
  while (statuses.length < max && !statuses.includes(429)) {
    const batch = await Promise.all(Array.from({ length: 25 }, () => send()));
    statuses.push(...batch.map((r) => r.status));
    retryAfter ??= batch.find((r) => r.status === 429)?.headers.get('retry-after');
  }
  return { statuses, retryAfter };
}

// The local limits (wrangler.toml [env.local]): register 100, sign-in 300, token 600 a minute.
for (const [what, limit, send] of [
  ['POST /register', 100, (ip) => fetch(url('/register'), { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip }, body: '{}' })],
  ['POST /login', 300, (ip) => fetch(worker('/login'), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://elsewhere.example', 'cf-connecting-ip': ip }, body: '' })],
  ['GET /authorize', 300, (ip) => fetch(url('/authorize?client_id=nobody'), { redirect: 'manual', headers: { 'cf-connecting-ip': ip } })],
  ['POST /token', 600, (ip) => fetch(url('/token'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': ip }, body: 'grant_type=refresh_token&client_id=nobody&refresh_token=x' })],
]) {
  test(`${what} is rate-limited per client address: 429 with Retry-After past ${limit} a minute`, async () => {
    const ip = address();
    // The limiter counts in fixed one-minute windows: a burst that straddles a window boundary
    // may pass up to twice the limit before the first refusal, never less than the limit.
    const { statuses, retryAfter } = await untilRefused(2 * limit + 50, () => send(ip));
    const first = statuses.indexOf(429);
    assert.ok(first >= limit - 25, `no refusal before the limit (first 429 at request ${first + 1})`);
    assert.ok(first >= 0 && first < 2 * limit + 25, `refused after ${limit} in a minute (first 429 at ${first + 1})`);
    // (Read from the refusal itself: a request sent after it may fall in the next window.)
    assert.equal(retryAfter, '60');
    const other = await send(address());
    assert.notEqual(other.status, 429, 'another address is not affected');
  });
}

test('POST /login starts a sign-in only for a same-origin form post', async () => {
  const before = await kvKeys('signin:');
  for (const headers of [{}, { origin: 'https://evil.example' }, { origin: 'null' }]) {
    const res = await fetch(worker('/login'), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: 'return_to=%2F' });
    assert.equal(res.status, 403, `${JSON.stringify(headers)}: ${res.status}`);
    assert.equal(res.headers.get('set-cookie'), null, 'no sign-in cookie');
  }
  assert.deepEqual(await kvKeys('signin:'), before, 'nothing written');
  const ok = await fetch(worker('/login'), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN }, body: 'return_to=%2F' });
  assert.equal(ok.status, 303);
  assert.match(ok.headers.get('set-cookie') ?? '', /^__Host-mcp-signin=/, 'the state bound to this browser');
});

/** Resident memory of all workerd processes, in MB. */
function workerdMb() {
  const out = execFileSync('ps', ['-C', 'workerd', '-o', 'rss='], { encoding: 'utf8' });
  return out.split('\n').map(Number).filter(Boolean).reduce((a, b) => a + b, 0) / 1024;
}

/**
 * POSTs up to `megabytes` of chunked body (no Content-Length) to `path` over a raw socket,
 * stopping as soon as an answer arrives; resolves with {status, sentMb}.
 */
function chunkedUpload(path, megabytes, contentType) {
  const target = new URL(path, WORKER_URL);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(target.port), target.hostname);
    let answer = '';
    let sent = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      socket.destroy();
      const m = answer.match(/^HTTP\/1\.1 (\d{3})/);
      if (m) resolve({ status: Number(m[1]), sentMb: sent / 16 });
      else reject(new Error(`no answer after ${sent / 16} MB: ${answer.slice(0, 100)}`));
    };
    socket.on('data', (d) => { answer += d.toString('latin1'); if (/\r\n\r\n/.test(answer)) finish(); });
    socket.on('error', finish);
    socket.on('close', finish);
    const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(64 * 1024, 'a'), Buffer.from('\r\n')]);
    const pump = () => {
      while (!done && sent < megabytes * 16) {
        sent += 1;
        if (!socket.write(chunk)) { socket.once('drain', pump); return; }
      }
      if (!done) socket.write('0\r\n\r\n');
    };
    socket.on('connect', () => {
      socket.write(`POST ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: ${contentType}\r\nOrigin: ${ORIGIN}\r\nTransfer-Encoding: chunked\r\n\r\n`);
      pump();
    });
  });
}

test('a 50 MB chunked body is refused at the limit (413) and never held by workerd', async () => {
  const routes = [['/register', 'application/json'], ['/token', 'application/x-www-form-urlencoded'], ['/login', 'application/x-www-form-urlencoded']];
  // One upload first so workerd's allocator has grown its pools once; after that, three more
  // 50 MB bodies must not add up: a Worker holding them would grow by 150 MB.
  assert.equal((await chunkedUpload('/register', 50, 'application/json')).status, 413);
  const before = workerdMb();
  for (const [path, type] of routes) {
    // The Worker keeps at most the limit and drops the rest as it arrives (so the sender sees
    // the 413 once done sending).
    const { status, sentMb } = await chunkedUpload(path, 50, type);
    assert.equal(status, 413, `${path}: ${status} after ${sentMb} MB`);
  }
  const after = workerdMb();
  assert.ok(after - before < 50, `workerd grew ${Math.round(after - before)} MB for 150 MB of bodies (${Math.round(before)} → ${Math.round(after)} MB)`);
});

test('a metadata document sent without Content-Length is cut at 5 KiB: a clear refusal, in bounded time', async () => {
  let served = 0;
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no Content-Length
    const chunk = Buffer.alloc(64 * 1024, ' ');
    let left = 20 * 16; // 20 MB of whitespace after an opening brace
    res.write('{');
    const pump = () => {
      while (left > 0) { left -= 1; served += chunk.length; if (!res.write(chunk)) { res.once('drain', pump); return; } }
      res.end('}');
    };
    res.on('close', () => { left = 0; });
    pump();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const clientId = `http://127.0.0.1:${server.address().port}/client-metadata.json`;
    const t0 = Date.now();
    const res = await fetch(url(`/authorize?client_id=${encodeURIComponent(clientId)}&response_type=code`), { redirect: 'manual' });
    const html = await res.text();
    assert.equal(res.status, 400, html.slice(0, 300));
    assert.match(html, /larger than 5 KiB/);
    assert.ok(Date.now() - t0 < 5000, `answered in ${Date.now() - t0} ms`);
    assert.ok(served < 5 * 1024 * 1024, `the Worker stopped reading early (${served} bytes left the server)`);
    assert.equal((await fetch(worker('/login'))).status, 200, 'and keeps answering');
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('a registration is capped as a whole, and a failing metadata document is not fetched again for a minute', async () => {
  const uris = Array.from({ length: 7 }, (_, i) => `https://example.com/${i}/${'a'.repeat(1900)}`);
  const big = await fetch(url('/register'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: uris, token_endpoint_auth_method: 'none' }) });
  assert.equal(big.status, 400);
  assert.match((await big.json()).error_description, /too large to keep/);

  let hits = 0;
  const server = http.createServer((req, res) => { hits += 1; res.writeHead(404); res.end('gone'); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const client = { client_id: `http://127.0.0.1:${server.address().port}/missing.json`, redirect_uri: 'http://127.0.0.1:9/cb' };
    for (let i = 0; i < 3; i++) {
      const res = await fetch(authorizeRequest(client).url, { redirect: 'manual' });
      const html = await res.text();
      assert.equal(res.status, 400);
      // The page names the client (its address carries a random port), so the port is taken out first.
      const withoutPort = html.replaceAll(String(server.address().port), '<port>');
      assert.doesNotMatch(withoutPort, /404/, 'the other server\'s status is not echoed');
    }
    assert.equal(hits, 1, 'fetched once');
  } finally {
    await new Promise((r) => server.close(r));
  }
});
