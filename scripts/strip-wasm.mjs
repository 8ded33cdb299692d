#!/usr/bin/env node
// Drops the custom sections of a Wasm file in place: the `name` section wasm-bindgen writes for
// its own glue (about 11 KB; rustc's function names are already stripped by the release
// profile), `producers` and `target_features`. None of them is read at run time.
//   node scripts/strip-wasm.mjs build/index_bg.wasm
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.argv[2];
const wasm = readFileSync(file);
if (wasm.readUInt32BE(0) !== 0x0061736d) throw new Error(`${file} is not a Wasm module`);

/** Reads an unsigned LEB128 at `at`: [value, offset after it]. */
function leb(at) {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = wasm[at++];
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, at];
  }
}

const kept = [wasm.subarray(0, 8)];
for (let at = 8; at < wasm.length; ) {
  const [size, body] = leb(at + 1);
  const end = body + size;
  if (end > wasm.length) throw new Error(`${file}: a section runs past the end`);
  if (wasm[at] !== 0) kept.push(wasm.subarray(at, end));
  at = end;
}
writeFileSync(file, Buffer.concat(kept));
