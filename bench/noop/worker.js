// The machine's limit for the hot-path benchmark (bench/mcp.mjs): a Worker that reads the
// request body and answers a fixed JSON-RPC result the size of `tools/call add`'s — no auth, no
// parsing, no work. Run beside the product Worker in the same workerd, under the same load.
const RESULT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  result: { content: [{ type: 'text', text: '5' }], structuredContent: { sum: 5 }, isError: false },
});

export default {
  async fetch(request) {
    await request.arrayBuffer();
    return new Response(RESULT, { headers: { 'content-type': 'application/json' } });
  },
};
