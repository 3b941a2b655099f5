// The end of a cascade (docs/cascade.md §4), once: when no step is pending, the
// cascade is done, the failed job's error carries the summary and warnings
// (S18), the affected story checks are refreshed and a `cascade` event is
// published. Two runs finishing at once serialise on the cascade's row; the
// second finds it done and does nothing.
import type { PrismaClient } from '../../db/client.ts';
import { cancelledFromSql, lockCascadeSql } from '../../db/sql/cascade-finish.ts';
import { queueCheckRefresh } from '../checks/queue-check-refresh.ts';
import { publishChange } from '../events/publish.ts';
import { addTrace } from '../jobs/trace.ts';

const maxErrorLength = 4000;

export interface FinishedCascade {
  /** the cancelled jobs by the status they had (for the job transitions metric) */
  cancelledFrom: { from: 'queued' | 'claimed' | 'running'; count: number }[];
}

/** Null when the cascade is not finished by this call (a step still pending, or done already). */
export async function finishCascade(prisma: PrismaClient, cascadeId: string): Promise<FinishedCascade | null> {
  return prisma.$transaction(async (tx) => {
    const [locked] = await tx.$queryRawUnsafe<{ status: string }[]>(lockCascadeSql, cascadeId);
    if (!locked || locked.status === 'DONE') return null;
    const cascade = await tx.cascade.findUniqueOrThrow({ where: { id: cascadeId }, include: { steps: true, failed_job: true } });
    if (cascade.steps.some((s) => s.state === 'PENDING')) return null;
    const warnings = cascade.steps.filter((s) => s.warning).map((s) => `${s.branch}: ${s.warning}`);
    const counts = ['DONE', 'FAILED', 'SKIPPED'].map((state) => `${cascade.steps.filter((s) => s.state === state).length} ${state.toLowerCase()}`).join(', ');
    const summary = `PBI fail-cascade ${cascadeId} finished: ${cascade.steps.length} branch(es) (${counts}), ${cascade.cancelled_job_ids.length} job(s) cancelled.`;
    await tx.cascade.update({ where: { id: cascadeId }, data: { status: 'DONE', finished_at: new Date() } });
    // S18: the failed job's error carries the cascade's warnings, bounded
    const error = [cascade.failed_job.error ?? '', summary, ...warnings.map((w) => `warning: ${w}`)].filter(Boolean).join('\n');
    await tx.job.update({ where: { id: cascade.failed_job_id }, data: { error: error.slice(0, maxErrorLength) } });
    await addTrace(tx, { cascade_id: cascadeId, message: summary });
    for (const warning of warnings) await addTrace(tx, { job_id: cascade.failed_job_id, level: 'WARN', message: `cascade: ${warning}` });
    await addTrace(tx, { job_id: cascade.failed_job_id, message: summary });
    for (const storyId of new Set(cascade.steps.map((s) => s.story_id).filter((id): id is string => id !== null))) {
      await queueCheckRefresh(tx, storyId);
    }
    await publishChange(tx, { type: 'cascade', user_id: cascade.failed_job.user_id, cascade_id: cascadeId, pbi_id: cascade.pbi_id, status: 'done' });
    const cancelledFrom = await tx.$queryRawUnsafe<FinishedCascade['cancelledFrom']>(cancelledFromSql, cascade.cancelled_job_ids);
    return { cancelledFrom };
  });
}
