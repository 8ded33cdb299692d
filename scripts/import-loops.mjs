#!/usr/bin/env node
// Fails when a module under src/ imports one that imports it back, directly or through others.
// Reads every `crate::…` path in src/**/*.rs (test files and `#[cfg(test)]` blocks aside, comments
// ignored) and checks two graphs for cycles: the top-level modules (src/oauth/ → oauth, src/seal.rs
// → seal) and the files themselves (a directory's mod.rs re-exports are followed to the file
// that defines the name only at the module level, so files are compared through their module).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');
const isTest = (f) => /(_tests|^tests|^testing)\.rs$/.test(path.basename(f)) || path.basename(f) === 'tests.rs';

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.rs') ? [p] : [];
  });
}

/** The source without comments and without `#[cfg(test)]` items. */
function productionCode(text) {
  const noComments = text.split('\n').filter((l) => !/^\s*\/\//.test(l)).join('\n');
  const at = noComments.search(/#\[cfg\(test\)\]\s*(#\[path[^\]]*\]\s*)?mod\s+\w+\s*[;{]/);
  return at >= 0 ? noComments.slice(0, at) : noComments;
}

/** `src/oauth/token.rs` → ['oauth', 'token']; `src/oauth/mod.rs` → ['oauth']; `src/lib.rs` → []. */
function modulePath(file) {
  const parts = path.relative(SRC, file).replace(/\.rs$/, '').split(path.sep);
  if (parts.at(-1) === 'mod' || parts.at(-1) === 'lib') parts.pop();
  return parts;
}

const sources = files(SRC).filter((f) => !isTest(f));
const byModule = new Map(sources.map((f) => [modulePath(f).join('::'), f]));

/**
 * Every module path a file names, from the crate root: `crate::a::b`, and `super::…` / `self::…`
 * resolved against the file's own module, including `use …::{a, b::c}` groups.
 */
function cratePaths(code, mine) {
  const out = [];
  const base = (anchor, supers) => {
    if (anchor === 'crate') return [];
    if (anchor === 'self') return mine;
    return mine.slice(0, Math.max(0, mine.length - supers));
  };
  const anchored = /\b(crate|self|super)((?:::super)*)::(\{[^}]*\}|(?:\w+::)*\w+)/g;
  for (const m of code.matchAll(anchored)) {
    const supers = m[1] === 'super' ? 1 + (m[2].match(/super/g) ?? []).length : 0;
    const root = base(m[1], supers);
    const rest = m[3];
    if (rest.startsWith('{')) {
      for (const item of rest.slice(1, -1).split(',')) {
        const p = item.trim().split(/\s+as\s+/)[0];
        if (/^\w+(::\w+)*$/.test(p) && p !== 'self') out.push([...root, ...p.split('::')]);
      }
    } else {
      out.push([...root, ...rest.split('::')]);
    }
  }
  return out.filter((p) => p.length > 0);
}

/** The longest prefix of `parts` that is a module with its own file. */
function fileOf(parts) {
  for (let n = parts.length; n > 0; n--) {
    const f = byModule.get(parts.slice(0, n).join('::'));
    if (f) return f;
  }
  return null;
}

const topEdges = new Map();
const fileEdges = new Map();
for (const f of sources) {
  const mine = modulePath(f);
  const top = mine[0] ?? 'lib';
  for (const p of cratePaths(productionCode(readFileSync(f, 'utf8')), mine)) {
    if (p[0] !== top && mine.length) (topEdges.get(top) ?? topEdges.set(top, new Set()).get(top)).add(p[0]);
    const target = fileOf(p);
    if (target && target !== f) (fileEdges.get(f) ?? fileEdges.set(f, new Set()).get(f)).add(target);
  }
}

/** One cycle through the graph, as a list of nodes, or null. */
function findCycle(edges) {
  const state = new Map();
  const stack = [];
  const visit = (n) => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of edges.get(n) ?? []) {
      if (state.get(m) === 'open') return [...stack.slice(stack.indexOf(m)), m];
      if (!state.has(m)) {
        const c = visit(m);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 'done');
    return null;
  };
  for (const n of edges.keys()) {
    if (!state.has(n)) {
      const c = visit(n);
      if (c) return c;
    }
  }
  return null;
}

// Files of one directory module reach each other through its mod.rs (`pub use`); only imports
// between different files count, and a directory's mod.rs naming its own files is not a loop.
for (const [f, targets] of fileEdges) {
  if (path.basename(f) === 'mod.rs') for (const t of [...targets]) if (path.dirname(t) === path.dirname(f)) targets.delete(t);
}

let failed = false;
for (const [what, edges, show] of [
  ['modules', topEdges, (n) => n],
  ['files', fileEdges, (n) => path.relative(path.dirname(SRC), n)],
]) {
  const cycle = findCycle(edges);
  if (cycle) {
    console.error(`import loop between ${what}: ${cycle.map(show).join(' → ')}`);
    failed = true;
  } else {
    console.log(`no import loops between ${what} (${edges.size} importing ${what})`);
  }
}
process.exit(failed ? 1 : 0);
