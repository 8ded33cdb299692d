// Stands in for the web browser mcp-remote opens for OAuth (not a test file).
//
// mcp-remote opens the authorization URL with the `open` package, which on Linux runs its bundled
// `xdg-open`; with no desktop session that runs `$BROWSER <url>`. mcp-remote.test.mjs points
// BROWSER at a one-line shell wrapper around this script, which hands the URL to the test over
// loopback HTTP (E2E_BROWSER_HOOK); the test then plays the person in the browser with the
// cookie-jar `Browser` (sign-in at the emulator, consent) and follows the final redirect to
// mcp-remote's callback — so no real browser is involved, and nothing leaves the machine.
// Exits 0 once the test has the URL (what a browser launcher does), 1 otherwise.
const [target] = process.argv.slice(2);
const hook = process.env.E2E_BROWSER_HOOK;
if (!target || !hook) {
  console.error('usage: E2E_BROWSER_HOOK=<url> mcp-remote-browser.mjs <url to open>');
  process.exit(1);
}
try {
  const res = await fetch(hook, { method: 'POST', body: target, signal: AbortSignal.timeout(10000) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
