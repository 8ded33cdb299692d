// The browser page of use-mcp.test.mjs (bundled by esbuild there; not a test file): a React app
// built on `useMcp` from the npm `use-mcp` package — the hook browser playgrounds use — pointed at
// the Worker named by `?url=` with `?transport=auto|sse|http`. It shows the hook's state and tools
// and exposes them as `window.mcp` for the test, which also calls tools through it.
import { createElement as h, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { useMcp } from 'use-mcp/react';

function App({ url, transportType }) {
  const mcp = useMcp({
    url,
    transportType,
    clientName: 'use-mcp e2e page',
    clientUri: window.location.origin,
    callbackUrl: `${window.location.origin}/oauth/callback`,
    autoReconnect: false,
    debug: true,
    // Each authorization URL the hook opens the popup with, in order (the test follows the last).
    onPopupWindow: (url) => { window.authUrls = [...(window.authUrls ?? []), url]; },
  });
  useEffect(() => {
    window.mcp = {
      state: mcp.state,
      error: mcp.error ?? null,
      tools: mcp.tools.map((t) => t.name),
      log: mcp.log.map((l) => `${l.level}: ${l.message}`),
      callTool: (name, args) => mcp.callTool(name, args),
    };
  });
  return h('main', null,
    h('p', { 'data-testid': 'state' }, mcp.state),
    mcp.error ? h('pre', { 'data-testid': 'error' }, mcp.error) : null,
    h('ul', { 'data-testid': 'tools' }, mcp.tools.map((t) => h('li', { key: t.name }, t.name))));
}

const q = new URLSearchParams(window.location.search);
createRoot(document.getElementById('root')).render(h(App, { url: q.get('url'), transportType: q.get('transport') ?? 'auto' }));
