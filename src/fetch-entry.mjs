// The fetch handler of a module worker-build writes, without worker-build's per-request
// machinery (src/worker.mjs; the benchmark's Rust no-op, bench/noop-rs/entry.mjs, uses it too).
//
// worker-build's default export is a `WorkerEntrypoint` class behind a Proxy: the runtime
// constructs it for every request (the Proxy's construct trap first re-creates a Wasm instance
// that trapped), and its `fetch` is reached through a second Proxy, made for that call, whose
// async wrapper marks the instance broken when the call fails with a trap. The handler here
// calls the class's own `fetch` (found on its prototype, which the outer Proxy does not trap; it
// hands the Wasm's fetch export the request, `env` and `ctx`) with the same recovery: a trap that
// reaches it marks the instance broken, as the wrapper would (the Rust future runs in microtasks,
// where a trap is marked by the glue's own error listener), and while the instance is marked,
// requests go through the class, whose construct trap re-creates it. It saves about 7 % of the
// runtime's CPU per `tools/call` (docs/performance.md, 2026-12-05 evening).

/** The module's fetch handler, given worker-build's default export. */
export function directFetch(worker) {
  // worker-build's state, shared with its glue: `criticalError` marks a trapped instance.
  const state = globalThis.__worker_init_state;
  const wasmFetch = worker.prototype?.fetch;
  if (typeof wasmFetch !== 'function' || typeof state?.criticalError !== 'boolean') {
    throw new Error('not the module worker-build writes at the version scripts/versions.sh pins');
  }
  const marked = (err) => {
    if (err instanceof WebAssembly.RuntimeError) state.criticalError = true;
    throw err;
  };
  return {
    fetch(request, env, ctx) {
      if (state.criticalError) return new worker(ctx, env).fetch(request);
      try {
        return wasmFetch.call({ env, ctx }, request).catch(marked);
      } catch (err) {
        return marked(err);
      }
    },
  };
}
