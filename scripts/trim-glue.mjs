// Removes from wasm-bindgen's JS glue the classes of the `worker` and `wasm-streams` crates that
// this Worker never uses: node scripts/trim-glue.mjs <wasm-bindgen out dir>.
// scripts/wasm-bindgen.sh runs it after wasm-bindgen, before worker-build bundles the glue (so
// worker-build, which wraps each exported class it finds, no longer finds them). Their Wasm
// exports go in scripts/optimize-wasm.sh, and the code only they reach with them.
//
// Each class is three pieces in wasm-bindgen's output: `[export ]class Name {` … `}` (the `}` at
// the start of a line), `if (Symbol.dispose) Name.prototype…`, and
// `const NameFinalization = …` … `});`. If the glue's shape changes, or the name is still
// mentioned once they are gone, the build stops here rather than ship a broken module.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const UNUSED = ['ContainerStartupOptions', 'MinifyConfig', 'R2Range', 'IntoUnderlyingByteSource', 'IntoUnderlyingSink'];

/** The lines from the one `starts` matches through the first after it that `ends` matches. */
function cut(lines, starts, ends, what) {
  const from = lines.findIndex(starts);
  if (from < 0) throw new Error(`${what}: not found`);
  const to = lines.findIndex((l, i) => i >= from && ends(l));
  if (to < 0) throw new Error(`${what}: no end`);
  lines.splice(from, to - from + 1);
}

export function trim(source) {
  const lines = source.split('\n');
  for (const name of UNUSED) {
    cut(lines, (l) => l === `class ${name} {` || l === `export class ${name} {`, (l) => l === '}', `class ${name}`);
    cut(lines, (l) => l.startsWith(`if (Symbol.dispose) ${name}.prototype`), () => true, `${name}'s dispose`);
    cut(lines, (l) => l.startsWith(`const ${name}Finalization = `), (l) => l === '});', `${name}Finalization`);
    const left = lines.findIndex((l) => new RegExp(`\\b${name}(Finalization)?\\b`).test(l));
    if (left >= 0) throw new Error(`${name} is still used: ${lines[left].trim()}`);
  }
  return lines.join('\n');
}

const dir = process.argv[2];
if (dir) {
  const glue = readdirSync(dir).filter((f) => f.endsWith('.js') && readFileSync(path.join(dir, f), 'utf8').includes('__wbg_ptr'));
  if (glue.length !== 1) throw new Error(`trim-glue: expected one wasm-bindgen glue file in ${dir}, found ${glue.length}`);
  const file = path.join(dir, glue[0]);
  writeFileSync(file, trim(readFileSync(file, 'utf8')));
}
