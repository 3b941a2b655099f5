// S13/S14/S17: in the transaction that records a task's failure, open the
// PBI's cascade (or note a no-op when one is open), cancel every queued,
// claimed or running sibling across the PBI's stories, plan one undo step per
// story branch, and queue the durable GitHub undo — all committed together.
import { Prisma } from '../../generated/prisma/client.ts';
import { enqueueBackground } from '../background/enqueue.ts';
import { publishChangesSql } from '../events/publish.ts';
import { jobStatusEventSql } from '../jobs/job-events.ts';
import { addTrace } from '../jobs/trace.ts';
import { planStep } from './plan-steps.ts';

export interface StartedCascade {
  id: string;
  cancelled_job_ids: string[];
}

export const cascadeQueue = (cascadeId: string) => `cascade:${cascadeId}`;

/**
 * Failures in one PBI queue up here, so exactly one of them opens the cascade.
 * A failing status call takes this lock before it locks its own job row: two
 * failures that each held their row and waited for the other would deadlock.
 */
export async function lockPbiForCascade(tx: Pick<Prisma.TransactionClient, '$executeRaw'>, pbiId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`cascade:${pbiId}`}))`;
}

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
  const reason = `cancelled by the PBI fail-cascade ${cascade.id}: job ${failed.id} failed`;
  // one statement for any number of siblings: cancel, trace and announce each (S10),
  // link the failed job and record the cancelled ids on the cascade
  const cancelled = await tx.$queryRaw<{ id: string }[]>`
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
      WHERE id = ${cascade.id} RETURNING id
    )
    SELECT id, (SELECT count(*) FROM traced) AS traced, (SELECT count(*) FROM announced) AS announced,
           (SELECT count(*) FROM failed_job) AS linked, (SELECT count(*) FROM recorded) AS recorded
      FROM cancelled ORDER BY id`;
  const cancelledIds = cancelled.map((j) => j.id);

  // Branches to undo: each story of the PBI whose branch can hold pushed work
  // (a job that was claimed at some point, or is done), the failed one's included.
  const stories = await tx.story.findMany({
    where: { pbi_id: pbiId, jobs: { some: { OR: [{ claimed_at: { not: null } }, { status: 'DONE' }, { id: failed.id }] } } },
    select: { id: true, branch: true, product_id: true },
    orderBy: { position: 'asc' },
  });
  const prs = await tx.pullRequest.findMany({
    where: { product_id: { in: [...new Set(stories.map((s) => s.product_id))] }, head_ref: { in: stories.map((s) => s.branch) } },
    orderBy: { number: 'desc' },
  });
  // one insert, one created_at: the steps keep the stories' order through their ids (cuid counts up)
  await tx.cascadeStep.createMany({
    data: stories.map((story) => {
      const pr = prs.find((p) => p.head_ref === story.branch && p.product_id === story.product_id);
      return { cascade_id: cascade.id, branch: story.branch, story_id: story.id, pull_number: pr?.number ?? null, action: planStep(pr ?? null).action };
    }),
  });
  await tx.traceEntry.createMany({
    data: [
      {
        cascade_id: cascade.id,
        message: `opened after job ${failed.id} failed: ${cancelledIds.length} sibling job(s) cancelled, ${stories.length} branch(es) to undo`,
      },
      { job_id: failed.id, level: 'WARN', message: `PBI fail-cascade ${cascade.id} opened: ${cancelledIds.length} sibling job(s) cancelled` },
    ],
  });
  await enqueueBackground(tx, 'cascade_undo', { cascade_id: cascade.id }, { queueName: cascadeQueue(cascade.id), jobKey: `cascade:${cascade.id}`, maxAttempts: 12 });
  return { id: cascade.id, cancelled_job_ids: cancelledIds };
}
