// Preloaded (`node --require dev/exit-with-parent.cjs …`) into the child processes that
// dev/emulator.mjs and tests/e2e/run.mjs start (the WorkOS emulator, wrangler, the test runner), so
// a child never outlives its parent — even when the parent is killed with SIGKILL and cannot clean
// up. The parent spawns the child with a pipe on stdin that it never writes to, and sets
// EXIT_WITH_PARENT=1. When the parent dies the kernel closes the pipe, stdin ends here, and the
// child is asked to stop with SIGTERM (so its own shutdown runs, e.g. wrangler stopping workerd),
// then forced out if that takes too long.
// CommonJS and --require on purpose: Node 20 runs --import preloads only in `node --test`'s
// per-file processes, not in the runner itself; --require runs in both.
'use strict';
const net = require('node:net');

// Only a pipe can tell us the parent is gone (a file or /dev/null would "end" at once). Note: no
// fs.fstatSync(0) here — in a --require preload it breaks node's symlink resolution of the main
// script (node_modules/.bin/wrangler then looks for wrangler-dist/ next to .bin/).
const stdinIsPipe = () => process.stdin instanceof net.Socket && !process.stdin.isTTY;

if (process.env.EXIT_WITH_PARENT === '1' && stdinIsPipe()) {
  delete process.env.EXIT_WITH_PARENT; // not for grandchildren: their stdin is not our pipe
  const stop = () => {
    setTimeout(() => process.exit(1), 5000).unref();
    process.kill(process.pid, 'SIGTERM');
  };
  process.stdin.once('end', stop);
  process.stdin.once('error', stop);
  process.stdin.resume();
  process.stdin.unref(); // watching stdin must not keep the child alive by itself
}
