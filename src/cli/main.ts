// `scrum4me`: the operator API for people.
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { ApiError, createApiClient, type ApiClient } from './api-client.ts';
import { renderPbi } from './pbi-report.ts';
import type { PbiView } from '../services/pbis/pbi-view.ts';

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

program
  .command('jobs')
  .description('jobs')
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
