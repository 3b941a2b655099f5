// Backlog import: PBIs → stories → tasks in one transaction, in input order.
import type { PrismaClient } from '../../db/client.ts';
import { backlogImportLockKey, transactionLockSql } from '../../db/sql/advisory-locks.ts';
import type { VerifyRequired } from '../../generated/prisma/client.ts';
import { notFound } from '../errors.ts';
import { claimUniqueBranch, storyBranchName } from './story-branch.ts';

export interface BacklogInput {
  pbis: {
    code?: string | undefined;
    title: string;
    stories: {
      code?: string | undefined;
      title: string;
      tasks: {
        title: string;
        plan?: string | undefined;
        plan_paths?: string[] | undefined;
        verify_only?: boolean | undefined;
        verify_required?: VerifyRequired | undefined;
      }[];
    }[];
  }[];
}

export interface ImportedBacklog {
  pbis: {
    id: string;
    code: string | null;
    title: string;
    stories: { id: string; code: string | null; title: string; branch: string; tasks: { id: string; title: string }[] }[];
  }[];
}

export async function importBacklog(prisma: PrismaClient, productId: string, input: BacklogInput): Promise<ImportedBacklog> {
  return prisma.$transaction(
    async (tx) => {
      const product = await tx.product.findUnique({ where: { id: productId }, select: { id: true } });
      if (!product) throw notFound('product', productId);
      // Serialise imports of one product so branch uniqueness holds under concurrency.
      await tx.$executeRawUnsafe(transactionLockSql, backlogImportLockKey(productId));
      const existing = await tx.story.findMany({ where: { product_id: productId }, select: { branch: true } });
      const taken = new Set(existing.map((s) => s.branch));
      const pbiCount = await tx.pbi.count({ where: { product_id: productId } });

      const result: ImportedBacklog = { pbis: [] };
      for (const [pbiIndex, pbiInput] of input.pbis.entries()) {
        const pbi = await tx.pbi.create({
          data: { product_id: productId, code: pbiInput.code ?? null, title: pbiInput.title, position: pbiCount + pbiIndex },
        });
        const stories: ImportedBacklog['pbis'][number]['stories'] = [];
        for (const [storyIndex, storyInput] of pbiInput.stories.entries()) {
          const story = await tx.story.create({
            data: {
              pbi_id: pbi.id,
              product_id: productId,
              code: storyInput.code ?? null,
              title: storyInput.title,
              position: storyIndex,
              // placeholder, unique until the id-based name is known
              branch: `pending/${pbi.id}/${storyIndex}`,
            },
          });
          const branch = claimUniqueBranch(storyBranchName(storyInput.code ?? story.id, storyInput.title), taken);
          await tx.story.update({ where: { id: story.id }, data: { branch } });
          const tasks = [];
          for (const [taskIndex, taskInput] of storyInput.tasks.entries()) {
            const task = await tx.task.create({
              data: {
                story_id: story.id,
                title: taskInput.title,
                plan: taskInput.plan ?? null,
                plan_paths: taskInput.plan_paths ?? [],
                verify_only: taskInput.verify_only ?? false,
                verify_required: taskInput.verify_required ?? 'ALIGNED_OR_PARTIAL',
                position: taskIndex,
              },
              select: { id: true, title: true },
            });
            tasks.push(task);
          }
          stories.push({ id: story.id, code: story.code, title: story.title, branch, tasks });
        }
        result.pbis.push({ id: pbi.id, code: pbi.code, title: pbi.title, stories });
      }
      return result;
    },
    { timeout: 30_000 },
  );
}
