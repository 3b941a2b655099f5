// The `scrum4me` CLI as people run it: a child process (node --import tsx) talking
// to a running app. The app runs in this process, so nock here answers the app's
// GitHub calls (the CLI itself never calls GitHub).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/server.ts';
import { adminToken, projectRoot, startTestApp, type TestApp } from '../support/app.ts';
import { seedProduct, seedUser } from '../support/seed.ts';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/github/${name}.json`, import.meta.url), 'utf8'));

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

let app: TestApp;
let workDir: string;

beforeAll(async () => {
  app = await startTestApp();
  workDir = await mkdtemp(path.join(os.tmpdir(), 'scrum4me-cli-'));
});
afterAll(async () => {
  await app?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});
afterEach(() => {
  nock.cleanAll();
});

/** Runs `scrum4me ARGS` against the test app (SCRUM4ME_URL / SCRUM4ME_TOKEN unless overridden). */
function scrum4me(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, SCRUM4ME_URL: app.url, SCRUM4ME_TOKEN: adminToken, ...env };
  delete childEnv.SCRUM4ME_ADMIN_TOKEN;
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete childEnv[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', ...args], {
      cwd: projectRoot,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function writeJson(name: string, value: unknown): Promise<string> {
  const file = path.join(workDir, name);
  await writeFile(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

const backlog = {
  pbis: [
    {
      code: 'PBI-CLI',
      title: 'Command line',
      stories: [
        { code: 'ST-1', title: 'Import from a file', tasks: [{ title: 'Read the file', plan_paths: ['src/cli/**'] }, { title: 'Print counts' }] },
        { code: 'ST-2', title: 'Show a PBI', tasks: [{ title: 'Render stories' }] },
      ],
    },
  ],
};

describe('scrum4me token create', () => {
  it('prints a new token once, and --admin makes an operator token', async () => {
    const [agent, operator] = await Promise.all([
      scrum4me(['token', 'create', '--user', 'cli-agent']),
      scrum4me(['token', 'create', '--user', 'cli-ops', '--admin']),
    ]);
    for (const run of [agent, operator]) {
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(/shown only once/);
    }
    const agentToken = /s4m_[A-Za-z0-9_-]+/.exec(agent.stdout)?.[0];
    const operatorToken = /s4m_[A-Za-z0-9_-]+/.exec(operator.stdout)?.[0];
    expect(agent.stdout.split(agentToken!).length - 1).toBe(1);
    expect(agent.stdout).toContain('token for cli-agent');

    expect((await app.call('GET', '/api/v1/admin/products', { token: agentToken! })).status).toBe(403);
    expect((await app.call('GET', '/api/v1/admin/products', { token: operatorToken! })).status).toBe(200);
  });
});

describe('scrum4me product add', () => {
  it('adds a product for owner/repo, the app resolving the installation on GitHub', async () => {
    const github = nock('https://api.github.com')
      .get('/repos/octocat/cli-repo/installation')
      .reply(200, fixture('apps.get-repo-installation'))
      .post('/app/installations/4242/access_tokens')
      .optionally()
      .reply(201, fixture('apps.create-installation-access-token'))
      .get('/repos/octocat/cli-repo')
      .reply(200, { ...fixture('repos.get'), full_name: 'octocat/cli-repo' });

    const run = await scrum4me(['product', 'add', 'octocat/cli-repo']);

    expect(run).toMatchObject({ code: 0, stderr: '' });
    const id = /^product (\S+) for octocat\/cli-repo \(base main\)$/m.exec(run.stdout)?.[1];
    expect(id).toBeDefined();
    expect(github.isDone()).toBe(true);
    const product = await app.db.prisma.product.findUniqueOrThrow({ where: { id: id! } });
    expect(product).toMatchObject({ repo: 'octocat/cli-repo', name: 'cli-repo', auto_pr: true, installation_id: 4242n });
  });
});

describe('scrum4me reconcile', () => {
  it("re-reads the product's open pull requests and prints the summary", async () => {
    const product = await seedProduct(app.db.prisma, { repo: 'octocat/cli-reconcile' });
    const github = nock('https://api.github.com')
      .post('/app/installations/4242/access_tokens')
      .optionally()
      .reply(201, fixture('apps.create-installation-access-token'))
      .get('/repos/octocat/cli-reconcile/pulls')
      .query(true)
      .reply(200, []);
    const run = await scrum4me(['reconcile', '--product', product.id]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(github.isDone()).toBe(true);
    expect(JSON.parse(run.stdout)).toEqual(expect.any(Object));
    const missing = await scrum4me(['reconcile', '--product', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NOT_FOUND');
  });
});

describe('scrum4me backlog, jobs and pbi show', () => {
  it('imports a backlog file all-or-nothing, queues jobs, and shows the PBI for people and as JSON', async () => {
    const product = await seedProduct(app.db.prisma);
    const user = await seedUser(app.db.prisma, 'cli-worker');
    const pbisBefore = await app.db.prisma.pbi.count({ where: { product_id: product.id } });

    // Bad input first: nothing may be created, and the error names the field.
    const badBacklog = structuredClone(backlog) as { pbis: { stories: { tasks: Record<string, unknown>[] }[] }[] };
    badBacklog.pbis[0]!.stories[1]!.tasks[0]!.verify_required = 'sometimes';
    const [bad, notJson] = await Promise.all([
      scrum4me(['backlog', 'import', await writeJson('bad.json', badBacklog), '--product', product.id]),
      scrum4me(['backlog', 'import', await writeJson('broken.json', '{"pbis": ['), '--product', product.id]),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/VALIDATION_FAILED/);
    expect(bad.stderr).toContain('pbis.0.stories.1.tasks.0.verify_required');
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(/BAD_FILE: cannot read .*broken\.json as JSON/);
    expect(await app.db.prisma.pbi.count({ where: { product_id: product.id } })).toBe(pbisBefore);

    const good = await scrum4me(['backlog', 'import', await writeJson('good.json', backlog), '--product', product.id]);
    expect(good).toMatchObject({ code: 0, stderr: '' });
    expect(good.stdout.trim()).toBe('imported 1 PBI(s), 2 stories, 3 tasks');
    const pbi = await app.db.prisma.pbi.findFirstOrThrow({
      where: { product_id: product.id, code: 'PBI-CLI' },
      include: { stories: { orderBy: { position: 'asc' }, include: { tasks: { orderBy: { position: 'asc' } } } } },
    });
    const [firstStory, secondStory] = pbi.stories;
    const taskIds = firstStory!.tasks.map((task) => task.id);

    const enqueued = await scrum4me(['jobs', 'enqueue', '--user', user.name, '--task', ...taskIds]);
    expect(enqueued).toMatchObject({ code: 0, stderr: '' });
    const jobIds = [...enqueued.stdout.matchAll(/^queued task_implementation job (\S+)$/gm)].map((match) => match[1]);
    expect(jobIds).toHaveLength(2);
    const jobs = await app.db.prisma.job.findMany({ where: { id: { in: jobIds as string[] } } });
    expect(jobs.map((job) => [job.task_id, job.status, job.user_id]).sort()).toEqual(taskIds.map((id) => [id, 'QUEUED', user.id]).sort());

    const [human, json] = await Promise.all([scrum4me(['pbi', 'show', pbi.id]), scrum4me(['--json', 'pbi', 'show', pbi.id])]);
    expect(human).toMatchObject({ code: 0, stderr: '' });
    expect(human.stdout).toContain(`PBI PBI-CLI Command line  (${pbi.id})`);
    expect(human.stdout).toContain('Story ST-1 Import from a file');
    expect(human.stdout).toContain(`branch: ${firstStory!.branch}`);
    expect(human.stdout).toContain('Story ST-2 Show a PBI');
    expect(human.stdout).toContain(`branch: ${secondStory!.branch}`);
    expect(human.stdout).toContain('PR: none');
    for (const jobId of jobIds) expect(human.stdout).toContain(`job ${jobId} queued by ${user.name}`);
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(json.stdout)).toEqual((await app.call('GET', `/api/v1/admin/pbis/${pbi.id}`)).body);
  });
});

describe('scrum4me token list, product show / pbis, jobs list / show', () => {
  it('prints the operator lists as tables for people and the API answers with --json', async () => {
    const product = await seedProduct(app.db.prisma, { repo: 'octocat/cli-lists' });
    const user = await seedUser(app.db.prisma, 'cli-lister');
    const imported = (await app.call('POST', `/api/v1/admin/products/${product.id}/backlog`, { body: backlog })).body;
    const taskIds = imported.pbis[0].stories.flatMap((s: { tasks: { id: string }[] }) => s.tasks.map((t) => t.id));
    const queued = (await app.call('POST', '/api/v1/admin/jobs', { body: { user: user.name, task_ids: taskIds } })).body.jobs as { id: string }[];
    await app.db.prisma.job.update({ where: { id: queued[0]!.id }, data: { status: 'DONE', input_tokens: 1500, output_tokens: 20 } });

    const [tokens, shown, pbis, pbisJson] = await Promise.all([
      scrum4me(['token', 'list']),
      scrum4me(['product', 'show', product.id]),
      scrum4me(['product', 'pbis', product.id]),
      scrum4me(['--json', 'product', 'pbis', product.id]),
    ]);
    expect(tokens).toMatchObject({ code: 0, stderr: '' });
    expect(tokens.stdout.split('\n')[0]).toMatch(/^user\s+token id\s+prefix\s+name\s+admin\s+created\s+last used\s+revoked$/);
    expect(tokens.stdout).toMatch(new RegExp(`^cli-lister\\s+${user.tokenId}\\s+${user.token.slice(0, 10)}…`, 'm'));
    expect(tokens.stdout).not.toContain(user.token);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: product.id, repo: 'octocat/cli-lists' });
    expect(pbis).toMatchObject({ code: 0, stderr: '' });
    expect(pbis.stdout).toMatch(new RegExp(`^${imported.pbis[0].id}\\s+PBI-CLI\\s+Command line\\s+2\\s+1/3\\s+queued 2, done 1\\s+-\\s+0\\.000000000$`, 'm'));
    expect(JSON.parse(pbisJson.stdout)).toEqual((await app.call('GET', `/api/v1/admin/products/${product.id}/pbis`)).body);

    const [page, done, detail] = await Promise.all([
      scrum4me(['jobs', 'list', '--user', user.name, '--limit', '2']),
      scrum4me(['--json', 'jobs', 'list', '--product', product.id, '--status', 'done']),
      scrum4me(['jobs', 'show', queued[0]!.id]),
    ]);
    expect(page).toMatchObject({ code: 0, stderr: '' });
    const cursor = /^older jobs: --cursor (\S+)$/m.exec(page.stdout)?.[1];
    expect(cursor).toBeDefined();
    const listed = (text: string) => queued.map((j) => j.id).filter((id) => text.includes(id));
    expect(listed(page.stdout)).toHaveLength(2);
    const rest = await scrum4me(['jobs', 'list', '--user', user.name, '--limit', '2', '--cursor', cursor!]);
    expect(listed(rest.stdout)).toHaveLength(1);
    expect(rest.stdout).not.toContain('older jobs');
    expect(new Set([...listed(page.stdout), ...listed(rest.stdout)]).size).toBe(3);
    expect(JSON.parse(done.stdout).jobs.map((j: { id: string }) => j.id)).toEqual([queued[0]!.id]);
    expect(detail.stdout).toContain(`job ${queued[0]!.id} done (task_implementation) for cli-lister`);
    expect(detail.stdout).toContain('tokens: in 1500 out 20');

    const bad = await scrum4me(['jobs', 'list', '--status', 'paused']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('VALIDATION_FAILED');
    expect(bad.stderr).toContain('status:');
  });
});

describe('scrum4me errors', () => {
  it('says clearly when the app cannot be reached, or the token is missing, and exits 1', async () => {
    const closedPort = await freePort();
    const [unreachable, noToken] = await Promise.all([
      scrum4me(['product', 'list'], { SCRUM4ME_URL: `http://127.0.0.1:${closedPort}` }),
      scrum4me(['product', 'list'], { SCRUM4ME_TOKEN: undefined }),
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stdout).toBe('');
    expect(unreachable.stderr).toContain(`error: UNREACHABLE: cannot reach scrum4me-app at http://127.0.0.1:${closedPort}`);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/^error: UNAUTHENTICATED: /);
  });
});
