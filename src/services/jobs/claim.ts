// Claiming: one statement picks the user's best queued job, claims it, stores
// and announces its change event (S10) and returns the job as agents see it.
// FOR UPDATE SKIP LOCKED lets concurrent claimers (on any replica) pass each
// other's candidate rows instead of waiting or double-claiming; one statement
// keeps the NOTIFY's commit lock short (BENCHMARKS.md).
import type { Queryable } from '../../db/queryable.ts';
import type { JobKind, VerifyRequired } from '../../generated/prisma/client.ts';
import type { Metrics } from '../../metrics.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { publishChangesSql } from '../events/publish.ts';
import { isoSql, jobStatusEventSql } from './job-events.ts';
import { presentClaimedJob, type ClaimedJobFacts } from './job-view.ts';
import type { ClaimWaiter } from './claim-waiter.ts';

export type ClaimedJob = ReturnType<typeof presentClaimedJob>;

const allKinds: JobKind[] = ['TASK_IMPLEMENTATION', 'IDEA_GRILL', 'IDEA_MAKE_PLAN'];

interface ClaimedRow {
  id: string;
  kind: JobKind;
  status: 'CLAIMED';
  priority: number;
  claimed_at: string;
  product_id: string;
  product_name: string;
  repo: string;
  base_branch: string;
  pbi_id: string | null;
  pbi_code: string | null;
  pbi_title: string | null;
  story_id: string | null;
  story_code: string | null;
  story_title: string | null;
  story_branch: string | null;
  task_id: string | null;
  task_title: string | null;
  plan: string | null;
  plan_paths: string[] | null;
  verify_only: boolean | null;
  verify_required: VerifyRequired | null;
  idea_id: string | null;
  idea_title: string | null;
  idea_body: string | null;
}

const claimStatement = `
  WITH claimed AS (
    UPDATE jobs SET status = 'CLAIMED', claimed_by_token_id = $1, claimed_at = now(), heartbeat_at = now(), updated_at = now()
     WHERE id = (SELECT id FROM jobs
                  WHERE user_id = $2 AND status = 'QUEUED' AND kind::text = ANY($3::text[])
                  ORDER BY priority DESC, created_at ASC
                  LIMIT 1
                  FOR UPDATE SKIP LOCKED)
    RETURNING *
  ), events AS (
    SELECT 'claude_job_status' AS type, c.user_id, ${jobStatusEventSql('c')} AS event FROM claimed c
  ), ${publishChangesSql('events')}
  SELECT c.id, c.kind::text AS kind, c.status::text AS status, c.priority, ${isoSql('c.claimed_at')} AS claimed_at,
         p.id AS product_id, p.name AS product_name, p.repo, p.base_branch,
         b.id AS pbi_id, b.code AS pbi_code, b.title AS pbi_title,
         s.id AS story_id, s.code AS story_code, s.title AS story_title, s.branch AS story_branch,
         t.id AS task_id, t.title AS task_title, t.plan, t.plan_paths, t.verify_only, t.verify_required::text AS verify_required,
         i.id AS idea_id, i.title AS idea_title, i.body AS idea_body,
         (SELECT count(*) FROM announced) AS announced
    FROM claimed c
    JOIN products p ON p.id = c.product_id
    LEFT JOIN pbis b ON b.id = c.pbi_id
    LEFT JOIN stories s ON s.id = c.story_id
    LEFT JOIN tasks t ON t.id = c.task_id
    LEFT JOIN ideas i ON i.id = c.idea_id`;

type TransitionCounter = Pick<Metrics, 'jobTransitions'>;

/**
 * Claims the next job now, or returns null; a claim counts as the transition
 * queued → claimed. Named: each connection plans the statement once (planning
 * cost more than running it).
 */
export async function claimNextJob(pool: Queryable, auth: AuthContext, kinds: JobKind[] = allKinds, metrics?: TransitionCounter): Promise<ClaimedJob | null> {
  const { rows } = await pool.query<ClaimedRow>({ name: 'claim-next-job', text: claimStatement, values: [auth.tokenId, auth.userId, kinds] });
  const row = rows[0];
  if (!row) return null;
  metrics?.jobTransitions.inc({ from: 'queued', to: 'claimed' });
  return presentClaimedJob(claimedFacts(row));
}

function claimedFacts(row: ClaimedRow): ClaimedJobFacts {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    priority: row.priority,
    claimed_at: new Date(row.claimed_at),
    product: { id: row.product_id, name: row.product_name, repo: row.repo, base_branch: row.base_branch },
    pbi: row.pbi_id ? { id: row.pbi_id, code: row.pbi_code!, title: row.pbi_title! } : null,
    story: row.story_id ? { id: row.story_id, code: row.story_code!, title: row.story_title!, branch: row.story_branch! } : null,
    task: row.task_id
      ? {
          id: row.task_id,
          title: row.task_title!,
          plan: row.plan!,
          plan_paths: row.plan_paths ?? [],
          verify_only: row.verify_only ?? false,
          verify_required: row.verify_required!,
        }
      : null,
    idea: row.idea_id ? { id: row.idea_id, title: row.idea_title!, body: row.idea_body! } : null,
  };
}

/**
 * Long-poll: claim now, or wait up to `waitSeconds` for a wake-up from
 * NOTIFY and try again. The waiter is armed before each attempt, so a job
 * queued between a failed attempt and the wait is not missed.
 */
export async function claimJob(
  pool: Queryable,
  waiter: ClaimWaiter,
  auth: AuthContext,
  options: { waitSeconds: number; kinds?: JobKind[] | undefined; signal?: AbortSignal | undefined; metrics?: TransitionCounter | undefined },
): Promise<ClaimedJob | null> {
  const deadline = Date.now() + options.waitSeconds * 1000;
  for (;;) {
    const wake = waiter.arm(auth.userId);
    try {
      const job = await claimNextJob(pool, auth, options.kinds, options.metrics);
      if (job) return job;
      const remaining = deadline - Date.now();
      if (remaining <= 0 || waiter.stopped || options.signal?.aborted) return null;
      await wake.wait(remaining, options.signal);
    } finally {
      wake.disarm();
    }
    // a client that went away must not be handed a job it will never see
    if (waiter.stopped || options.signal?.aborted) return null;
    if (Date.now() >= deadline) {
      // one last attempt: the wake-up may have come at the deadline
      return claimNextJob(pool, auth, options.kinds, options.metrics);
    }
  }
}
