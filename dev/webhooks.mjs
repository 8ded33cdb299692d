// WorkOS webhooks, as WorkOS delivers them, for the local stack (the emulator sends none): the
// front keeps one endpoint (URL + secret, as the WorkOS dashboard would) and sends events to it
// on request, signed the way WorkOS signs them — `WorkOS-Signature: t=<ms>, v1=<hex HMAC-SHA256
// of "<t>.<body>">` — or deliberately not (a forged signature, a stale timestamp, no header),
// and it can deliver an event again under the same id (WorkOS retries a delivery that failed).
//
//   PUT  /__control/webhook {url, secret}        the endpoint (like the dashboard step)
//   POST /__control/webhook/send {event, data, id?, signature?: 'valid'|'forged'|'stale'|'none'}
//        → {id, status, body}: the Worker's answer to the delivery
//   GET  /__control/webhook/deliveries            every delivery made, oldest first
import { createHmac, randomUUID } from 'node:crypto';

const SIGNATURES = new Set(['valid', 'forged', 'stale', 'none']);

/** `t=<ms>, v1=<hex>` for `body` under `secret`. */
export function workosSignature(secret, body, at = Date.now()) {
  const v1 = createHmac('sha256', secret).update(`${at}.${body}`).digest('hex');
  return `t=${at}, v1=${v1}`;
}

export function createWebhooks({ log = () => {} } = {}) {
  let endpoint = null;
  const deliveries = [];

  return {
    setEndpoint(spec) {
      if (!spec || typeof spec.url !== 'string' || !/^https?:\/\//.test(spec.url)) throw new Error('url must be an http(s) URL');
      if (typeof spec.secret !== 'string' || spec.secret.length < 16) throw new Error('secret must be a string of at least 16 characters');
      endpoint = { url: spec.url, secret: spec.secret };
      return { url: endpoint.url };
    },
    deliveries: () => deliveries.map((d) => ({ ...d })),
    async send(spec) {
      if (!endpoint) throw new Error('no webhook endpoint: PUT /__control/webhook first');
      if (typeof spec?.event !== 'string') throw new Error('event must be a string');
      const signature = spec.signature ?? 'valid';
      if (!SIGNATURES.has(signature)) throw new Error(`signature must be one of ${[...SIGNATURES].join(', ')}`);
      const id = spec.id ?? `event_${randomUUID().replaceAll('-', '').slice(0, 26).toUpperCase()}`;
      const body = JSON.stringify({ id, event: spec.event, data: spec.data ?? {}, created_at: new Date().toISOString() });
      const headers = { 'content-type': 'application/json', 'user-agent': 'WorkOS Webhooks (local front)' };
      if (signature === 'valid') headers['workos-signature'] = workosSignature(endpoint.secret, body);
      if (signature === 'forged') headers['workos-signature'] = workosSignature(`not-${endpoint.secret}`, body);
      if (signature === 'stale') headers['workos-signature'] = workosSignature(endpoint.secret, body, Date.now() - 10 * 60 * 1000);
      const res = await fetch(endpoint.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(30000) });
      const text = await res.text();
      const delivery = { at: new Date().toISOString(), id, event: spec.event, signature, status: res.status, body: text.slice(0, 500) };
      deliveries.push(delivery);
      log(`front: webhook ${spec.event} (${id}, ${signature}) → ${res.status}`);
      return { id, status: res.status, body: text };
    },
  };
}
