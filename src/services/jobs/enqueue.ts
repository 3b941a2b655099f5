// Operators queue jobs for a user: task implementations, or idea jobs.
import type { PrismaClient } from '../../db/client.ts';
import { newRowId } from '../../db/row-id.ts';
import type { JobKind, Prisma } from '../../generated/prisma/client.ts';
import { lockPbiForCascade } from '../cascade/pbi-lock.ts';
import { conflict, notFound, validationFailed } from '../errors.ts';
import { lower } from '../present.ts';
import { publishChanges } from '../events/publish.ts';
import { jobStatusEvent, signalJobsQueued } from './job-events.ts';

export interface EnqueueInput {
  user: string;
  task_ids?: string[] | undefined;
  idea_id?: string | undefined;
  kind?: JobKind | undefined;
  priority?: number | undefined;
}

export interface EnqueuedJob {
  id: string;
  kind: string;
  status: string;
  priority: number;
  task_id: string | null;
  idea_id: string | null;
}

export async function enqueueJobs(prisma: PrismaClient, input: EnqueueInput): Promise<EnqueuedJob[]> {
  const taskIds = input.task_ids ?? [];
  if ((taskIds.length > 0) === (input.idea_id !== undefined)) {
    throw validationFailed('give either task_ids or idea_id', [{ path: 'task_ids', message: 'either task_ids or idea_id is required, not both' }]);
  }
  if (taskIds.length > 0 && input.kind && input.kind !== 'TASK_IMPLEMENTATION') {
    throw validationFailed('kind must be task_implementation for tasks', [{ path: 'kind', message: 'tasks take kind task_implementation' }]);
  }
  if (input.idea_id !== undefined && input.kind === 'TASK_IMPLEMENTATION') {
    throw validationFailed('kind must be idea_grill or idea_make_plan for an idea', [{ path: 'kind', message: 'ideas take idea_grill or idea_make_plan' }]);
  }
  const priority = input.priority ?? 0;

  return prisma.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { name: input.user }, select: { id: true } });
    if (!user) throw notFound('user', input.user);

    let created: Prisma.JobUncheckedCreateInput[];
    if (input.idea_id !== undefined) {
      const idea = await tx.idea.findUnique({ where: { id: input.idea_id }, select: { id: true, product_id: true } });
      if (!idea) throw notFound('idea', input.idea_id);
      created = [{ id: newRowId(), kind: input.kind ?? 'IDEA_GRILL', priority, user_id: user.id, product_id: idea.product_id, idea_id: idea.id }];
    } else {
      const tasks = await tx.task.findMany({
        where: { id: { in: taskIds } },
        select: { id: true, story: { select: { id: true, pbi_id: true, product_id: true } } },
      });
      const byId = new Map(tasks.map((t) => [t.id, t]));
      const missing = taskIds.find((id) => !byId.has(id));
      if (missing) throw notFound('task', missing);
      // The cascade's PBI lock, in a fixed order, before the check: an enqueue that
      // races a failure either commits first (and its jobs are cancelled by the
      // cascade) or waits for the failure to commit and is refused.
      const pbiIds = [...new Set(tasks.map((t) => t.story.pbi_id))].sort();
      for (const pbiId of pbiIds) await lockPbiForCascade(tx, pbiId);
      const open = await tx.cascade.findFirst({ where: { open_pbi_id: { in: pbiIds } }, select: { pbi_id: true, id: true } });
      if (open) {
        throw conflict(`PBI ${open.pbi_id} has an open fail-cascade (${open.id}); reopen it first (POST /api/v1/admin/pbis/${open.pbi_id}/reopen)`);
      }
      created = taskIds.map((taskId) => {
        const task = byId.get(taskId)!;
        return {
          id: newRowId(),
          kind: 'TASK_IMPLEMENTATION',
          priority,
          user_id: user.id,
          product_id: task.story.product_id,
          pbi_id: task.story.pbi_id,
          story_id: task.story.id,
          task_id: task.id,
        };
      });
    }
    // one statement for the jobs and one for their events, however many: 200 tasks
    // were 400 round trips and ran past the transaction's timeout on a busy machine
    const rows = await tx.job.createManyAndReturn({ data: created });
    const rowById = new Map(rows.map((row) => [row.id, row]));
    const jobs = created.map((job) => rowById.get(job.id!)!);
    await publishChanges(tx, jobs.map((job) => jobStatusEvent(job)));
    await signalJobsQueued(tx, user.id);
    return jobs.map((job) => ({
      id: job.id,
      kind: lower(job.kind),
      status: lower(job.status),
      priority: job.priority,
      task_id: job.task_id,
      idea_id: job.idea_id,
    }));
  });
}
