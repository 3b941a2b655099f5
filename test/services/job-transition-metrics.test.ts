// scrum4me_job_transitions_total counts every move of a job's status, read
// through GET /metrics: claims (queued → claimed) and stale requeues by the
// background sweep (claimed / running → queued), not only status calls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, startTestApp, type TestApp } from '../support/app.ts';
import { oneStoryBacklog, seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../support/seed.ts';
import { until } from '../cascade/support.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

async function transitions(): Promise<Record<string, number>> {
  const response = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } });
  expect(response.status).toBe(200);
  const counts: Record<string, number> = {};
  for (const match of (await response.text()).matchAll(/^scrum4me_job_transitions_total\{from="(\w+)",to="(\w+)"\} (\d+)$/gm)) {
    counts[`${match[1]}->${match[2]}`] = Number(match[3]);
  }
  return counts;
}

describe('scrum4me_job_transitions_total', () => {
  it('counts claims, and requeues of stale claimed and running jobs by the sweep job', async () => {
    const product = await seedProduct(app.db.prisma);
    const backlog = await seedBacklog(app.db.prisma, product.id, oneStoryBacklog([{ title: 'One' }, { title: 'Two' }, { title: 'Three' }]));
    const user = await seedUser(app.db.prisma);
    await seedTaskJobs(app.db.prisma, user.name, backlog.pbis[0]!.stories[0]!.tasks.map((t) => t.id));
    const before = await transitions();
    const claimed: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await app.call('POST', '/api/v1/jobs/claim', { token: user.token, body: { wait_seconds: 0 } });
      expect(response.status).toBe(200);
      claimed.push(response.body.job.id);
    }
    expect((await app.call('POST', '/api/v1/jobs/claim', { token: user.token, body: { wait_seconds: 0 } })).status).toBe(204);
    const running = await app.call('POST', `/api/v1/jobs/${claimed[0]}/status`, { token: user.token, body: { status: 'running' } });
    expect(running.status).toBe(200);
    const afterClaims = await transitions();
    expect((afterClaims['queued->claimed'] ?? 0) - (before['queued->claimed'] ?? 0)).toBe(3);
    expect((afterClaims['claimed->running'] ?? 0) - (before['claimed->running'] ?? 0)).toBe(1);

    // two of them silent for longer than the claim timeout; the sweep job (as the crontab adds it) requeues them
    await app.db.pool.query(`UPDATE jobs SET heartbeat_at = now() - interval '2 hours' WHERE id = ANY($1::text[])`, [claimed.slice(0, 2)]);
    await app.db.pool.query(`SELECT graphile_worker.add_job('sweep_stale_claims', '{}'::json, job_key => 'sweep_stale_claims')`);
    await until('the stale claims to be requeued', async () => (await app.db.prisma.job.count({ where: { id: { in: claimed }, status: 'QUEUED' } })) === 2, 20_000);
    const afterSweep = await transitions();
    expect((afterSweep['running->queued'] ?? 0) - (afterClaims['running->queued'] ?? 0)).toBe(1);
    expect((afterSweep['claimed->queued'] ?? 0) - (afterClaims['claimed->queued'] ?? 0)).toBe(1);
    expect(afterSweep['queued->claimed']).toBe(afterClaims['queued->claimed']);
  });
});
