// The release Wasm's largest contributors, for bench/mcp.mjs's size report. The shipped Wasm has
// no function names (the release profile strips them, and keeping them changes what wasm-opt
// makes of the code), so this builds the same crate once more with its names kept (its own cargo
// target directory, target/size-names: the first build compiles the dependencies, later ones
// only this crate), optimizes it with the shipped flags (scripts/optimize-wasm.sh --keep-names),
// and reads the code section's function sizes and the name section. It is the module before
// wasm-bindgen: its descriptor functions, which wasm-bindgen removes, are left out. Code is
// counted where it was instantiated: a generic function under the crate of its path (for an impl,
// the crate of the type), as twiggy attributes it.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Unsigned LEB128 at `at` in `buf`: [value, offset after it]. */
function leb(buf, at) {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = buf[at++];
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, at];
  }
}

/** Skips a name (length-prefixed bytes) at `at`. */
const skipName = (buf, at) => {
  const [len, from] = leb(buf, at);
  return from + len;
};

/** The module's functions (`{ name, bytes }`, code bodies) and its data segments' size. */
export function readFunctions(wasm) {
  let imported = 0;
  const bodies = [];
  const names = new Map();
  let data = 0;
  for (let at = 8; at < wasm.length;) {
    const id = wasm[at];
    const [size, body] = leb(wasm, at + 1);
    const end = body + size;
    if (id === 2) {
      let [count, i] = leb(wasm, body);
      for (; count > 0; count--) {
        i = skipName(wasm, skipName(wasm, i));
        const kind = wasm[i++];
        if (kind === 0) {
          // A function: its type index.
          imported++;
          i = leb(wasm, i)[1];
        } else if (kind === 1 || kind === 2) {
          // A table (its element type first) or a memory: limits, a maximum when flagged.
          if (kind === 1) i++;
          const [flags, min] = leb(wasm, i);
          i = leb(wasm, min)[1];
          if (flags & 1) i = leb(wasm, i)[1];
        } else if (kind === 3) {
          i += 2; // a global: its type, mutability
        } else if (kind === 4) {
          i = leb(wasm, i + 1)[1]; // a tag: attribute, type index
        }
      }
    } else if (id === 10) {
      let [count, i] = leb(wasm, body);
      for (; count > 0; count--) {
        const [len, from] = leb(wasm, i);
        bodies.push(len);
        i = from + len;
      }
    } else if (id === 11) {
      data = size;
    } else if (id === 0 && wasm.toString('utf8', leb(wasm, body)[1], skipName(wasm, body)) === 'name') {
      for (let i = skipName(wasm, body); i < end;) {
        const sub = wasm[i];
        const [subSize, from] = leb(wasm, i + 1);
        if (sub === 1) {
          let [count, j] = leb(wasm, from);
          for (; count > 0; count--) {
            const [index, n] = leb(wasm, j);
            const [len, text] = leb(wasm, n);
            names.set(index, wasm.toString('utf8', text, text + len));
            j = text + len;
          }
        }
        i = from + subSize;
      }
    }
    at = end;
  }
  const functions = bodies.map((bytes, k) => ({ name: names.get(imported + k) ?? `function ${imported + k}`, bytes }));
  return { functions, data };
}

/** The crate a (mangled) Rust function name belongs to, or null. */
export function crateOf(name) {
  // v0 mangling: the first crate root (`Cs<hash>_<length><name>`) is the item's own crate.
  const v0 = /^_R.*?C[sr]?[0-9A-Za-z]*_(\d+)/.exec(name);
  if (v0) {
    const from = v0.index + v0[0].length;
    return name.slice(from, from + Number(v0[1]));
  }
  // Legacy mangling: the path's first segment (length-prefixed), or, for an impl
  // (`<Type as Trait>`), the first crate named in it (the type's).
  const legacy = /^_ZN(\d+)/.exec(name);
  if (!legacy) return null;
  const first = name.slice(legacy[0].length, legacy[0].length + Number(legacy[1]));
  if (!first.startsWith('_$LT$')) return first;
  return /([a-z_][a-z0-9_]*)\.\./.exec(first)?.[1] ?? null;
}

/** `<length><text>` segments from `at` in `name`, as far as they go. */
function segments(name, at) {
  const out = [];
  for (let m; (m = /^_?(\d+)/.exec(name.slice(at)));) {
    const from = at + m[0].length;
    out.push(name.slice(from, from + Number(m[1])));
    at = from + Number(m[1]);
  }
  return out;
}

/** A function's path, demangled enough to be read (generic arguments and hashes left out). */
export function readable(name) {
  let path;
  if (name.startsWith('_ZN')) {
    path = segments(name, 3).filter((s) => !/^h[0-9a-f]{16}$/.test(s));
  } else if (name.startsWith('_R')) {
    const root = /C[sr]?[0-9A-Za-z]*_(?=\d)/.exec(name);
    path = root ? segments(name, root.index + root[0].length) : [name];
  } else {
    path = [name];
  }
  const escapes = [[/\$LT\$/g, '<'], [/\$GT\$/g, '>'], [/\$u20\$/g, ' '], [/\$u7b\$/g, '{'], [/\$u7d\$/g, '}'],
    [/\$RF\$/g, '&'], [/\$C\$/g, ','], [/\.\./g, '::'], [/(^|::)_(?=[<{])/g, '$1']];
  return escapes.reduce((text, [from, to]) => text.replace(from, to), path.join('::')).slice(0, 110);
}

/**
 * Builds the named copy and reports its largest contributors: `{ crates: [[crate, bytes]],
 * functions: [[name, bytes]], code, data }` (bytes of code in the optimized module, and of its
 * data segments).
 */
export function sizeContributors({ root, say, top = 10 }) {
  const targetDir = path.join(root, 'target/size-names');
  say('size: the release Wasm once more with its function names kept, for its largest contributors');
  execFileSync('cargo', ['build', '--quiet', '--release', '--target', 'wasm32-unknown-unknown'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, CARGO_TARGET_DIR: targetDir, CARGO_PROFILE_RELEASE_STRIP: 'debuginfo' },
  });
  const named = path.join(targetDir, 'named.wasm');
  copyFileSync(path.join(targetDir, 'wasm32-unknown-unknown/release/mcp_authkit_worker.wasm'), named);
  const optimize = path.join(root, 'scripts/optimize-wasm.sh');
  execFileSync('bash', [optimize, named, '--keep-names'], { cwd: root, stdio: 'inherit' });
  const { functions, data } = readFunctions(readFileSync(named));
  const shipped = functions.filter((f) => !f.name.startsWith('__wbindgen_describe'));
  const byCrate = new Map();
  for (const f of shipped) {
    const crate = crateOf(f.name) ?? '(unmangled: exports, compiler builtins)';
    byCrate.set(crate, (byCrate.get(crate) ?? 0) + f.bytes);
  }
  const code = shipped.reduce((sum, f) => sum + f.bytes, 0);
  return {
    crates: [...byCrate].sort((a, b) => b[1] - a[1]).slice(0, top),
    functions: shipped.sort((a, b) => b.bytes - a.bytes).slice(0, top).map((f) => [readable(f.name), f.bytes]),
    code,
    data,
  };
}
