// S13/S14/S17: in the transaction that records a task's failure, open the
// PBI's cascade (or note a no-op when one is open), cancel every queued,
// claimed or running sibling across the PBI's stories, plan one undo step per
// story branch (the branch only: each step decides when it runs), and queue
// the durable GitHub undo — all committed together.
import { Prisma } from '../../generated/prisma/client.ts';
import { publishChangesSql } from '../events/publish.ts';
import { jobStatusEventSql } from '../jobs/job-events.ts';
import { addTrace } from '../jobs/trace.ts';
import { lockPbiForCascade } from './pbi-lock.ts';
import type { StepProgress } from './undo-context.ts';

export interface StartedCascade {
  id: string;
  cancelled_job_ids: string[];
}

export const cascadeQueue = (cascadeId: string) => `cascade:${cascadeId}`;

/** The order steps run and show in: the plan's (`position`, set here). */
export const cascadeStepOrder = { position: 'asc' } as const satisfies Prisma.CascadeStepOrderByWithRelationInput;

// Failures in one PBI queue up on this lock, so exactly one of them opens the
// cascade. A failing status call takes it before it locks its own job row: two
// failures that each held their row and waited for the other would deadlock.
export { lockPbiForCascade } from './pbi-lock.ts';

export async function startCascade(
  tx: Prisma.TransactionClient,
  failed: { id: string; pbi_id: string | null; error: string | null },
): Promise<StartedCascade | null> {
  if (!failed.pbi_id) return null;
  const pbiId = failed.pbi_id;
  await lockPbiForCascade(tx, pbiId); // re-entrant: the status call took it first
  const open = await tx.cascade.findUnique({ where: { open_pbi_id: pbiId }, select: { id: true } });
  if (open) {
    const note = `job ${failed.id} failed while the cascade is open: nothing more to do (S17)`;
    await addTrace(tx, { cascade_id: open.id, message: note });
    await addTrace(tx, { job_id: failed.id, message: `${note}; see cascade ${open.id}` });
    await tx.job.update({ where: { id: failed.id }, data: { cascade_id: open.id } });
    return null;
  }

  const cascade = await tx.cascade.create({ data: { pbi_id: pbiId, open_pbi_id: pbiId, failed_job_id: failed.id } });

  // Branches to undo: one step per story of the PBI that has a job, since only
  // GitHub knows whether an agent pushed (a requeue forgets that a job was ever
  // claimed: claimed_at is cleared). The step reads GitHub when it runs and
  // decides then; the plan keeps the branch alone. A story whose branch the
  // database knows was handed out (a job claimed now, done, or the failed one)
  // or has a PR reads its PRs first; any other asks whether its branch exists
  // first: no branch, no PR, one call (undo-branch.ts).
  const stories = await tx.$queryRaw<{ id: string; branch: string; handed_out: boolean }[]>`
    SELECT s.id, s.branch,
           (EXISTS (SELECT 1 FROM jobs j WHERE j.story_id = s.id AND (j.claimed_at IS NOT NULL OR j.status = 'DONE' OR j.id = ${failed.id}))
            OR EXISTS (SELECT 1 FROM pull_requests p WHERE p.product_id = s.product_id AND p.head_ref = s.branch)) AS handed_out
      FROM stories s
     WHERE s.pbi_id = ${pbiId}
       AND EXISTS (SELECT 1 FROM jobs j WHERE j.story_id = s.id)
     ORDER BY s.position`;

  // One statement for any number of siblings: cancel, trace and announce each
  // (S10); link the failed job, record the cancelled ids and the cascade's
  // opening traces, and queue the durable undo. It always answers one row.
  const reason = `cancelled by the PBI fail-cascade ${cascade.id}: job ${failed.id} failed`;
  const [outcome] = await tx.$queryRaw<{ cancelled_ids: string[] }[]>`
    WITH cancelled AS (
      UPDATE jobs SET status = 'CANCELLED', finished_at = now(), updated_at = now(), cascade_id = ${cascade.id}, error = ${reason}
      WHERE pbi_id = ${pbiId} AND status IN ('QUEUED', 'CLAIMED', 'RUNNING') AND id <> ${failed.id}
      RETURNING *
    ), traced AS (
      INSERT INTO trace_entries (job_id, level, message)
      SELECT id, 'WARN'::"TraceLevel", ${reason} FROM cancelled
      RETURNING id
    ), events AS (
      SELECT 'claude_job_status' AS type, c.user_id, ${Prisma.raw(jobStatusEventSql('c'))} AS event FROM cancelled c
    ), ${Prisma.raw(publishChangesSql('events'))}, failed_job AS (
      UPDATE jobs SET cascade_id = ${cascade.id}, updated_at = now() WHERE id = ${failed.id} RETURNING id
    ), recorded AS (
      UPDATE cascades SET cancelled_job_ids = (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM cancelled)
      WHERE id = ${cascade.id} RETURNING cancelled_job_ids
    ), opened AS (
      INSERT INTO trace_entries (cascade_id, job_id, level, message)
      SELECT ${cascade.id}, NULL, 'INFO'::"TraceLevel",
             format('opened after job %s failed: %s sibling job(s) cancelled, %s branch(es) to undo', ${failed.id}::text, count(*), ${stories.length}::int)
        FROM cancelled
      UNION ALL
      SELECT NULL, ${failed.id}, 'WARN'::"TraceLevel",
             format('PBI fail-cascade %s opened: %s sibling job(s) cancelled', ${cascade.id}::text, count(*))
        FROM cancelled
      RETURNING id
    ), queued AS (
      -- enqueueBackground('cascade_undo', …) in SQL: it commits with everything above
      SELECT graphile_worker.add_job('cascade_undo', json_build_object('cascade_id', ${cascade.id}::text),
             queue_name => ${cascadeQueue(cascade.id)}::text, max_attempts => 12, job_key => ${`cascade:${cascade.id}`}::text)
    )
    SELECT recorded.cancelled_job_ids AS cancelled_ids,
           (SELECT count(*) FROM traced) AS traced, (SELECT count(*) FROM announced) AS announced,
           (SELECT count(*) FROM failed_job) AS linked, (SELECT count(*) FROM opened) AS opened, (SELECT count(*) FROM queued) AS queued
      FROM recorded`;
  const cancelledIds = outcome!.cancelled_ids;

  // the steps keep the stories' order in `position` (ids are opaque, created_at is one for all);
  // `action` stays `delete_branch` until the step reads GitHub and decides
  await tx.cascadeStep.createMany({
    data: stories.map((story, position) => ({
      cascade_id: cascade.id,
      position,
      branch: story.branch,
      story_id: story.id,
      action: 'DELETE_BRANCH' as const,
      progress: story.handed_out ? {} : ({ probe: 'ref' } satisfies StepProgress),
    })),
  });
  return { id: cascade.id, cancelled_job_ids: cancelledIds };
}
