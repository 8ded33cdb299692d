// The Worker: an OAuth 2.1 provider (workers-oauth-provider) in front of an McpAgent. Requests to
// /sse and /mcp with a valid access token reach the agent, with the grant's props (the WorkOS
// user, tokens and permissions) as its `this.props`; everything else (and those two without a
// token) goes to the AuthKit handler (authkit.js), which serves /authorize and /callback.
// /token, /register and the metadata documents are the provider's own.
import OAuthProvider from '@cloudflare/workers-oauth-provider';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpAgent } from 'agents/mcp';
import { z } from 'zod';
import { authkit } from './authkit.js';

/** One per MCP session (a Durable Object); `init()` runs when the agent starts. */
export class MyMCP extends McpAgent {
  server = new McpServer({ name: 'remote-mcp-authkit (bench reconstruction)', version: '1.0.0' });

  async init() {
    this.server.tool(
      'add',
      'Adds two numbers',
      { a: z.number(), b: z.number() },
      async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
    );

    // Only for users whose WorkOS access token carries the permission.
    if (this.props?.permissions?.includes('image_generation')) {
      this.server.tool(
        'generateImage',
        'Generates an image with Workers AI (flux-1-schnell)',
        {
          prompt: z.string().describe('What the image should show'),
          steps: z.number().min(4).max(8).default(4).describe('Diffusion steps, 4 to 8'),
        },
        async ({ prompt, steps }) => {
          // The bench runs without Workers AI (it would need a Cloudflare account).
          if (!this.env.AI) return { isError: true, content: [{ type: 'text', text: 'Workers AI is not bound here' }] };
          const { image } = await this.env.AI.run('@cf/black-forest-labs/flux-1-schnell', { prompt, steps });
          return { content: [{ type: 'image', data: image, mimeType: 'image/jpeg' }] };
        },
      );
    }
  }
}

export default new OAuthProvider({
  apiHandlers: {
    '/sse': MyMCP.serveSSE('/sse'), // legacy HTTP+SSE: GET /sse, POST /sse/message
    '/mcp': MyMCP.serve('/mcp'),    // Streamable HTTP
  },
  defaultHandler: authkit,
  authorizeEndpoint: '/authorize',
  tokenEndpoint: '/token',
  clientRegistrationEndpoint: '/register',
});
