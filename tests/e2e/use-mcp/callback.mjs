// The OAuth callback page of use-mcp.test.mjs (bundled by esbuild there; not a test file): the
// popup lands here with the code; use-mcp exchanges it and hands the tokens to the opener.
import { onMcpAuthorization } from 'use-mcp';

onMcpAuthorization();
