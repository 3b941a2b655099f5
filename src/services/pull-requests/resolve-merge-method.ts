// Records how a merged PR was merged (merge-method.ts), once: the read happens
// only while the record has no method, and the write only fills an empty one.
import type { PullRequest } from '../../generated/prisma/client.ts';
import type { AppServices } from '../app-services.ts';
import { splitRepo } from '../github/branches.ts';
import { requireGitHubAccess } from '../installations/github-access.ts';
import { readMergeShape } from './merge-method.ts';

type Services = Pick<AppServices, 'prisma' | 'github' | 'log'>;

export type MergeMethodOutcome =
  | { kind: 'resolved'; record: PullRequest }
  | { kind: 'not_needed'; record: PullRequest | null }
  | { kind: 'unknown'; record: PullRequest; reason: string };

export async function resolveMergeMethod(services: Services, pullRequestId: string, options: { signal?: AbortSignal } = {}): Promise<MergeMethodOutcome> {
  const { prisma } = services;
  const record = await prisma.pullRequest.findUnique({ where: { id: pullRequestId } });
  if (!record || record.state !== 'MERGED' || record.merge_method !== null || !record.merge_commit_sha) return { kind: 'not_needed', record };
  const { installationId } = await requireGitHubAccess(prisma, record.product_id);
  const github = await services.github.installation(installationId);
  const shape = await readMergeShape(github, splitRepo(record.repo), { number: record.number, mergeCommitSha: record.merge_commit_sha }, options);
  if (shape.method === null) {
    services.log.warn({ pullRequest: record.number, repo: record.repo, reason: shape.reason }, 'merge method of a merged PR not determined');
    return { kind: 'unknown', record, reason: shape.reason };
  }
  await prisma.pullRequest.updateMany({
    where: { id: record.id, merge_method: null, merge_commit_sha: record.merge_commit_sha },
    data: { merge_method: shape.method, merge_parent_sha: shape.parentSha },
  });
  const fresh = await prisma.pullRequest.findUniqueOrThrow({ where: { id: record.id } });
  services.log.info({ pullRequest: record.number, repo: record.repo, mergeMethod: fresh.merge_method }, 'merge method recorded');
  return { kind: 'resolved', record: fresh };
}
