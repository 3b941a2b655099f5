// Reaching /mcp of a running test app with the SDK's own client. When the app
// already serves /mcp (src/index.ts wires mcpHandler), the tests use it there;
// otherwise the handler is mounted on a server of its own, built on the test
// app's services (same database, same GitHub access, same background worker)
// with its own claim waiter, exactly as src/index.ts would build it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { mcpHandler } from '../../src/handlers/mcp/handler.ts';
import { startClaimWaiter } from '../../src/services/jobs/claim-waiter.ts';
import { createStatusHooks } from '../../src/services/jobs/status-hooks.ts';
import type { TestApp } from '../support/app.ts';

export interface McpEndpoint {
  url: string;
  /** true when the test app itself serves /mcp */
  wired: boolean;
  close(): Promise<void>;
}

export async function mcpEndpoint(app: TestApp): Promise<McpEndpoint> {
  const probe = await fetch(`${app.url}/mcp`, { method: 'POST' });
  await probe.arrayBuffer();
  if (probe.status === 401 && probe.headers.get('www-authenticate')) {
    return { url: `${app.url}/mcp`, wired: true, close: async () => {} };
  }
  const waiter = await startClaimWaiter(app.services.config.databaseUrl!, app.services.log);
  const handle = mcpHandler(app.services, { waiter, statusHooks: createStatusHooks(app.services) });
  const server = http.createServer((req, res) => {
    handle(req, res).then(
      (handled) => {
        if (!handled) res.writeHead(404).end();
      },
      (error: unknown) => {
        res.writeHead(500).end(String(error));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    wired: false,
    async close() {
      await waiter.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export async function connectAgent(url: string, token: string | null): Promise<Client> {
  const client = new Client({ name: 'scrum4me-test-agent', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: token ? { authorization: `Bearer ${token}` } : {} },
  });
  await client.connect(transport);
  return client;
}

export type ToolResult = CallToolResult;

/** Calls a tool and returns its result as the SDK client hands it over. */
export async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolResult> {
  return (await client.callTool({ name, arguments: args })) as ToolResult;
}

/** The JSON of a successful tool result (its structured content, which must equal the text). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers loosely, as test/support/app.ts does
export function answer(result: ToolResult): any {
  if (result.isError) throw new Error(`tool failed: ${textOf(result)}`);
  return result.structuredContent;
}

export function textOf(result: ToolResult): string {
  const first = result.content[0];
  return first?.type === 'text' ? first.text : '';
}
