// SPEC §6: enqueueing into a PBI takes the cascade's PBI lock, so an enqueue
// racing a failure either lands before the cancel (and is cancelled) or is
// refused with 409; it never leaves a queued job in a PBI whose cascade is done.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cascadeDone, claimTask, failJob, newPbi, startCascadeWorld, type CascadeWorld } from './support.ts';

let world: CascadeWorld;
beforeAll(async () => {
  world = await startCascadeWorld('acme/race');
});
afterAll(async () => {
  await world?.close();
});

describe('enqueue racing a failure', { timeout: 600_000 }, () => {
  it('leaves no queued job in a PBI whose cascade is done (8 rounds of a failure and 5 enqueues at once)', async () => {
    const rounds = 8;
    const left: Record<string, number> = {};
    const answers: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const codes = ['X', 'A', 'B', 'C', 'D', 'E'];
      const { pbiId, task } = await newPbi(world, codes);
      const jobX = await claimTask(world, task('X'), 10);
      // below the claims' priority: a job left queued by a lost race is never claimed by the next round
      const enqueue = (code: string) => world.app.call('POST', '/api/v1/admin/jobs', { body: { user: 'agent', task_ids: [task(code)], priority: -10 } });
      const [failed, ...enqueued] = await Promise.all([failJob(world, jobX.id), ...codes.slice(1).map(enqueue)]);
      expect(failed.status).toBe(200);
      for (const answer of enqueued) {
        answers.push(answer.status);
        if (answer.status === 409) expect(answer.body.error.code).toBe('CONFLICT');
      }
      await cascadeDone(world, pbiId);
      left[pbiId] = await world.app.db.prisma.job.count({ where: { pbi_id: pbiId, status: 'QUEUED' } });
    }
    expect(answers.every((status) => status === 201 || status === 409)).toBe(true);
    expect(Object.values(left).reduce((a, b) => a + b, 0)).toBe(0);
  });
});
