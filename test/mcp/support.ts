// The SDK's own client against /mcp of a running test app (src/index.ts mounts
// mcpHandler next to the router, so the tools run on the app's real services,
// database and GitHub access).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

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
