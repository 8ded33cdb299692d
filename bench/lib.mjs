// Shared by the benchmarks: the e2e stack started for a benchmark, and a percentile.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStack } from '../tests/e2e/stack.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Nearest-rank percentile of sorted numbers. */
export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

/**
 * Starts the same stack as the end-to-end tests (Worker mode only; logs in
 * target/bench-artifacts/), stopped on SIGINT/SIGTERM too. Returns {stack, testEnv, mcp, oauth}:
 * the e2e helper modules, imported after the stack's addresses are in the environment (the
 * helpers read them when first imported).
 */
export async function startBenchStack({ say, logRequests = false }) {
  const stack = createStack({ artifacts: path.join(ROOT, 'target/bench-artifacts'), say, logRequests, authkitWorker: false });
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
    process.once(sig, async () => {
      say(`${sig}: stopping everything`);
      await stack.stop();
      process.exit(code);
    });
  }
  try {
    const { testEnv } = await stack.start();
    Object.assign(process.env, testEnv);
    const oauth = await import('../tests/e2e/oauth-helpers.mjs');
    const mcp = { ...(await import('../tests/e2e/mcp-helpers.mjs')), ORIGIN: oauth.ORIGIN };
    return { stack, testEnv, mcp, oauth };
  } catch (err) {
    await stack.stop();
    throw err;
  }
}
