// The Rust no-op's entry module: worker-build's module with the product Worker's fetch handler
// (src/fetch-entry.mjs), so that it stays the floor of a Worker built as that one is.
import worker from './build/index.js';
import { directFetch } from '../../src/fetch-entry.mjs';

export default directFetch(worker);
