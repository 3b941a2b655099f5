// The scale bench's world, written with SQL (generate_series INSERT … SELECT;
// the API would take hours for a million jobs):
//   - one product on an installation, 100 PBIs × 100 stories × 10 tasks = 100,000 tasks;
//   - one hot PBI with one hot story of 20 tasks and 1,000 task jobs (50 per task),
//     CLAIMED by the status agent, and an open story PR (so each status call's
//     check refresh reads the story and talks to the stub GitHub);
//   - the claim user's queue: QUEUED task jobs spread over the 100,000 tasks,
//     topped up to each depth (job n on task n mod 100,000; priorities 0..2).
import type pg from 'pg';
import type { PrismaClient } from '../../src/db/client.ts';
import { createIdea } from '../../src/services/ideas/ideas.ts';
import { seedUser, type BenchUser } from './world.ts';

export const spreadTasks = 100_000;
const pbis = 100;
const storiesPerPbi = 100;
const tasksPerStory = spreadTasks / (pbis * storiesPerPbi);
export const hotTasks = 20;
export const hotJobs = 1_000;
export const hotHeadSha = 'a'.repeat(40);

export interface ScaleWorld {
  productId: string;
  repo: string;
  installationId: number;
  hotPbiId: string;
  hotStoryId: string;
  /** the hot story's jobs, CLAIMED by the status agent (reset before each depth) */
  hotJobIds: string[];
  claimUser: BenchUser;
  statusUser: BenchUser;
  /** an idea of the product: the bare status server's probe jobs are its jobs */
  ideaId: string;
  /** QUEUED jobs of the claim user inserted so far (ids q-1 … q-n) */
  inserted: number;
}

