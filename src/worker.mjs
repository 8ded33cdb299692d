// The Worker's entry module (wrangler.toml's `main`): the module worker-build writes
// (build/index.js: the Wasm, its glue, the fetch handler and the Durable Object classes), with
// two changes. The runtime offers Workers RPC only on Durable Object classes derived from its
// `DurableObject`, and the classes worker-build exports are not: the grant object's class is
// made one here, before the runtime reads the exports, so that the Worker calls its methods
// (`GrantGuard`'s `#[wasm_bindgen]` methods, src/grant_object.rs) without an HTTP request. So is
// the session object's (`SseSession`: its `message`, src/session_object.rs), which keeps `fetch`
// for the stream it answers with. And the fetch handler calls the Wasm without worker-build's
// per-request Proxies (src/fetch-entry.mjs).
import { DurableObject } from 'cloudflare:workers';
import worker, { GrantGuard, SseSession } from '../build/index.js';
import { directFetch } from './fetch-entry.mjs';

// worker-build exports each class behind a Proxy that forwards these to the class itself.
for (const rpc of [GrantGuard, SseSession]) {
  Object.setPrototypeOf(rpc.prototype, DurableObject.prototype);
  Object.setPrototypeOf(rpc, DurableObject);
}

export { GrantGuard, SseSession };
export default directFetch(worker);
