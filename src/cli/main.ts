// `scrum4me`: the operator API for people.
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { ApiError, createApiClient, type ApiClient } from './api-client.ts';
import { renderPbi } from './pbi-report.ts';
import type { PbiView } from '../services/pbis/pbi-view.ts';
import { renderTable, clip } from './tables.ts';
import type { JobPage } from '../services/jobs/list-jobs.ts';
import type { OperatorJob } from '../services/jobs/operator-job.ts';
import type { TokenListItem } from '../services/auth/list-tokens.ts';
import type { PbiListItem } from '../services/products/list-pbis.ts';
import type { ProductView } from '../services/products/products.ts';
import { renderUsage } from './usage-report.ts';
import type { UsageReport } from '../services/usage/usage-report.ts';
import type { BudgetView } from '../services/budgets/budgets.ts';
import type { PriceTableView } from '../services/prices/price-schema.ts';

interface GlobalOptions {
  url: string;
  token?: string;
  json?: boolean;
}

const program = new Command()
  .name('scrum4me')
  .description('Operate scrum4me-app: tokens, products, backlog, jobs and cascades')
  .addOption(new Option('--url <url>', 'the app URL').env('SCRUM4ME_URL').default('http://localhost:3000'))
  .addOption(new Option('--token <token>', 'an admin token (or SCRUM4ME_TOKEN / SCRUM4ME_ADMIN_TOKEN)').env('SCRUM4ME_TOKEN'))
  .option('--json', 'print raw JSON answers')
  .showHelpAfterError();

function client(): ApiClient {
  const options = program.opts<GlobalOptions>();
  return createApiClient(options.url, options.token ?? process.env.SCRUM4ME_ADMIN_TOKEN);
}

function print(value: unknown, human?: string): void {
  process.stdout.write(`${program.opts<GlobalOptions>().json || human === undefined ? JSON.stringify(value, null, 2) : human}\n`);
}

const token = program.command('token').description('API tokens');
token
  .command('create')
  .description('mint a token for a user (created on first use); the token is shown once')
  .requiredOption('--user <user>', 'user name')
  .option('--name <name>', 'a label for the token')
  .option('--admin', 'an admin (operator) token')
  .action(async (opts: { user: string; name?: string; admin?: boolean }) => {
    const created = await client().request<{ token: string; token_id: string; user: string }>('POST', '/api/v1/admin/tokens', {
      user: opts.user,
      name: opts.name,
      admin: opts.admin ?? false,
    });
    print(created, `token for ${created.user} (id ${created.token_id}), shown only once:\n${created.token}`);
  });
token
  .command('revoke <token_id>')
  .description('revoke a token')
  .action(async (tokenId: string) => {
    print(await client().request('DELETE', `/api/v1/admin/tokens/${encodeURIComponent(tokenId)}`), `revoked ${tokenId}`);
  });

token
  .command('list')
  .description("users and their tokens: prefix, name, admin, created, last used (never the token)")
  .action(async () => {
    const { tokens } = await client().request<{ tokens: TokenListItem[] }>('GET', '/api/v1/admin/tokens');
    print(
      { tokens },
      renderTable(
        ['user', 'token id', 'prefix', 'name', 'admin', 'created', 'last used', 'revoked'],
        tokens.map((t) => [t.user, t.token_id, `${t.prefix}…`, t.name, t.admin ? 'yes' : 'no', t.created_at, t.last_used_at, t.revoked_at]),
      ),
    );
  });

const product = program.command('product').description('products (one repository each)');
product
  .command('add <repo>')
  .description('add a product for owner/repo (the app must be installed on it)')
  .option('--name <name>', 'product name (default: the repository name)')
  .option('--base <branch>', 'base branch (default: the repository default branch)')
  .option('--no-auto-pr', 'do not open story pull requests')
  .action(async (repo: string, opts: { name?: string; base?: string; autoPr: boolean }) => {
    const created = await client().request<{ id: string; repo: string; base_branch: string }>('POST', '/api/v1/admin/products', {
      name: opts.name ?? repo.split('/')[1] ?? repo,
      repo,
      base_branch: opts.base,
      auto_pr: opts.autoPr,
    });
    print(created, `product ${created.id} for ${created.repo} (base ${created.base_branch})`);
  });