export async function seedScaleWorld(prisma: PrismaClient, pool: pg.Pool, agents: number): Promise<ScaleWorld> {
  const installationId = 4343;
  const repo = 'bench/scale';
  await prisma.installation.create({ data: { id: BigInt(installationId), account_login: 'bench' } });
  const product = await prisma.product.create({
    data: { name: 'scale', repo, repo_key: repo, github_repo_id: 4343n, base_branch: 'main', auto_pr: false, installation_id: BigInt(installationId) },
  });
  const [claimUser, statusUser] = [await seedUser(prisma, 'scale-claims', agents), await seedUser(prisma, 'scale-status', 1)];
  const p = product.id;
  await pool.query(
    `INSERT INTO pbis (id, product_id, code, title, position)
     SELECT 'sp-' || g, $1, 'SP-' || g, 'spread PBI ' || g, g FROM generate_series(0, $2::int - 1) g`,
    [p, pbis],
  );
  await pool.query(
    `INSERT INTO stories (id, pbi_id, product_id, code, title, branch, position)
     SELECT 'ss-' || g, 'sp-' || (g / $2::int), $1, 'SS-' || g, 'spread story ' || g, 'scrum4me/ss-' || g, g % $2::int
       FROM generate_series(0, $3::int - 1) g`,
    [p, storiesPerPbi, pbis * storiesPerPbi],
  );
  await pool.query(
    `INSERT INTO tasks (id, story_id, title, plan, plan_paths, position)
     SELECT 'st-' || g, 'ss-' || (g / $1::int), 'spread task ' || g, 'do it', ARRAY['src/**'], g % $1::int
       FROM generate_series(0, $2::int - 1) g`,
    [tasksPerStory, spreadTasks],
  );
  // the hot PBI: one story, 20 tasks, 1,000 jobs of the status agent, an open PR
  await pool.query(`INSERT INTO pbis (id, product_id, code, title, position) VALUES ('hot-pbi', $1, 'HOT', 'hot PBI', -1)`, [p]);
  await pool.query(
    `INSERT INTO stories (id, pbi_id, product_id, code, title, branch, position) VALUES ('hot-story', 'hot-pbi', $1, 'HOT-1', 'hot story', 'scrum4me/hot-1', 0)`,
    [p],
  );
  await pool.query(
    `INSERT INTO tasks (id, story_id, title, plan, plan_paths, position)
     SELECT 'ht-' || g, 'hot-story', 'hot task ' || g, 'do it', ARRAY['src/**'], g FROM generate_series(0, $1::int - 1) g`,
    [hotTasks],
  );
  const agent = statusUser.agents[0]!;
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO jobs (id, kind, status, priority, user_id, product_id, pbi_id, story_id, task_id,
                       claimed_by_token_id, claimed_at, heartbeat_at, created_at, updated_at)
     SELECT 'hot-' || g, 'TASK_IMPLEMENTATION', 'CLAIMED', 0, $1, $2, 'hot-pbi', 'hot-story', 'ht-' || (g % $3::int),
            $4, now(), now(), now() - make_interval(secs => ($5::int - g)), now()
       FROM generate_series(1, $5::int) g
     RETURNING id`,
    [statusUser.id, p, hotTasks, agent.tokenId, hotJobs],
  );
  await pool.query(
    `INSERT INTO pull_requests (id, product_id, story_id, repo, repo_id, number, github_id, title, html_url, head_ref, head_sha,
                                head_repo, head_repo_id, base_ref, state, github_updated_at, updated_at)
     VALUES ('hot-pr', $1, 'hot-story', $2, 4343, 1, 90001, 'hot story', 'https://github.com/' || $2 || '/pull/1', 'scrum4me/hot-1', $3,
             $2, 4343, 'main', 'OPEN', now(), now())`,
    [p, repo, hotHeadSha],
  );
  const idea = await createIdea(prisma, { product_id: p, title: 'probe idea', body: 'the bare status probe' });
  return { productId: p, repo, installationId, hotPbiId: 'hot-pbi', hotStoryId: 'hot-story', hotJobIds: rows.map((r) => r.id), claimUser, statusUser, ideaId: idea.id, inserted: 0 };
}

/** Tops the claim user's queue up to `depth` QUEUED jobs, in batches (one statement each); returns how many were added. */
export async function topUpQueue(pool: pg.Pool, world: ScaleWorld, depth: number): Promise<number> {
  const { rows } = await pool.query<{ queued: number }>(`SELECT count(*)::int AS queued FROM jobs WHERE user_id = $1 AND status = 'QUEUED'`, [world.claimUser.id]);
  const missing = Math.max(0, depth - rows[0]!.queued);
  const batch = 200_000;
  for (let done = 0; done < missing; done += batch) {
    const from = world.inserted + 1;
    const to = world.inserted + Math.min(batch, missing - done);
    await pool.query(
      `INSERT INTO jobs (id, kind, status, priority, user_id, product_id, pbi_id, story_id, task_id, created_at, updated_at)
       SELECT 'q-' || g, 'TASK_IMPLEMENTATION', 'QUEUED', g % 3, $1, $2,
              'sp-' || ((g % $5::int) / $6::int), 'ss-' || ((g % $5::int) / $7::int), 'st-' || (g % $5::int),
              timestamp '2026-01-01' + make_interval(secs => g / 1000.0), now()
         FROM generate_series($3::int, $4::int) g`,
      [world.claimUser.id, world.productId, from, to, spreadTasks, storiesPerPbi * tasksPerStory, tasksPerStory],
    );
    world.inserted = to;
  }
  return missing;
}

/** The hot story's jobs back to CLAIMED by the status agent, fresh heartbeat: ready for `running` again. */
export async function resetHotJobs(pool: pg.Pool, world: ScaleWorld): Promise<void> {
  await pool.query(
    `UPDATE jobs SET status = 'CLAIMED', started_at = NULL, finished_at = NULL, heartbeat_at = now(), updated_at = now()
      WHERE story_id = $1 AND status <> 'CLAIMED'`,
    [world.hotStoryId],
  );
}

let probes = 0;

/** `count` idea jobs CLAIMED by the status agent, for the bare status server's probe. Returns their ids. */
export async function insertProbeJobs(pool: pg.Pool, world: ScaleWorld, count: number): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO jobs (id, kind, status, user_id, product_id, idea_id, claimed_by_token_id, claimed_at, heartbeat_at, created_at, updated_at)
     SELECT 'probe-' || $1::int || '-' || g, 'IDEA_GRILL', 'CLAIMED', $2, $3, $4, $5, now(), now(), now(), now() FROM generate_series(1, $6::int) g
     RETURNING id`,
    [++probes, world.statusUser.id, world.productId, world.ideaId, world.statusUser.agents[0]!.tokenId, count],
  );
  return rows.map((row) => row.id);
}

/** How many jobs the database holds, by status (for the notes). */
export async function jobCounts(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ status: string; n: number }>(`SELECT status::text AS status, count(*)::int AS n FROM jobs GROUP BY 1 ORDER BY 1`);
  return rows.map((r) => `${r.status} ${r.n.toLocaleString('en-US')}`).join(', ');
}
