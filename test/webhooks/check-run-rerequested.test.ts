import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimTask, finishTask, startCascadeWorld, until, type CascadeWorld } from '../cascade/support.ts';
import { deliver } from './support.ts';
import { queueCheckRefresh } from '../../src/services/checks/queue-check-refresh.ts';

let world: CascadeWorld;
beforeAll(async () => {
  world = await startCascadeWorld('acme/checks');
});
afterAll(async () => {
  await world?.close();
});

describe('check_run.rerequested', { timeout: 60_000 }, () => {
  it('recomputes our check run once per delivery, and ignores other apps\' checks', async () => {
    const imported = await world.app.call('POST', `/api/v1/admin/products/${world.productId}/backlog`, {
      body: { pbis: [{ title: 'Checks', stories: [{ code: 'CK', title: 'Check me', tasks: [{ title: 'One', plan_paths: ['one.txt'] }, { title: 'Two', plan_paths: ['two.txt'] }] }] }] },
    });
    const story = imported.body.pbis[0].stories[0];
    const job = await claimTask(world, story.tasks[0].id, 10);
    await finishTask(world, job, [{ 'one.txt': '1\n' }], 'First task of the checked story');
    const check = await until('the check run', async () => world.fake.checkRuns(world.repo)[0]);
    // the second task was never queued: nothing runs, not all done
    expect(check).toMatchObject({ name: 'Scrum4Me', status: 'completed', conclusion: 'neutral' });
    const updatesBefore = world.fake.calls.filter((c) => c.method === 'PATCH' && c.path.includes('/check-runs/')).length;

    const payload = {
      action: 'rerequested',
      check_run: { id: check.id, name: 'Scrum4Me', head_sha: check.headSha },
      repository: { id: 1, full_name: world.repo, name: world.repo.split('/')[1], owner: { login: world.repo.split('/')[0] } },
      installation: { id: world.fake.installationFor(world.repo.split('/')[0]!) },
      sender: { login: 'octocat' },
    };
    const first = await deliver(world.app, 'check_run', payload, { id: 'check-delivery-1' });
    const again = await deliver(world.app, 'check_run', payload, { id: 'check-delivery-1' });
    expect([first.status, again.status]).toEqual([200, 200]);
    await until('the check run update', async () => world.fake.calls.filter((c) => c.method === 'PATCH' && c.path.includes('/check-runs/')).length > updatesBefore);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(world.fake.calls.filter((c) => c.method === 'PATCH' && c.path.includes('/check-runs/')).length).toBe(updatesBefore + 1);
    expect(world.fake.checkRuns(world.repo)).toHaveLength(1);

    // an unchanged state is not sent again (a PR webhook and the cascade's end often both ask)
    const patches = () => world.fake.calls.filter((c) => c.method === 'PATCH' && c.path.includes('/check-runs/')).length;
    const before = patches();
    await queueCheckRefresh(world.app.db.prisma, story.id);
    await until('the refresh to run', async () => (await world.app.db.pool.query('SELECT 1 FROM graphile_worker.jobs WHERE key = $1', [`check:${story.id}`])).rowCount === 0);
    expect(patches()).toBe(before);

    const foreign = await deliver(world.app, 'check_run', { ...payload, check_run: { ...payload.check_run, id: 999_999, name: 'CI' } }, { id: 'check-delivery-2' });
    expect(foreign.status).toBe(200);
  });
});
