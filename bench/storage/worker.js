// What one storage operation costs under `wrangler dev` (bench/mcp.mjs prints it beside the
// OAuth flow): each request makes at most one operation, named by its path. Local KV and
// Durable Objects are simulated by workerd itself (SQLite and files), so their CPU is the
// runtime's, not the calling Worker's. `/fetch` is a plain outbound request (to FETCH_URL, a
// server the benchmark runs): what any subrequest costs, storage or not. `/do-rpc` calls a method
// of the live object by Workers RPC (as the product Worker calls its grant objects), where
// `/do-live` sends it a request.
import { DurableObject } from 'cloudflare:workers';

const VALUE = 'x'.repeat(800); // about a grant record's size

export class Store extends DurableObject {
  constructor(state, env) {
    super(state, env);
    this.storage = state.storage;
  }

  async ping(text) {
    return text.length;
  }

  async fetch(request) {
    const op = new URL(request.url).pathname;
    if (op === '/put') await this.storage.put('record', { value: VALUE, expires_at_ms: Date.now() + 3600e3 });
    if (op === '/alarm') await this.storage.setAlarm(Date.now() + 3600e3);
    return new Response('ok');
  }

  async alarm() {}
}

export default {
  async fetch(request, env) {
    const op = new URL(request.url).pathname;
    const fresh = crypto.randomUUID();
    const object = (name) => env.STORE.get(env.STORE.idFromName(name));
    switch (op) {
      case '/none': break;
      case '/kv-get': await env.KV.get('present'); break;
      case '/kv-put': await env.KV.put(`k:${fresh}`, VALUE, { expirationTtl: 3600 }); break;
      case '/kv-delete': await env.KV.delete(`k:${fresh}`); break;
      case '/do-new': await (await object(fresh).fetch('https://store/')).text(); break;
      case '/do-live': await (await object('live').fetch('https://store/')).text(); break;
      case '/do-rpc': await object('live').ping(VALUE); break;
      case '/do-put': await (await object('live').fetch('https://store/put')).text(); break;
      case '/do-alarm': await (await object('live').fetch('https://store/alarm')).text(); break;
      case '/fetch': await (await fetch(env.FETCH_URL)).text(); break;
      default: return new Response('unknown operation', { status: 404 });
    }
    return new Response('ok');
  },
};
