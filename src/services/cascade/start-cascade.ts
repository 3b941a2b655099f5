// S13/S14/S17: in the transaction that records a task's failure, open the
// PBI's cascade (or note a no-op when one is open), cancel every queued,
// claimed or running sibling across the PBI's stories, plan one undo step per
// story branch (the branch only: each step decides when it runs), and queue
// the durable GitHub undo — all committed together.
import { addJobSql } from '../../db/sql/background-jobs.ts';
import { cancelSiblingsStatement, cascadeBranchesStatement } from '../../db/sql/cascade-start.ts';
import { runStatement } from '../../db/sql/run-statement.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import { jobSpecSql, type BackgroundJobSpec } from '../background/enqueue.ts';
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

/** The durable GitHub undo of the cascade, serially per cascade. */
export const cascadeUndoJob = (cascadeId: string): BackgroundJobSpec => ({
  task: 'cascade_undo',
  payload: { cascade_id: cascadeId },
  queueName: cascadeQueue(cascadeId),
  jobKey: `cascade:${cascadeId}`,
  maxAttempts: 12,
});

const cascadeIdMarker = '\u0000cascade_id\u0000';
const cancelSiblings = cancelSiblingsStatement({
  jobStatusEvent: jobStatusEventSql('c'),
  publishChanges: publishChangesSql('events'),
  addUndoJob: addJobSql(jobSpecSql(cascadeUndoJob(cascadeIdMarker), { marker: cascadeIdMarker, sql: '$1::text' })),
});

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
  const stories = await runStatement<{ id: string; branch: string; handed_out: boolean }>(tx, cascadeBranchesStatement, [pbiId, failed.id]);

  // One statement for any number of siblings: cancel, trace and announce each
  // (S10); link the failed job, record the cancelled ids and the cascade's
  // opening traces, and queue the durable undo. It always answers one row.
  const reason = `cancelled by the PBI fail-cascade ${cascade.id}: job ${failed.id} failed`;
  const [outcome] = await runStatement<{ cancelled_ids: string[] }>(tx, cancelSiblings, [cascade.id, pbiId, failed.id, reason, stories.length]);
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
