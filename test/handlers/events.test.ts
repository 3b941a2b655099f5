import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, adminToken, type TestApp } from '../support/app.ts';
import { oneStoryBacklog, seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../support/seed.ts';
import { publishChange } from '../../src/services/events/publish.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

interface SseEvent {
  event: string;
  id: string;
  data: Record<string, unknown>;
}

/** Opens the stream and collects events until `count` arrived (or the timeout). */
async function collect(token: string, count: number, options: { lastEventId?: string; during?: () => Promise<void>; timeoutMs?: number } = {}) {
  const controller = new AbortController();
  const response = await fetch(`${app.url}/api/v1/events`, {
    headers: { authorization: `Bearer ${token}`, ...(options.lastEventId ? { 'last-event-id': options.lastEventId } : {}) },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const events: SseEvent[] = [];
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 3000);
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(block.split('\n').filter((l) => l && !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
          if (fields.data) events.push({ event: fields.event ?? 'message', id: fields.id ?? '', data: JSON.parse(fields.data) });
          if (events.length >= count) controller.abort();
        }
      }
    } catch {
      // aborted
    }
  })();
  await options.during?.();
  await reading;
  clearTimeout(timer);
  return events;
}

async function queueJobsFor(user: { name: string }, count: number) {
  const product = await seedProduct(app.db.prisma);
  const backlog = await seedBacklog(app.db.prisma, product.id, oneStoryBacklog(Array.from({ length: count }, (_, i) => ({ title: `T${i}` }))));
  return seedTaskJobs(app.db.prisma, user.name, backlog.pbis[0]!.stories[0]!.tasks.map((t) => t.id));
}

describe('GET /api/v1/events', () => {
  it('streams job status changes live to their user, as event: type, id: seq, data: JSON', async () => {
    const alice = await seedUser(app.db.prisma);
    let jobs: { id: string }[] = [];
    const events = await collect(alice.token, 2, {
      during: async () => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        jobs = await queueJobsFor(alice, 2);
      },
    });
    expect(events).toHaveLength(2);
    expect(events.map((e) => e.event)).toEqual(['claude_job_status', 'claude_job_status']);
    expect(events.map((e) => e.data.job_id).sort()).toEqual(jobs.map((j) => j.id).sort());
    expect(events[0]!.data).toMatchObject({ status: 'queued', user_id: alice.id });
    expect(BigInt(events[1]!.id)).toBeGreaterThan(BigInt(events[0]!.id));
  });

  it("never shows a user another user's events, while an admin token sees all", async () => {
    const bob = await seedUser(app.db.prisma);
    const carol = await seedUser(app.db.prisma);
    let adminEvents: SseEvent[] = [];
    const bobEvents = await collect(bob.token, 1, {
      timeoutMs: 1500,
      during: async () => {
        adminEvents = await collect(adminToken, 1, {
          during: async () => {
            await new Promise((resolve) => setTimeout(resolve, 200));
            await queueJobsFor(carol, 1);
          },
        });
      },
    });
    expect(adminEvents[0]!.data.user_id).toBe(carol.id);
    expect(bobEvents).toEqual([]);
  });

  it('resumes after Last-Event-ID from the backlog', async () => {
    const dave = await seedUser(app.db.prisma);
    const jobs = await queueJobsFor(dave, 3);
    const rows = await app.db.prisma.changeEvent.findMany({ where: { user_id: dave.id }, orderBy: { seq: 'asc' } });
    expect(rows).toHaveLength(3);
    const resumed = await collect(dave.token, 2, { lastEventId: String(rows[0]!.seq) });
    expect(resumed.map((e) => e.id)).toEqual([String(rows[1]!.seq), String(rows[2]!.seq)]);
    expect(resumed.map((e) => e.data.job_id)).toEqual(rows.slice(1).map((r) => (r.payload as { job_id: string }).job_id));
    expect(jobs).toHaveLength(3);
  });

  it('delivers an event too large for NOTIFY by reading it back from the backlog', async () => {
    const erin = await seedUser(app.db.prisma);
    const big = 'x'.repeat(20_000);
    const events = await collect(erin.token, 2, {
      during: async () => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        await publishChange(app.db.prisma, { type: 'note', user_id: erin.id, text: big });
        await publishChange(app.db.prisma, { type: 'note', user_id: erin.id, text: 'small' });
      },
    });
    expect(events.map((e) => e.data.text)).toEqual([big, 'small']);
    expect(BigInt(events[1]!.id)).toBe(BigInt(events[0]!.id) + 1n);
  });

  it('refuses a request without a valid token', async () => {
    const response = await fetch(`${app.url}/api/v1/events`);
    expect(response.status).toBe(401);
  });
});
