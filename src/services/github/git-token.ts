// POST /api/v1/jobs/{id}/git-token: a short-lived installation token an agent
// can push with, scoped to the product's repository and contents:write only.
// The token is returned to the caller and never logged.
import type { AppServices } from '../app-services.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { DomainError } from '../errors.ts';
import { loadActiveJob } from '../jobs/active-job.ts';
import { githubUnavailable, statusOf } from './access.ts';
import { splitRepo } from './branches.ts';

export async function issueGitToken(services: Pick<AppServices, 'prisma' | 'github'>, auth: AuthContext, jobId: string) {
  const job = await loadActiveJob(services.prisma, auth, jobId);
  if (job.product.installation_id === null) {
    throw new DomainError('APP_NOT_INSTALLED', `no app installation reaches ${job.product.repo}`);
  }
  const { repo } = splitRepo(job.product.repo);
  try {
    const app = await services.github.app();
    // POST /app/installations/{id}/access_tokens with GitHub's own scoping
    const token = await app.createInstallationToken(Number(job.product.installation_id), repo, { contents: 'write' });
    return { token: token.token, expires_at: token.expiresAt, repository: job.product.repo, permissions: token.permissions ?? { contents: 'write' } };
  } catch (error) {
    const status = statusOf(error);
    if (status === 404 || status === 422) {
      throw new DomainError('APP_NOT_INSTALLED', `the app's installation cannot reach ${job.product.repo}`);
    }
    throw githubUnavailable('creating an installation token');
  }
}
