// MCP and usage (SPEC §11): update_job_status records usage exactly as the
// HTTP route does, and get_job shows it with its cost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpPath } from '../../src/handlers/mcp/handler.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { oneStoryBacklog, seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../support/seed.ts';
import { answer, call, connectAgent } from './support.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  await app.call('PUT', '/api/v1/admin/prices', { body: { prices: [{ model: 'claude-sonnet-*', input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 }] } });
});
afterAll(async () => {
  await app?.close();
});

describe('usage over MCP', () => {
  it('update_job_status records the running totals, priced, and get_job shows them as GET /api/v1/jobs/{id} does', async () => {
    const product = await seedProduct(app.db.prisma);
    const backlog = await seedBacklog(app.db.prisma, product.id, oneStoryBacklog([{ title: 'one' }]));
    const user = await seedUser(app.db.prisma);
    await seedTaskJobs(app.db.prisma, user.name, backlog.pbis[0]!.stories[0]!.tasks.map((t) => t.id));
    const client = await connectAgent(`${app.url}${mcpPath}`, user.token);
    try {
      const jobId = answer(await call(client, 'wait_for_job', { wait_seconds: 0 })).job.id as string;
      expect(answer(await call(client, 'get_job', { job_id: jobId })).usage).toEqual({
        model_id: null, input_tokens: null, output_tokens: null, cache_read_tokens: null, cache_write_tokens: null, cost_usd: null, unpriced_jobs: 0,
      });
      await call(client, 'update_job_status', { job_id: jobId, status: 'running', model_id: 'claude-sonnet-4', input_tokens: 1000, output_tokens: 2000, cache_read_tokens: 3000, cache_write_tokens: 4000 });
      const overMcp = answer(await call(client, 'get_job', { job_id: jobId }));
      expect(overMcp.usage).toEqual({ model_id: 'claude-sonnet-4', input_tokens: 1000, output_tokens: 2000, cache_read_tokens: 3000, cache_write_tokens: 4000, cost_usd: '0.048900000', unpriced_jobs: 0 });
      expect(overMcp).toEqual((await app.call('GET', `/api/v1/jobs/${jobId}`, { token: user.token })).body);
    } finally {
      await client.close();
    }
  });
});