product
  .command('list')
  .description('list products')
  .action(async () => print(await client().request('GET', '/api/v1/admin/products')));
product
  .command('show <id>')
  .description('a product')
  .action(async (id: string) => print(await client().request<ProductView>('GET', `/api/v1/admin/products/${encodeURIComponent(id)}`)));
product
  .command('pbis <id>')
  .description("a product's PBIs with progress (tasks done / total), jobs by status and cascade")
  .action(async (id: string) => {
    const answer = await client().request<{ pbis: PbiListItem[] }>('GET', `/api/v1/admin/products/${encodeURIComponent(id)}/pbis`);
    const cascade = (c: PbiListItem['cascade']) => (!c ? null : c.status === 'running' ? 'running' : c.open ? 'done (open)' : 'reopened');
    const jobs = (counts: PbiListItem['jobs']) =>
      Object.entries(counts)
        .filter(([, n]) => n > 0)
        .map(([status, n]) => `${status} ${n}`)
        .join(', ');
    print(
      answer,
      renderTable(
        ['pbi id', 'code', 'title', 'stories', 'tasks done', 'jobs', 'cascade', 'cost usd'],
        answer.pbis.map((p) => [p.id, p.code, clip(p.title, 40), p.stories, `${p.tasks_done}/${p.tasks_total}`, jobs(p.jobs), cascade(p.cascade), p.usage.cost_usd]),
      ),
    );
  });

/** "none" removes a budget or limit; anything else must be a number (the API checks its bounds). */
function amountOrNone(value: string): number | null {
  if (value === 'none') return null;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new ApiError(0, 'BAD_ARGUMENT', `expected a number or "none", got "${value}"`);
  return parsed;
}

const describeBudget = (budget: BudgetView | null) =>
  budget ? `budget ${budget.budget_usd} USD, spent ${budget.spent_usd} USD${budget.exceeded ? ' (exceeded: its queued jobs are not handed out)' : ''}` : 'no budget';

product
  .command('budget <id> <usd>')
  .description('stop handing out the product\'s jobs once they cost this much (USD, or "none")')
  .action(async (id: string, usd: string) => {
    const updated = await client().request<ProductView>('PATCH', `/api/v1/admin/products/${encodeURIComponent(id)}`, { budget_usd: amountOrNone(usd) });
    print(updated, `product ${updated.id}: ${describeBudget(updated.budget)}`);
  });
product
  .command('limit <id> <jobs>')
  .description('at most this many claimed + running jobs of the product at once (or "none")')
  .action(async (id: string, jobs: string) => {
    const updated = await client().request<ProductView>('PATCH', `/api/v1/admin/products/${encodeURIComponent(id)}`, { max_active_jobs: amountOrNone(jobs) });
    print(updated, `product ${updated.id}: ${updated.max_active_jobs === null ? 'no limit on active jobs' : `at most ${updated.max_active_jobs} active job(s)`}`);
  });

const prices = program.command('prices').description('model prices, USD per million tokens');
prices
  .command('show')
  .description('the price table in force (first matching glob wins)')
  .action(async () => {
    const table = await client().request<PriceTableView>('GET', '/api/v1/admin/prices');
    print(
      table,
      renderTable(
        ['model (glob)', 'input', 'output', 'cache read', 'cache write'],
        table.prices.map((p) => [p.model, p.input, p.output, p.cache_read, p.cache_write]),
      ),
    );
  });
prices
  .command('set <file>')
  .description('replace the price table with a JSON file ({"prices": [...]}); the old table is kept for the costs priced with it')
  .action(async (file: string) => {
    let table: unknown;
    try {
      table = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new ApiError(0, 'BAD_FILE', `cannot read ${file} as JSON: ${(error as Error).message}`);
    }
    const stored = await client().request<PriceTableView>('PUT', '/api/v1/admin/prices', table);
    print(stored, `price table replaced: ${stored.prices.length} entr${stored.prices.length === 1 ? 'y' : 'ies'}`);
  });

