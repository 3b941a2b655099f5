// Property: whatever JSON (or non-JSON) a client sends to any route, the answer
// is a clear 2xx/4xx with the error envelope, never a 500 and never a crash.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { oneStoryBacklog, seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../support/seed.ts';

let app: TestApp;
let agentToken: string;
let jobId: string;
let productId: string;
let pbiId: string;

beforeAll(async () => {
  app = await startTestApp();
  const product = await seedProduct(app.db.prisma);
  productId = product.id;
  const backlog = await seedBacklog(app.db.prisma, product.id, oneStoryBacklog([{ title: 'T' }]));
  pbiId = backlog.pbis[0]!.id;
  const user = await seedUser(app.db.prisma);
  agentToken = user.token;
  await seedTaskJobs(app.db.prisma, user.name, [backlog.pbis[0]!.stories[0]!.tasks[0]!.id]);
  jobId = (await app.call('POST', '/api/v1/jobs/claim', { token: agentToken, body: { wait_seconds: 0 } })).body.job.id;
});
afterAll(async () => {
  await app?.close();
});

const routes = () => [
  { path: '/api/v1/admin/tokens', admin: true },
  { path: '/api/v1/admin/products', admin: true },
  { path: `/api/v1/admin/products/${productId}/backlog`, admin: true },
  { path: '/api/v1/admin/ideas', admin: true },
  { path: '/api/v1/admin/jobs', admin: true },
  { path: `/api/v1/admin/pbis/${pbiId}/reopen`, admin: true },
  { path: '/api/v1/jobs/claim', admin: false },
  { path: `/api/v1/jobs/${jobId}/verify`, admin: false },
  { path: `/api/v1/jobs/${jobId}/idea`, admin: false },
];

const bodies = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.dictionary(// no wait_seconds: a valid one long-polls up to 60 s (long-polling has its own tests)
  fc.constantFrom('user', 'name', 'admin', 'repo', 'pbis', 'status', 'kinds', 'task_ids', 'idea_id', 'priority', 'branch', 'grill_md', 'plan_md', 'title', 'product_id', '__proto__', 'constructor'), fc.jsonValue()).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
);

/** A claim whose body is an object would long-poll (25 s by default): make it answer at once. */
function withoutLongPoll(raw: string): string {
  try {
    const value: unknown = JSON.parse(raw);
    if (value && typeof value === 'object' && !Array.isArray(value)) return JSON.stringify({ ...value, wait_seconds: 0 });
  } catch {
    // not JSON: sent as it is
  }
  return raw;
}

describe('fuzzed request bodies', { timeout: 120_000 }, () => {
  it('never answer 500 on any POST route', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes()), bodies, async (route, generated) => {
        const raw = route.path.endsWith('/claim') ? withoutLongPoll(generated) : generated;
        const response = await app.call('POST', route.path, { token: route.admin ? undefined : agentToken, raw });
        // 503 GITHUB_UNAVAILABLE is a clear answer: GitHub is unreachable in this test
        expect(response.status, `${route.path} ${raw.slice(0, 200)}`).not.toBe(500);
        if (response.status >= 400) expect(response.body.error.code).toMatch(/^(?!INTERNAL)[A-Z_]+$/);
      }),
      { numRuns: 300 },
    );
  });

  it('never answer 500 on status calls with fuzzed fields, and the job stays consistent', async () => {
    const statusBody = fc.record(
      {
        status: fc.oneof(fc.constantFrom('running', 'RUNNING', 'paused', ''), fc.jsonValue()),
        summary: fc.oneof(fc.string({ maxLength: 1200 }), fc.jsonValue()),
        input_tokens: fc.oneof(fc.integer(), fc.double(), fc.string()),
        model_id: fc.string({ maxLength: 250 }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(statusBody, async (body) => {
        const response = await app.call('POST', `/api/v1/jobs/${jobId}/status`, { token: agentToken, body });
        expect(response.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
    const job = await app.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(['CLAIMED', 'RUNNING']).toContain(job.status);
  });

  it('never answer 500 on fuzzed path parameters', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 300 }), async (id) => {
        const encoded = encodeURIComponent(id);
        for (const path of [`/api/v1/jobs/${encoded}`, `/api/v1/admin/pbis/${encoded}`]) {
          const response = await app.call('GET', path, { token: path.includes('admin') ? undefined : agentToken });
          expect(response.status, path).toBeLessThan(500);
        }
      }),
      { numRuns: 100 },
    );
  });
});
