// MCP vs HTTP: the latency of update_job_status as an MCP tool call (POST /mcp,
// JSON-RPC tools/call) next to the same status call over the agent API (POST
// /api/v1/jobs/{id}/status), one request at a time, taking turns so that
// all see the same database and machine state. Target: MCP within 2 ms of
// HTTP at p50. Both go through the app's own server. A third row measures what
// an agent using the SDK's Client sees (its own JSON-RPC and validation work included).
// Self-contained: a throwaway embedded PostgreSQL and one app (./support/environment.ts).
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { startBenchEnvironment, type BenchEnvironment } from './support/environment.ts';
import { percentile } from './support/stats.ts';
import type { BenchRow } from './support/table.ts';
import { insertClaimedIdeaJobs, seedUser, seedWorld, settleJobsTable } from './support/world.ts';

const samples = 1000;
const warmup = 200;
const targetGapMs = 2;

export interface McpBenchResult {
  rows: BenchRow[];
  notes: string[];
  failures: string[];
}

interface Endpoint {
  httpBase: string;
  mcpUrl: string;
  where: string;
}

export async function benchMcp(): Promise<McpBenchResult> {
  const env = await startBenchEnvironment();
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const world = await seedWorld(env.app.db.prisma);
    const user = await seedUser(env.app.db.prisma, 'bench-mcp', 1);
    const agent = user.agents[0]!;
    const endpoint = await reachMcp(env);
    const jobs = async (prefix: string, count: number) => insertClaimedIdeaJobs(env.pool, world, user.id, agent, prefix, count);
    const failures: string[] = [];
    const httpCall = async (jobId: string, status: string) => {
      const answer = await post(keepAlive, `${endpoint.httpBase}/api/v1/jobs/${jobId}/status`, agent.token, JSON.stringify({ status }));
      if (answer.status !== 200) failures.push(`HTTP ${status} ${jobId}: ${answer.status} ${answer.text.slice(0, 200)}`);
    };
    let rpcId = 0;
    const mcpCall = async (jobId: string, status: string) => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method: 'tools/call', params: { name: 'update_job_status', arguments: { job_id: jobId, status } } });
      const answer = await post(keepAlive, endpoint.mcpUrl, agent.token, body, {
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
      });
      if (answer.status !== 200 || !answer.text.includes(`"status":"${status}"`) || answer.text.includes('"isError":true')) {
        failures.push(`MCP ${status} ${jobId}: ${answer.status} ${answer.text.slice(0, 200)}`);
      }
    };

    const sdk = new Client({ name: 'bench-agent', version: '1.0.0' });
    await sdk.connect(new StreamableHTTPClientTransport(new URL(endpoint.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${agent.token}` } } }));
    const sdkCall = async (jobId: string, status: string) => {
      const result = await sdk.callTool({ name: 'update_job_status', arguments: { job_id: jobId, status } });
      if (result.isError) failures.push(`SDK ${status} ${jobId}: ${JSON.stringify(result.content).slice(0, 200)}`);
    };
    const latency = { http: [] as number[], mcp: [] as number[], sdk: [] as number[] };
    try {
      // warm every path (JIT, pools, prepared plans), then measure the three in turn
      const warm = { http: await jobs('mcp-warm-http', warmup), mcp: await jobs('mcp-warm-mcp', warmup), sdk: await jobs('mcp-warm-sdk', warmup) };
      for (let i = 0; i < warmup; i++) {
        await httpCall(warm.http[i]!, 'running');
        await mcpCall(warm.mcp[i]!, 'running');
        await sdkCall(warm.sdk[i]!, 'running');
      }
      const measured = { http: await jobs('mcp-http', samples), mcp: await jobs('mcp-mcp', samples), sdk: await jobs('mcp-sdk', samples) };
      await settleJobsTable(env.pool);
      for (const status of ['running', 'done'] as const) {
        for (let i = 0; i < samples; i++) {
          latency.http.push(await timed(() => httpCall(measured.http[i]!, status)));
          latency.mcp.push(await timed(() => mcpCall(measured.mcp[i]!, status)));
          latency.sdk.push(await timed(() => sdkCall(measured.sdk[i]!, status)));
        }
      }
    } finally {
      await sdk.close();
    }

    const p50 = { http: percentile(latency.http, 50), mcp: percentile(latency.mcp, 50), sdk: percentile(latency.sdk, 50) };
    const rows: BenchRow[] = [
      { name: 'update_job_status over HTTP: latency p50', value: p50.http, unit: 'ms' },
      { name: 'update_job_status over HTTP: latency p99', value: percentile(latency.http, 99), unit: 'ms' },
      {
        name: 'update_job_status over MCP: latency p50',
        value: p50.mcp,
        baseline: p50.http,
        unit: 'ms',
        target: `≤ HTTP + ${targetGapMs} ms`,
        pass: p50.mcp <= p50.http + targetGapMs,
      },
      { name: 'update_job_status over MCP: latency p99', value: percentile(latency.mcp, 99), baseline: percentile(latency.http, 99), unit: 'ms' },
      { name: 'update_job_status over MCP, SDK client: latency p50', value: p50.sdk, baseline: p50.http, unit: 'ms' },
      { name: 'update_job_status over MCP, SDK client: latency p99', value: percentile(latency.sdk, 99), baseline: percentile(latency.http, 99), unit: 'ms' },
    ];
    const notes = [
      `mcp: ${samples} running + ${samples} done calls per interface, one at a time, HTTP, raw MCP and SDK client in turn; ` +
        `served by ${endpoint.where}; client in the bench process`,
      `mcp: MCP p50 is HTTP p50 + ${(p50.mcp - p50.http).toFixed(2)} ms; the SDK client adds ${(p50.sdk - p50.mcp).toFixed(2)} ms of its own work at p50`,
    ];
    return { rows, notes, failures: failures.slice(0, 5) };
  } finally {
    keepAlive.destroy();
    await env.stop();
  }
}

/** The app's own server: both interfaces through Probot's HTTP stack, as in production. */
async function reachMcp(env: BenchEnvironment): Promise<Endpoint> {
  const probe = await fetch(`${env.app.url}/mcp`, { method: 'POST' });
  await probe.arrayBuffer();
  if (probe.status !== 401) throw new Error(`the app does not serve /mcp (POST without a token answered ${probe.status})`);
  return { httpBase: env.app.url, mcpUrl: `${env.app.url}/mcp`, where: "the app's own server (Probot)" };
}

async function timed(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

function post(agent: http.Agent, url: string, token: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}`, ...headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

// `npx tsx bench/mcp.ts` runs this measurement alone
if (import.meta.url === `file://${process.argv[1]}`) {
  const { renderTable } = await import('./support/table.ts');
  const result = await benchMcp();
  console.log(renderTable([{ title: 'mcp', rows: result.rows }]));
  for (const note of [...result.notes, ...result.failures.map((f) => `FAILURE ${f}`)]) console.log(`- ${note}`);
  process.exit(result.failures.length > 0 ? 1 : 0);
}
