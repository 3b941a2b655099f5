// Builds test worlds through the real services: a product bound to an
// installation, its backlog, users with tokens, and queued jobs.
import type { PrismaClient } from '../../src/db/client.ts';
import { createToken } from '../../src/services/auth/tokens.ts';
import { importBacklog, type BacklogInput } from '../../src/services/backlog/import-backlog.ts';
import { enqueueJobs } from '../../src/services/jobs/enqueue.ts';

export const installationId = 4242;

let counter = 0;

export async function seedProduct(prisma: PrismaClient, options: { repo?: string; autoPr?: boolean; baseBranch?: string } = {}) {
  const repo = options.repo ?? `octocat/repo-${++counter}-${Date.now().toString(36)}`;
  await prisma.installation.upsert({
    where: { id: BigInt(installationId) },
    create: { id: BigInt(installationId), account_login: repo.split('/')[0]! },
    update: {},
  });
  return prisma.product.create({
    data: {
      name: repo.split('/')[1]!,
      repo,
      repo_key: repo.toLowerCase(),
      base_branch: options.baseBranch ?? 'main',
      auto_pr: options.autoPr ?? true,
      installation_id: BigInt(installationId),
    },
  });
}

export const oneStoryBacklog = (tasks: BacklogInput['pbis'][number]['stories'][number]['tasks']): BacklogInput => ({
  pbis: [{ code: 'PBI-1', title: 'A PBI', stories: [{ code: 'ST-1', title: 'A story', tasks }] }],
});

export async function seedBacklog(prisma: PrismaClient, productId: string, backlog: BacklogInput) {
  return importBacklog(prisma, productId, backlog);
}

export async function seedUser(prisma: PrismaClient, name = `user-${++counter}`) {
  const first = await createToken(prisma, { user: name });
  const second = await createToken(prisma, { user: name, name: 'second' });
  const user = await prisma.user.findUniqueOrThrow({ where: { name } });
  return { name, id: user.id, token: first.token, tokenId: first.token_id, otherToken: second.token };
}

export async function seedTaskJobs(prisma: PrismaClient, user: string, taskIds: string[], priority = 0) {
  return enqueueJobs(prisma, { user, task_ids: taskIds, priority });
}
