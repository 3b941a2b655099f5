// docs/agents.md's shell examples, run as written against a running app (curl,
// jq and git in a child shell; GitHub mocked in this process, where the app runs;
// the push goes to a local bare repository instead of GitHub).
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, startTestApp, type TestApp } from '../support/app.ts';
import { installationId, oneStoryBacklog, seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../support/seed.ts';

const guide = readFileSync(path.join(projectRoot, 'docs', 'agents.md'), 'utf8');
// the walk-through is run as written: it needs the tools an agent's shell has
const missingTools = ['curl', 'jq', 'git'].filter((tool) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`]);
    return false;
  } catch {
    return true;
  }
});

/** The first ```sh block after `heading`. */
function shellBlock(heading: string): string {
  const section = guide.slice(guide.indexOf(heading));
  return /```sh\n([\s\S]*?)```/.exec(section)![1]!;
}

let app: TestApp;
let workDir: string;
beforeAll(async () => {
  app = await startTestApp();
  workDir = mkdtempSync(path.join(os.tmpdir(), 'agents-guide-'));
});
afterAll(async () => {
  nock.cleanAll();
  await app?.close();
  rmSync(workDir, { recursive: true, force: true });
});

async function runShell(script: string, env: Record<string, string>): Promise<string> {
  const file = path.join(workDir, `script-${Date.now()}.sh`);
  writeFileSync(file, `set -euo pipefail\n${script}`);
  // async: the app answering curl runs in this process
  const { stdout } = await promisify(execFile)('bash', [file], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return stdout;
}

describe('docs/agents.md', () => {
  it('the curl walk-through takes a task job from claim to done with the story PR', async () => {
    expect(missingTools, 'install these to run the walk-through (.ci/run does)').toEqual([]);
    const product = await seedProduct(app.db.prisma, { autoPr: true });
    const backlog = await seedBacklog(app.db.prisma, product.id, oneStoryBacklog([{ title: 'Login', plan_paths: ['src/**'] }]));
    const user = await seedUser(app.db.prisma);
    const story = backlog.pbis[0]!.stories[0]!;
    await seedTaskJobs(app.db.prisma, user.name, [story.tasks[0]!.id]);

    const github = () => nock('https://api.github.com');
    github()
      .post(`/app/installations/${installationId}/access_tokens`)
      .times(5)
      .reply(201, { token: 'ghs_push', expires_at: '2099-01-01T00:00:00Z', permissions: { contents: 'write' } });
    const compare = `/repos/${product.repo}/compare/main...${encodeURIComponent(story.branch)}`;
    github().get(compare).query({ per_page: '100', page: '1' }).reply(200, { ahead_by: 1, files: [{ filename: 'src/login.ts', status: 'added' }] });
    github().get(compare).query({ per_page: '1' }).reply(200, { status: 'ahead', ahead_by: 1, behind_by: 0, total_commits: 1, commits: [], files: [] });
    github()
      .post(`/repos/${product.repo}/pulls`)
      .reply(201, {
        id: 1,
        number: 3,
        state: 'open',
        title: 'ST-1: A story',
        body: '',
        html_url: `https://github.com/${product.repo}/pull/3`,
        head: { ref: story.branch, sha: 'a'.repeat(40), repo: { full_name: product.repo } },
        base: { ref: 'main', sha: 'b'.repeat(40), repo: { full_name: product.repo } },
        updated_at: new Date().toISOString(),
        merged: false,
        merge_commit_sha: null,
      });
    github().post(`/repos/${product.repo}/check-runs`).optionally().reply(201, { id: 1 });

    const git = 'git -c user.email=agent@example.com -c user.name=agent';
    await runShell(
      `cd ${workDir}; git init -q --bare -b main origin.git; git clone -q origin.git work 2>/dev/null; cd work; ${git} commit -q --allow-empty -m init; git push -q origin HEAD:main`,
      {},
    );
    const walkThrough = shellBlock('## The same over HTTP, with curl')
      .replace(/^export (S4M|TOKEN)=.*$/gm, '')
      .replace('"https://x-access-token:$push_token@github.com/$repo.git"', 'origin')
      .replace('# … implement the task, commit …', `mkdir -p src && echo 'export {}' > src/login.ts && git add src && ${git} commit -qm 'Login form'`);
    expect(walkThrough).toContain('git push origin "HEAD:$branch"');
    const out = await runShell(`cd ${workDir}/work\n${walkThrough}`, { S4M: app.url, TOKEN: user.token });

    expect(out).toContain('"verify_result": "aligned"');
    expect(out).toContain(`"pr_url": "https://github.com/${product.repo}/pull/3"`);
    expect(out).toContain('"next_action": "queue_empty"');
    expect(execFileSync('git', ['--git-dir', path.join(workDir, 'origin.git'), 'ls-tree', '-r', '--name-only', story.branch], { encoding: 'utf8' })).toContain('src/login.ts');
  });

  it('the MCP curl example calls a tool', async () => {
    const product = await seedProduct(app.db.prisma);
    const backlog = await seedBacklog(app.db.prisma, product.id, oneStoryBacklog([{ title: 'Login' }]));
    const user = await seedUser(app.db.prisma);
    await seedTaskJobs(app.db.prisma, user.name, [backlog.pbis[0]!.stories[0]!.tasks[0]!.id]);
    const claimed = await app.call('POST', '/api/v1/jobs/claim', { token: user.token, body: { wait_seconds: 0 } });
    const id = claimed.body.job.id as string;
    const out = await runShell(shellBlock('The same call over MCP, by hand'), { S4M: app.url, TOKEN: user.token, id });
    const answer = JSON.parse(out);
    expect(answer.result.isError).toBeFalsy();
    expect(answer.result.structuredContent).toMatchObject({ job_id: id, status: 'running', next_action: 'idle' });
  });
});