program
  .command('backlog')
  .description('backlog')
  .command('import <file>')
  .description('import PBIs, stories and tasks from a JSON file ({"pbis": [...]}); all or nothing')
  .requiredOption('--product <id>', 'product id')
  .action(async (file: string, opts: { product: string }) => {
    let backlog: unknown;
    try {
      backlog = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new ApiError(0, 'BAD_FILE', `cannot read ${file} as JSON: ${(error as Error).message}`);
    }
    const result = await client().request<{ pbis: { id: string; title: string; stories: { branch: string; tasks: unknown[] }[] }[] }>(
      'POST',
      `/api/v1/admin/products/${encodeURIComponent(opts.product)}/backlog`,
      backlog,
    );
    const stories = result.pbis.flatMap((p) => p.stories);
    print(result, `imported ${result.pbis.length} PBI(s), ${stories.length} stories, ${stories.reduce((n, s) => n + s.tasks.length, 0)} tasks`);
  });

program
  .command('idea')
  .description('ideas')
  .command('add')
  .description('add an idea to a product')
  .requiredOption('--product <id>', 'product id')
  .requiredOption('--title <title>', 'title')
  .option('--body <body>', 'body (markdown)')
  .action(async (opts: { product: string; title: string; body?: string }) => {
    print(await client().request('POST', '/api/v1/admin/ideas', { product_id: opts.product, title: opts.title, body: opts.body }));
  });

const jobs = program.command('jobs').description('jobs');
jobs
  .command('list')
  .description("every user's jobs, newest first, a page at a time")
  .option('--status <status>', 'queued, claimed, running, done, failed or cancelled')
  .option('--user <user>', 'user name')
  .option('--product <id>', 'product id')
  .option('--kind <kind>', 'task_implementation, idea_grill or idea_make_plan')
  .option('--limit <n>', 'jobs per page (1-200, default 50)')
  .option('--cursor <cursor>', 'the next page, as the previous page printed it')
  .action(async (opts: { status?: string; user?: string; product?: string; kind?: string; limit?: string; cursor?: string }) => {
    const query = new URLSearchParams(
      Object.entries({ status: opts.status, user: opts.user, product_id: opts.product, kind: opts.kind, limit: opts.limit, cursor: opts.cursor }).filter(
        (entry): entry is [string, string] => entry[1] !== undefined,
      ),
    );
    const page = await client().request<JobPage>('GET', `/api/v1/admin/jobs${query.size > 0 ? `?${query}` : ''}`);
    const table = renderTable(
      ['job id', 'created', 'status', 'kind', 'user', 'product', 'work', 'verify', 'tokens in/out'],
      page.jobs.map((j) => [
        j.id,
        j.created_at,
        j.status,
        j.kind,
        j.user,
        j.product.name,
        clip(j.task?.title ?? j.idea?.title, 40),
        j.verify_result,
        j.usage.input_tokens === null && j.usage.output_tokens === null ? null : `${j.usage.input_tokens ?? 0}/${j.usage.output_tokens ?? 0}`,
      ]),
    );
    print(page, page.next_cursor ? `${table}\nolder jobs: --cursor ${page.next_cursor}` : table);
  });
jobs
  .command('show <id>')
  .description("any user's job with its trace")
  .action(async (id: string) => {
    const job = await client().request<OperatorJob>('GET', `/api/v1/admin/jobs/${encodeURIComponent(id)}`);
    const lines = [
      `job ${job.id} ${job.status} (${job.kind}) for ${job.user}`,
      ...(job.task ? [`task: ${job.task.title}  (${job.task.id})`] : []),
      ...(job.idea ? [`idea: ${job.idea.title}  (${job.idea.id})`] : []),
      `branch: ${job.branch ?? '-'}  PR: ${job.pr_url ?? '-'}  verify: ${job.verify_result ?? '-'}`,
      ...(job.summary ? [`summary: ${job.summary}`] : []),
      ...(job.error ? [`error: ${job.error}`] : []),
      `tokens: in ${job.usage.input_tokens ?? '-'} out ${job.usage.output_tokens ?? '-'} cache read ${job.usage.cache_read_tokens ?? '-'} write ${job.usage.cache_write_tokens ?? '-'}`,
      'trace:',
      ...(job.trace.length === 0 ? ['  (empty)'] : job.trace.map((t) => `  ${t.at} ${t.level} ${t.message}`)),
    ];
    print(job, lines.join('\n'));
  });
