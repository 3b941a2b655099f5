// Whether the app can still work on a product's repository on GitHub, and the
// clear reason when it cannot (uninstalled, suspended, repository removed from
// the installation), so GitHub work is refused with words instead of 401s.
import type { PrismaClient } from '../../db/client.ts';
import { DomainError, notFound } from '../errors.ts';

export interface ProductAccessFacts {
  repo: string;
  installation_id: bigint | null;
  repo_removed_at: Date | null;
  installation: { account_login: string; suspended_at: Date | null; deleted_at: Date | null } | null;
}

const day = (at: Date) => at.toISOString().slice(0, 10);

/** Why GitHub work for the product cannot happen, or null when it can. */
export function githubAccessProblem(product: ProductAccessFacts): string | null {
  const { repo, installation } = product;
  if (product.installation_id === null || !installation) return `no Scrum4Me app installation reaches ${repo}: install the app on the repository`;
  if (installation.deleted_at) {
    return `the Scrum4Me app was uninstalled from ${installation.account_login} on ${day(installation.deleted_at)}: reinstall it to let the app work on ${repo}`;
  }
  if (installation.suspended_at) {
    return `the Scrum4Me app's installation on ${installation.account_login} is suspended since ${day(installation.suspended_at)}: unsuspend it to let the app work on ${repo}`;
  }
  if (product.repo_removed_at) {
    return `the Scrum4Me app's installation lost access to ${repo} on ${day(product.repo_removed_at)}: add the repository to the installation again`;
  }
  return null;
}

export class GitHubAccessLost extends DomainError {
  constructor(message: string) {
    super('APP_NOT_INSTALLED', message);
    this.name = 'GitHubAccessLost';
  }
}

/** The product and its installation id, or GitHubAccessLost (422 APP_NOT_INSTALLED) saying why not. */
export async function requireGitHubAccess(prisma: PrismaClient, productId: string) {
  const product = await prisma.product.findUnique({ where: { id: productId }, include: { installation: true } });
  if (!product) throw notFound('product', productId);
  const problem = githubAccessProblem(product);
  if (problem) throw new GitHubAccessLost(problem);
  return { product, installationId: product.installation_id! };
}
