// Rewrites the entry worker-build writes (build/index.js) so that a request costs no Proxy.
//
//   node scripts/plain-entry.mjs build/index.js      (scripts/build.sh runs it after worker-build)
//
// worker-build (the version scripts/versions.sh pins) exports the fetch handler as a
// `WorkerEntrypoint` class behind a Proxy. For every request the runtime constructs that class;
// the Proxy wraps the instance in a second Proxy, and reading its `fetch` wraps the method in a
// third, whose async `apply` first re-creates the Wasm instance if an earlier request trapped
// (panic recovery) and marks the instance broken when this one traps. In a profile of
// `tools/call` that wrapping was about 4 % of the isolate's samples (docs/performance.md).
//
// The default export becomes a plain handler object that does the same recovery with the
// bundle's own two functions: check (and re-create) before the call, mark on a thrown error.
// Everything else is kept: the Durable Object classes keep worker-build's wrapping (not on the
// hot path), and the bundle's error listener still marks the instance broken on a trap.
//
// The bundle is minified; each piece is found by its shape and must be found exactly once, or
// the build stops and says which (a new worker-build writes its entry differently: look again).
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node scripts/plain-entry.mjs build/index.js');
  process.exit(2);
}
let text = readFileSync(file, 'utf8');
if (text.includes('__plainEntry')) {
  console.log('plain entry: already in place');
  process.exit(0);
}

/** The one match of `pattern` in the bundle, or the build stops. */
function one(pattern, what) {
  const found = [...text.matchAll(new RegExp(pattern.source, 'g'))];
  if (found.length !== 1) {
    console.error(`plain entry: ${what} found ${found.length} times in ${file} (expected once); `
      + 'worker-build writes its entry differently than scripts/plain-entry.mjs expects');
    process.exit(1);
  }
  return found[0];
}

// `X.prototype.fetch = function (t) { return wasmFetch.call(this, t, this.env, this.ctx) }`
const handler = one(/(\w+)\.prototype\.fetch=function\((\w+)\)\{return (\w+)\.call\(this,\2,this\.env,this\.ctx\)\}/,
  'the entry class\'s fetch');
const wasmFetch = handler[3];
// `function check() { state.criticalError && (... reset the Wasm state ...) }`
const check = one(/function (\w+)\(\)\{\w+\.criticalError&&/, 'the panic recovery check')[1];
// `function mark(e) { e instanceof WebAssembly.RuntimeError && (... criticalError = true) }`
const mark = one(/function (\w+)\((\w+)\)\{\2 instanceof WebAssembly\.RuntimeError/, 'the trap marker')[1];
// `export { …, Proxied as default }`
const exported = one(/\b(\w+) as default\b/, 'the default export');

text = text.replace(exported[0], '__plainEntry as default');
text += `\nvar __plainEntry={async fetch(r,e,c){${check}();try{return await ${wasmFetch}(r,e,c)}catch(x){${mark}(x);throw x}}};\n`;
writeFileSync(file, text);
console.log(`plain entry: the default export is a handler object (fetch ${wasmFetch}, recovery ${check}/${mark})`);