jobs
  .command('enqueue')
  .description('queue jobs for a user: task implementations, or an idea job')
  .requiredOption('--user <user>', 'the user whose agents will claim them')
  .option('--task <ids...>', 'task ids')
  .option('--idea <id>', 'an idea id')
  .option('--kind <kind>', 'idea_grill or idea_make_plan for an idea')
  .option('--priority <n>', 'higher is claimed first', (v) => Number.parseInt(v, 10))
  .action(async (opts: { user: string; task?: string[]; idea?: string; kind?: string; priority?: number }) => {
    const result = await client().request<{ jobs: { id: string; kind: string }[] }>('POST', '/api/v1/admin/jobs', {
      user: opts.user,
      task_ids: opts.task,
      idea_id: opts.idea,
      kind: opts.kind,
      priority: opts.priority,
    });
    print(result, result.jobs.map((j) => `queued ${j.kind} job ${j.id}`).join('\n'));
  });

const pbi = program.command('pbi').description('PBIs and their fail-cascades');
pbi
  .command('show <id>')
  .description('stories, PRs, jobs and cascade steps of a PBI')
  .action(async (id: string) => {
    const view = await client().request<PbiView>('GET', `/api/v1/admin/pbis/${encodeURIComponent(id)}`);
    print(view, renderPbi(view));
  });
pbi
  .command('budget <id> <usd>')
  .description('stop handing out the PBI\'s jobs once they cost this much (USD, or "none")')
  .action(async (id: string, usd: string) => {
    const updated = await client().request<{ id: string; budget: BudgetView | null }>('PATCH', `/api/v1/admin/pbis/${encodeURIComponent(id)}`, { budget_usd: amountOrNone(usd) });
    print(updated, `PBI ${updated.id}: ${describeBudget(updated.budget)}`);
  });
pbi
  .command('reopen <id>')
  .description("close the PBI's finished cascade so it can be worked again")
  .action(async (id: string) => {
    const result = await client().request<{ reopened_cascade_id: string | null }>('POST', `/api/v1/admin/pbis/${encodeURIComponent(id)}/reopen`);
    print(result, result.reopened_cascade_id ? `reopened (closed cascade ${result.reopened_cascade_id})` : 'nothing to reopen');
  });

program
  .command('reconcile')
  .description("re-read a product's open pull requests from GitHub and heal missed webhooks")
  .requiredOption('--product <id>', 'product id')
  .action(async (opts: { product: string }) => {
    print(await client().request('POST', `/api/v1/admin/products/${encodeURIComponent(opts.product)}/reconcile`));
  });

program
  .command('usage')
  .description('tokens and cost of the jobs that reported usage, grouped (SPEC §11)')
  .option('--product <id>', 'product id')
  .option('--pbi <id>', 'PBI id')
  .option('--user <user>', 'user name')
  .option('--from <date>', 'from this day (YYYY-MM-DD, UTC) or instant (ISO-8601), inclusive')
  .option('--to <date>', 'through this day (YYYY-MM-DD, UTC), or up to this instant (ISO-8601)')
  .addOption(new Option('--by <grouping>', 'group by').choices(['model', 'user', 'pbi', 'story', 'day']).default('model'))
  .action(async (opts: { product?: string; pbi?: string; user?: string; from?: string; to?: string; by: string }) => {
    const query = new URLSearchParams(
      Object.entries({ product_id: opts.product, pbi_id: opts.pbi, user: opts.user, from: opts.from, to: opts.to, group_by: opts.by }).filter(
        (entry): entry is [string, string] => entry[1] !== undefined,
      ),
    );
    const report = await client().request<UsageReport>('GET', `/api/v1/admin/usage?${query}`);
    print(report, renderUsage(report));
  });

export async function runCli(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof ApiError) {
      process.stderr.write(`error: ${error.code}: ${error.message}\n`);
      if (Array.isArray(error.details)) {
        for (const issue of error.details as { path?: string; message?: string }[]) {
          process.stderr.write(`  ${issue.path ?? ''}: ${issue.message ?? ''}\n`);
        }
      }
      return 1;
    }
    throw error;
  }
}
