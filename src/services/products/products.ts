// Products: one GitHub repository each, bound to the app installation that reaches it.
import type { PrismaClient } from '../../db/client.ts';
import { DomainError, conflict, notFound } from '../errors.ts';
import { githubUnavailable, statusOf, type GitHubAccess } from '../github/access.ts';
import type { RepositoryFacts } from '../github/port.ts';
import { adoptRepository, prismaSql } from './repository-identity.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import { presentBudget, type BudgetView } from '../budgets/budgets.ts';
import { presentUsageTotals, type UsageTotalColumns, type UsageTotals } from '../jobs/job-usage.ts';

export interface ProductView {
  id: string;
  name: string;
  repo: string;
  base_branch: string;
  auto_pr: boolean;
  installation_id: string | null;
  /** claimed + running jobs at most (SPEC §11); null: no limit */
  max_active_jobs: number | null;
  /** every job of the product (SPEC §11) */
  usage: UsageTotals;
  budget: BudgetView | null;
}

type ProductRow = {
  id: string;
  name: string;
  repo: string;
  base_branch: string;
  auto_pr: boolean;
  installation_id: bigint | null;
  max_active_jobs: number | null;
  budget_usd: Prisma.Decimal | null;
} & UsageTotalColumns & { usage_cost_usd: Prisma.Decimal };

export const presentProduct = (p: ProductRow): ProductView => ({
  id: p.id,
  name: p.name,
  repo: p.repo,
  base_branch: p.base_branch,
  auto_pr: p.auto_pr,
  installation_id: p.installation_id === null ? null : String(p.installation_id),
  max_active_jobs: p.max_active_jobs,
  usage: presentUsageTotals(p),
  budget: presentBudget(p.budget_usd, p.usage_cost_usd),
});

export interface AddProductInput {
  name: string;
  repo: string;
  base_branch?: string | undefined;
  auto_pr?: boolean | undefined;
}

/**
 * Binds a repository: finds the installation that reaches it
 * (GET /repos/{o}/{r}/installation as the app), reads the repository as that
 * installation (GET /repos/{o}/{r}) for its id, canonical name and default
 * branch. The product keeps the id: a repository that has a product under
 * another name (renamed, transferred, or named by its old name here) is a 409,
 * and that product learns the name just read.
 */
export async function addProduct(prisma: PrismaClient, github: GitHubAccess, input: AddProductInput): Promise<ProductView> {
  const repoKey = input.repo.toLowerCase();
  if (await prisma.product.findUnique({ where: { repo_key: repoKey }, select: { id: true } })) {
    throw conflict(`repository ${input.repo} already has a product`);
  }
  const [owner, repo] = input.repo.split('/') as [string, string];
  let installation: { id: number; accountLogin: string | null };
  let repository: RepositoryFacts;
  try {
    installation = await (await github.app()).findRepositoryInstallation({ owner, repo });
    repository = await (await github.installation(installation.id)).readRepository({ owner, repo });
  } catch (error) {
    const status = statusOf(error);
    if (status === 404 || status === 403) {
      throw new DomainError(
        'APP_NOT_INSTALLED',
        `the app is not installed on ${input.repo} (install it on the repository, then try again)`,
      );
    }
    throw githubUnavailable(`resolving the installation of ${input.repo}`);
  }
  const news = { id: repository.id, fullName: repository.fullName, updatedAt: repository.updatedAt ? new Date(repository.updatedAt) : null, source: 'read' } as const;
  const known = await prisma.product.findUnique({ where: { github_repo_id: BigInt(repository.id) }, select: { id: true } });
  if (known) {
    await prisma.$transaction((tx) => adoptRepository(prismaSql(tx), known.id, news));
    throw conflict(`repository ${repository.fullName} already has a product (${known.id})`);
  }
  const accountLogin = installation.accountLogin ?? owner;
  await prisma.installation.upsert({
    where: { id: BigInt(installation.id) },
    create: { id: BigInt(installation.id), account_login: accountLogin },
    update: { account_login: accountLogin, deleted_at: null },
  });
  try {
    const product = await prisma.product.create({
      data: {
        name: input.name,
        repo: repository.fullName,
        repo_key: repository.fullName.toLowerCase(),
        github_repo_id: BigInt(repository.id),
        repo_updated_at: news.updatedAt,
        base_branch: input.base_branch ?? repository.defaultBranch,
        auto_pr: input.auto_pr ?? true,
        installation_id: BigInt(installation.id),
      },
    });
    return presentProduct(product);
  } catch (error) {
    if ((error as { code?: string }).code === 'P2002') throw conflict(`repository ${input.repo} already has a product`);
    throw error;
  }
}

export async function getProduct(prisma: PrismaClient, id: string): Promise<ProductView> {
  const product = await prisma.product.findUnique({ where: { id } });
  if (!product) throw notFound('product', id);
  return presentProduct(product);
}

export async function listProducts(prisma: PrismaClient): Promise<ProductView[]> {
  const products = await prisma.product.findMany({ orderBy: { created_at: 'asc' } });
  return products.map(presentProduct);
}
