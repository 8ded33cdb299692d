// Starting and stopping child processes so that none is ever left behind (used by
// dev/emulator.mjs and tests/e2e/run.mjs):
//  * children are node programs started with dev/exit-with-parent.cjs preloaded, so they stop by
//    themselves if this process dies without cleaning up (SIGKILL, crash);
//  * `group: true` puts the child in its own process group, so stopping it also stops what it
//    started (wrangler → workerd);
//  * an 'exit' hook kills children still running when this process exits without stopping them.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WATCHDOG = fileURLToPath(new URL('./exit-with-parent.cjs', import.meta.url));
const running = new Set();

process.on('exit', () => {
  for (const c of running) signal(c, 'SIGKILL');
});

function signal(child, sig) {
  try {
    if (child.group) process.kill(-child.pid, sig);
    else child.kill(sig);
  } catch { /* already gone */ }
}

/**
 * Runs `node <nodeArgs…>` (e.g. [script, ...args]) as a child. stdin is the pipe the watchdog
 * watches — never written to; stdout/stderr are pipes for the caller to read unless `output` is
 * 'inherit'.
 */
export function spawnNode(nodeArgs, { cwd, env = process.env, group = false, output = 'pipe' } = {}) {
  const child = spawn(process.execPath, ['--require', WATCHDOG, ...nodeArgs], {
    cwd,
    env: { ...env, EXIT_WITH_PARENT: '1' },
    stdio: ['pipe', output, output],
    detached: group,
  });
  child.group = group;
  child.exited = new Promise((resolve) => child.once('exit', (code, sig) => resolve({ code, signal: sig })));
  running.add(child);
  child.exited.then(() => running.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child, graceMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    if (child?.group) signal(child, 'SIGKILL'); // leftovers of the group, if any
    return;
  }
  signal(child, 'SIGTERM');
  const timer = setTimeout(() => signal(child, 'SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
  if (child.group) signal(child, 'SIGKILL'); // grandchildren that outlived their parent
}

/** Calls `onLine` for each line of a readable stream. */
export function eachLine(stream, onLine) {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i).replace(/\r$/, ''));
      buf = buf.slice(i + 1);
    }
  });
  stream.on('end', () => { if (buf) onLine(buf); });
}
