// Seeds what the measurements work on. Products, backlog, ideas and tokens go
// through the real services; the thousands of jobs go in as one INSERT … SELECT
// from generate_series (the enqueue service would take minutes for 10,000).
import type pg from 'pg';
import type { PrismaClient } from '../../src/db/client.ts';
import { createToken } from '../../src/services/auth/tokens.ts';
import { importBacklog } from '../../src/services/backlog/import-backlog.ts';
import { createIdea } from '../../src/services/ideas/ideas.ts';

export interface BenchWorld {
  productId: string;
  pbiId: string;
  storyId: string;
  taskId: string;
  ideaId: string;
}

export interface BenchAgent {
  token: string;
  tokenId: string;
}

export interface BenchUser {
  name: string;
  id: string;
  agents: BenchAgent[];
}

export async function seedWorld(prisma: PrismaClient): Promise<BenchWorld> {
  await prisma.installation.upsert({ where: { id: 4242n }, create: { id: 4242n, account_login: 'bench' }, update: {} });
  const product = await prisma.product.create({
    data: { name: 'bench', repo: 'bench/bench', repo_key: 'bench/bench', base_branch: 'main', auto_pr: true, installation_id: 4242n },
  });
  const backlog = await importBacklog(prisma, product.id, {
    pbis: [
      {
        code: 'PBI-1',
        title: 'Benchmark PBI',
        stories: [{ code: 'ST-1', title: 'Benchmark story', tasks: [{ title: 'A task', plan: 'Do it', plan_paths: ['src/**'] }] }],
      },
    ],
  });
  const pbi = backlog.pbis[0]!;
  const story = pbi.stories[0]!;
  const idea = await createIdea(prisma, { product_id: product.id, title: 'Benchmark idea', body: 'grill me' });
  return { productId: product.id, pbiId: pbi.id, storyId: story.id, taskId: story.tasks[0]!.id, ideaId: idea.id };
}

/** A user with `agents` tokens (each token is one agent). */
export async function seedUser(prisma: PrismaClient, name: string, agents: number): Promise<BenchUser> {
  const tokens: BenchAgent[] = [];
  for (let i = 0; i < agents; i++) {
    const created = await createToken(prisma, { user: name, name: `agent-${i}` });
    tokens.push({ token: created.token, tokenId: created.token_id });
  }
  const user = await prisma.user.findUniqueOrThrow({ where: { name } });
  return { name, id: user.id, agents: tokens };
}

/**
 * `count` QUEUED task jobs for the user (priorities 0..2, distinct ages), as
 * the claim query sees them after enqueueing. Ids are `<prefix>-<n>`.
 */
export async function insertQueuedTaskJobs(pool: pg.Pool, world: BenchWorld, userId: string, prefix: string, count: number): Promise<void> {
  await pool.query(
    `INSERT INTO jobs (id, kind, status, priority, user_id, product_id, pbi_id, story_id, task_id, created_at, updated_at)
     SELECT $1 || '-' || g, 'TASK_IMPLEMENTATION', 'QUEUED', g % 3, $2, $3, $4, $5, $6,
            now() - make_interval(secs => ($7 - g) / 1000.0), now()
       FROM generate_series(1, $7::int) AS g`,
    [prefix, userId, world.productId, world.pbiId, world.storyId, world.taskId, count],
  );
}

/** `count` idea jobs already CLAIMED by `agent`, ready for status calls. Returns their ids. */
export async function insertClaimedIdeaJobs(
  pool: pg.Pool,
  world: BenchWorld,
  userId: string,
  agent: BenchAgent,
  prefix: string,
  count: number,
): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO jobs (id, kind, status, user_id, product_id, idea_id, claimed_by_token_id, claimed_at, heartbeat_at, created_at, updated_at)
     SELECT $1 || '-' || g, 'IDEA_GRILL', 'CLAIMED', $2, $3, $4, $5, now(), now(), now(), now()
       FROM generate_series(1, $6::int) AS g
     RETURNING id`,
    [prefix, userId, world.productId, world.ideaId, agent.tokenId, count],
  );
  return rows.map((row) => row.id);
}

/** Clears dead tuples and refreshes statistics, so each run starts from the same table state. */
export async function settleJobsTable(pool: pg.Pool): Promise<void> {
  await pool.query('VACUUM (ANALYZE) jobs');
  await pool.query('VACUUM (ANALYZE) change_events');
}
