// Where a pull_request delivery's time goes without HTTP and Probot, in process,
// 16 concurrent loops on the app's pool: a round trip (SELECT 1), the delivery's
// read statement alone, and applyPullRequestEvent (read + write, with the check
// refresh added by the write) on synchronize events of 200 story PRs.
// Run: npx tsx bench/support/experiments/delivery-cost.ts
import { randomUUID } from 'node:crypto';
import { pullDeliveryReadStatement } from '../../../src/db/sql/pull-request-delivery.ts';
import { importBacklog } from '../../../src/services/backlog/import-backlog.ts';
import { checkRefreshJob } from '../../../src/services/checks/queue-check-refresh.ts';
import { applyPullRequestEvent } from '../../../src/services/pull-requests/pull-request-events.ts';
import type { GitHubPull } from '../../../src/services/pull-requests/pull-state.ts';
import { startBenchEnvironment } from '../environment.ts';

const calls = 4_000;
const concurrency = 16;
const pulls = 200;
const repo = 'bench/delivery-cost';

const env = await startBenchEnvironment({ logLevel: 'silent', tag: 'delivery-cost' });
try {
  const { prisma, pool } = env.app.db;
  await prisma.installation.create({ data: { id: 77n, account_login: 'bench' } });
  const product = await prisma.product.create({ data: { name: 'cost', repo, repo_key: repo, github_repo_id: 4242n, base_branch: 'main', installation_id: 77n } });
  const backlog = await importBacklog(prisma, product.id, {
    pbis: [{ title: 'cost', stories: Array.from({ length: 50 }, (_, i) => ({ code: `C${i}`, title: `story ${i}`, tasks: [{ title: 'task' }] })) }],
  });
  const branches = backlog.pbis[0]!.stories.map((s) => s.branch);
  const repository = { id: 4242, full_name: repo, name: 'delivery-cost', updated_at: '2024-01-01T00:00:00Z' };
  let second = 0;
  const pullOf = (number: number, action: string) => {
    second++;
    const head = { ref: branches[number % branches.length]!, sha: randomUUID().replace(/-/g, '').padEnd(40, '0'), repo: repository };
    return {
      action,
      pull: {
        number, id: 10_000 + number, title: `PR ${number}`, body: 'body', html_url: `https://github.com/${repo}/pull/${number}`, state: 'open', merged: false,
        merged_at: null, closed_at: null, merge_commit_sha: null, updated_at: new Date(Date.UTC(2024, 0, 1) + second * 1000).toISOString(),
        head, base: { ref: 'main', repo: repository },
      } as unknown as GitHubPull,
    };
  };
  const deliver = (number: number, action: string) => {
    const { pull } = pullOf(number, action);
    return applyPullRequestEvent({ pool }, { id: randomUUID(), event: 'pull_request', action }, { pull, repository }, {
      jobsAfterChange: (change) => (change.record.story_id ? [checkRefreshJob(change.record.story_id)] : []),
    });
  };
  for (let n = 1; n <= pulls; n++) await deliver(n, 'opened');

  const measure = async (name: string, run: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < 200; i++) await run(i); // warm-up
    let done = 0;
    const cpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (done < calls) await run(done++);
      }),
    );
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    console.log(`${name.padEnd(58)} ${((done * 1000) / ms).toFixed(0).padStart(6)} /s   this process CPU ${((used.user + used.system) / done).toFixed(0).padStart(5)} µs per call`);
  };
  console.log(`${calls} calls per line, ${concurrency} concurrent, app pool of 10 connections; 1-minute load ${(await import('node:os')).loadavg()[0]!.toFixed(1)}\n`);
  await measure('a round trip (SELECT 1)', () => pool.query('SELECT 1'));
  await measure("the delivery's read statement", (i) =>
    pool.query({ name: pullDeliveryReadStatement.name, text: pullDeliveryReadStatement.text, values: ['4242', [repo], randomUUID(), (i % pulls) + 1, branches[((i % pulls) + 1) % branches.length]] }),
  );
  await measure('applyPullRequestEvent: synchronize (read + write + check refresh)', (i) => deliver((i % pulls) + 1, 'synchronize'));
} finally {
  await env.stop();
}
process.exit(0);
