// Property: whatever JSON (or non-JSON) a client sends to any route, the answer
// is a clear 2xx/4xx with the error envelope, never a 500 and never a crash.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startCascadeWorld, until, type CascadeWorld } from '../cascade/support.ts';
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
  fc.constantFrom('user', 'name', 'admin', 'repo', 'pbis', 'status', 'kinds', 'task_ids', 'idea_id', 'priority', 'branch', 'grill_md', 'plan_md', 'title', 'product_id', '__proto__', 'constructor'),
  // any JSON, 64-bit (and larger) integers, strings of any code unit (U+0000 and lone surrogates too)
  fc.oneof(fc.jsonValue(), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(Number), fc.string({ unit: 'binary', maxLength: 50 }))).map((v) => JSON.stringify(v)),
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

// Hundreds of requests per property: bounds for a machine busy with other work (75 s seen under load 18).
describe('fuzzed request bodies', { timeout: 300_000 }, () => {
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
        input_tokens: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(Number)),
        cache_write_tokens: fc.oneof(fc.maxSafeInteger(), fc.bigInt({ min: 0n, max: 2n ** 64n }).map(Number)),
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

// JSON numbers reach the server as whatever a client writes: digits far past
// 2^53 and 2^63 included. Each integer field has the bounds of its column
// (INTEGER: ±2^31; the BIGINT token counts: 0 … 2^53-1, what JSON numbers hold
// exactly), so an answer is 2xx or a 400 that names the field, never a 500.
const int32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const tokenBounds = { min: 0, max: Number.MAX_SAFE_INTEGER };

/** Integers as JSON digits, across the 64-bit range and beyond, with every boundary of interest. */
const jsonIntegers = fc.oneof(
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
  fc.bigInt({ min: -(2n ** 33n), max: 2n ** 33n }),
  fc.bigInt({ min: -(2n ** 54n), max: 2n ** 54n }),
  fc.constantFrom(
    0n, 1n, -1n, 2n ** 31n - 1n, 2n ** 31n, -(2n ** 31n), -(2n ** 31n) - 1n, 2n ** 32n, 2n ** 40n,
    2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 63n, -(2n ** 63n), 2n ** 64n, 10n ** 30n,
  ),
);
const inBounds = (value: bigint, bounds: { min: number; max: number }) => value >= BigInt(bounds.min) && value <= BigInt(bounds.max);

describe('integer fields across the 64-bit range', { timeout: 120_000 }, () => {
  it('status calls store any token count up to 2^53-1 exactly and refuse larger ones with 400 naming the field', async () => {
    const fields = ['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens'] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fields), jsonIntegers, async (field, value) => {
        const raw = `{"status": "running", "${field}": ${value}}`;
        const response = await app.call('POST', `/api/v1/jobs/${jobId}/status`, { token: agentToken, raw });
        if (inBounds(value, tokenBounds)) {
          expect(response.status, raw).toBe(200);
          const row = await app.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
          expect(BigInt(row[field] ?? -1), raw).toBe(value);
        } else {
          expect(response.status, raw).toBe(400);
          expect(response.body.error.code).toBe('VALIDATION_FAILED');
          expect(response.body.error.details.map((d: { path: string }) => d.path), raw).toContain(field);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('enqueue accepts every priority an INTEGER column holds and refuses the rest with 400 naming priority', async () => {
    const product = await seedProduct(app.db.prisma);
    const backlog = await seedBacklog(app.db.prisma, product.id, oneStoryBacklog([{ title: 'P' }]));
    const taskId = backlog.pbis[0]!.stories[0]!.tasks[0]!.id;
    await seedUser(app.db.prisma, 'fuzz-priority');
    await fc.assert(
      fc.asyncProperty(jsonIntegers, async (value) => {
        const raw = `{"user": "fuzz-priority", "task_ids": ["${taskId}"], "priority": ${value}}`;
        const response = await app.call('POST', '/api/v1/admin/jobs', { raw });
        if (inBounds(value, int32)) {
          expect(response.status, raw).toBe(201);
          expect(response.body.jobs[0].priority, raw).toBe(Number(value));
        } else {
          expect(response.status, raw).toBe(400);
          expect(response.body.error.details.map((d: { path: string }) => d.path), raw).toContain('priority');
        }
      }),
      { numRuns: 150 },
    );
    for (const edge of [int32.min, int32.max]) {
      const response = await app.call('POST', '/api/v1/admin/jobs', { body: { user: 'fuzz-priority', task_ids: [taskId], priority: edge } });
      expect(response.status, String(edge)).toBe(201);
    }
  });

  it('claims refuse any wait_seconds outside 0..60 with 400 naming it', async () => {
    await fc.assert(
      fc.asyncProperty(jsonIntegers, async (value) => {
        // a valid wait long-polls: only 0 of the valid ones is sent
        fc.pre(value === 0n || value < 0n || value > 60n);
        const response = await app.call('POST', '/api/v1/jobs/claim', { token: agentToken, raw: `{"wait_seconds": ${value}}` });
        if (value === 0n) expect(response.status).toBe(204);
        else {
          expect(response.status, String(value)).toBe(400);
          expect(response.body.error.details.map((d: { path: string }) => d.path)).toContain('wait_seconds');
        }
      }),
      { numRuns: 100 },
    );
  });

  it('resumes the event stream from any Last-Event-ID without a 500', async () => {
    const logsBefore = app.logs.length;
    for (const value of ['0', '9223372036854775807', '9223372036854775808', '9999999999999999999', '18446744073709551616', '-1', '1e3']) {
      const abort = new AbortController();
      const response = await fetch(`${app.url}/api/v1/events`, { headers: { authorization: `Bearer ${agentToken}`, 'last-event-id': value }, signal: abort.signal });
      expect(response.status, value).toBe(200);
      // the stream opened and stays open: its first bytes arrive
      const reader = response.body!.getReader();
      const first = await reader.read();
      expect(first.done, value).toBe(false);
      abort.abort();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const failures = app.logs.slice(logsBefore).filter((line) => /"level":(50|60)/.test(line));
    expect(failures).toEqual([]);
  });
});

describe('strings the database cannot hold', () => {
  it('a U+0000 in any stored string field or id is a 400 naming the field, never a 500', async () => {
    const nul = 'a\u0000b';
    const cases: [string, string, Record<string, unknown>, string][] = [
      ['POST', '/api/v1/admin/tokens', { user: 'bob', name: nul }, 'name'],
      ['POST', '/api/v1/admin/products', { name: nul, repo: 'octocat/nul' }, 'name'],
      ['POST', `/api/v1/admin/products/${productId}/backlog`, { pbis: [{ title: nul, stories: [] }] }, 'pbis.0.title'],
      ['POST', `/api/v1/admin/products/${productId}/backlog`, { pbis: [{ code: nul, title: 't', stories: [] }] }, 'pbis.0.code'],
      ['POST', `/api/v1/admin/products/${productId}/backlog`, { pbis: [{ title: 't', stories: [{ title: 's', tasks: [{ title: 't', plan: nul }] }] }] }, 'pbis.0.stories.0.tasks.0.plan'],
      ['POST', `/api/v1/admin/products/${productId}/backlog`, { pbis: [{ title: 't', stories: [{ title: 's', tasks: [{ title: 't', plan_paths: [nul] }] }] }] }, 'pbis.0.stories.0.tasks.0.plan_paths.0'],
      ['POST', '/api/v1/admin/ideas', { product_id: productId, title: nul }, 'title'],
      ['POST', '/api/v1/admin/ideas', { product_id: productId, title: 't', body: nul }, 'body'],
      ['POST', '/api/v1/admin/ideas', { product_id: nul, title: 't' }, 'product_id'],
      ['POST', '/api/v1/admin/jobs', { user: 'bob', task_ids: [nul] }, 'task_ids.0'],
      ['POST', `/api/v1/jobs/${jobId}/status`, { status: 'running', summary: nul }, 'summary'],
      ['POST', `/api/v1/jobs/${jobId}/status`, { status: 'running', error: nul }, 'error'],
      ['POST', `/api/v1/jobs/${jobId}/status`, { status: 'running', model_id: nul }, 'model_id'],
      ['POST', `/api/v1/jobs/${jobId}/idea`, { grill_md: nul }, 'grill_md'],
      ['GET', '/api/v1/jobs/a%00b', {}, 'id'],
      ['GET', '/api/v1/admin/pbis/a%00b', {}, 'id'],
      ['DELETE', '/api/v1/admin/tokens/a%00b', {}, 'token_id'],
    ];
    for (const [method, path, body, field] of cases) {
      const admin = path.startsWith('/api/v1/admin');
      const response = await app.call(method, path, { token: admin ? undefined : agentToken, ...(method === 'GET' || method === 'DELETE' ? {} : { body }) });
      expect(response.status, `${method} ${path} ${field}`).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
      expect(response.body.error.details.map((d: { path: string }) => d.path), `${method} ${path}`).toContain(field);
    }
  });
});

describe('a failed report with a large token count', { timeout: 120_000 }, () => {
  let world: CascadeWorld;
  beforeAll(async () => {
    world = await startCascadeWorld('acme/tokens');
  });
  afterAll(async () => {
    await world?.close();
  });

  it('is recorded (input_tokens = 2^40) and starts the cascade', async () => {
    const backlog = await world.app.call('POST', `/api/v1/admin/products/${world.productId}/backlog`, {
      body: { pbis: [{ title: 'Big usage', stories: [{ title: 'One', tasks: [{ title: 'A' }, { title: 'B' }] }] }] },
    });
    expect(backlog.status).toBe(201);
    const pbi = backlog.body.pbis[0];
    const [first, second] = pbi.stories[0].tasks.map((t: { id: string }) => t.id);
    expect((await world.app.call('POST', '/api/v1/admin/jobs', { body: { user: 'agent', task_ids: [first, second] } })).status).toBe(201);
    const claimed = await world.app.call('POST', '/api/v1/jobs/claim', { token: world.agentToken, body: { wait_seconds: 0 } });
    expect(claimed.status).toBe(200);
    const usage = { input_tokens: 2 ** 40, output_tokens: 2 ** 33, cache_read_tokens: Number.MAX_SAFE_INTEGER, cache_write_tokens: 2 ** 31 };
    const failed = await world.app.call('POST', `/api/v1/jobs/${claimed.body.job.id}/status`, {
      token: world.agentToken,
      body: { status: 'failed', error: 'tests broke', model_id: 'big-model', ...usage },
    });
    expect(failed.status, JSON.stringify(failed.body)).toBe(200);
    expect(failed.body.status).toBe('failed');
    expect(failed.body.cascade).toMatchObject({ id: expect.any(String), cancelled_job_ids: [expect.any(String)] });
    const row = await world.app.db.prisma.job.findUniqueOrThrow({ where: { id: claimed.body.job.id } });
    expect({ input_tokens: row.input_tokens, output_tokens: row.output_tokens, cache_read_tokens: row.cache_read_tokens, cache_write_tokens: row.cache_write_tokens }).toEqual({
      input_tokens: 2n ** 40n,
      output_tokens: 2n ** 33n,
      cache_read_tokens: BigInt(Number.MAX_SAFE_INTEGER),
      cache_write_tokens: 2n ** 31n,
    });
    // the undo runs to its end
    const view = await until('the cascade to finish', async () => {
      const answer = await world.app.call('GET', `/api/v1/admin/pbis/${pbi.id}`);
      return answer.body.cascades[0]?.status === 'done' ? answer.body : null;
    }, 60_000);
    expect(view.cascades).toHaveLength(1);
    expect(view.cascades[0].failed_job_id).toBe(claimed.body.job.id);
    const job = await world.app.call('GET', `/api/v1/jobs/${claimed.body.job.id}`, { token: world.agentToken });
    expect(job.status).toBe(200);
    expect(job.body).toMatchObject({ status: 'failed', cascade_id: failed.body.cascade.id });
  });
});
