// Claiming: one statement (src/db/sql/claim-job.ts) picks the user's best
// queued job within its budgets and its product's max_active_jobs, claims it,
// stores and announces its change event (S10) and returns the job as agents
// see it.
import type { Queryable } from '../../db/queryable.ts';
import { claimJobStatement } from '../../db/sql/claim-job.ts';
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
  /** false: no job within its limits was queued; true with id null: concurrent claims held every stripe with room of its product */
  had_candidate: boolean;
  id: string | null;
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

const claimStatement = claimJobStatement({ jobStatusEvent: jobStatusEventSql('c'), publishChanges: publishChangesSql('events'), iso: isoSql });

/** Tries when the best job's product had every stripe with room held by concurrent claims: each sees a newer snapshot, in which those claims committed. */
const slotRaceAttempts = 5;

type TransitionCounter = Pick<Metrics, 'jobTransitions'>;

/**
 * Claims the next job now, or returns null; a claim counts as the transition
 * queued → claimed. Named: each connection plans the statement once (planning
 * cost more than running it).
 */
export async function claimNextJob(pool: Queryable, auth: AuthContext, kinds: JobKind[] = allKinds, metrics?: TransitionCounter): Promise<ClaimedJob | null> {
  for (let attempt = 1; ; attempt++) {
    const { rows } = await pool.query<ClaimedRow>({ ...claimStatement, values: [auth.tokenId, auth.userId, kinds] });
    const row = rows[0]!;
    if (row.id !== null) {
      metrics?.jobTransitions.inc({ from: 'queued', to: 'claimed' });
      return presentClaimedJob(claimedFacts(row as ClaimedRow & { id: string }));
    }
    if (!row.had_candidate || attempt >= slotRaceAttempts) return null;
  }
}

function claimedFacts(row: ClaimedRow & { id: string }): ClaimedJobFacts {
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
