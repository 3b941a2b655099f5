// Verify on a diff larger than GitHub's compare lists (300 files): the whole list
// is read from the trees, never graded from the cut one. The git-backed fake GitHub
// cuts a comparison's files at 300, as GitHub does.
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimTask, startCascadeWorld, type CascadeWorld } from '../cascade/support.ts';

const exec = promisify(execFile);

let world: CascadeWorld;
beforeAll(async () => {
  world = await startCascadeWorld('acme/large-diff');
});
afterAll(async () => {
  await world?.close();
});

let counter = 0;
async function claimedTask(planPaths: string[]) {
  const n = ++counter;
  const imported = await world.app.call('POST', `/api/v1/admin/products/${world.productId}/backlog`, {
    body: { pbis: [{ code: `L${n}`, title: `PBI ${n}`, stories: [{ code: `S${n}`, title: `Story ${n}`, tasks: [{ title: 'Generate', plan_paths: planPaths }] }] }] },
  });
  expect(imported.status).toBe(201);
  return claimTask(world, imported.body.pbis[0].stories[0].tasks[0].id, 10);
}

/** 350 generated files under gen/ and `extra`. */
function generated(extra: Record<string, string>): Record<string, string> {
  const files: Record<string, string> = { ...extra };
  for (let i = 0; i < 350; i++) files[`gen/part-${String(i).padStart(3, '0')}.txt`] = `part ${i}\n`;
  return files;
}

/**
 * An agent's push of `files` onto `branch` (new, from main) as one commit, with a few
 * git processes run asynchronously: the fake's commitToBranch writes each file with
 * its own synchronous git call, which for 350 files blocks this process (the app and
 * the fake live in it) for seconds, and the app's server then drops the test's
 * kept-alive connection under the next request (ECONNRESET).
 */
async function pushMany(branch: string, files: Record<string, string>, message: string): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'large-diff-'));
  try {
    for (const [file, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(work, 'tree', file)), { recursive: true });
      await writeFile(path.join(work, 'tree', file), content);
    }
    const env = {
      ...process.env,
      GIT_DIR: world.fake.gitDir(world.repo),
      GIT_WORK_TREE: path.join(work, 'tree'),
      GIT_INDEX_FILE: path.join(work, 'index'),
      GIT_AUTHOR_NAME: 'Agent',
      GIT_AUTHOR_EMAIL: 'agent@example.com',
      GIT_COMMITTER_NAME: 'Agent',
      GIT_COMMITTER_EMAIL: 'agent@example.com',
    };
    const git = async (...args: string[]) => (await exec('git', args, { env })).stdout.trim();
    const parent = await git('rev-parse', 'refs/heads/main');
    await git('read-tree', parent);
    await git('add', '--', ...Object.keys(files));
    const tree = await git('write-tree');
    const commit = await git('commit-tree', tree, '-p', parent, '-m', message);
    await git('update-ref', `refs/heads/${branch}`, commit, '');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const verify = (jobId: string) => world.app.call('POST', `/api/v1/jobs/${jobId}/verify`, { token: world.agentToken, body: {} });
const compareRoute = 'GET /repos/{owner}/{repo}/compare/{basehead}';
const treeRoute = 'GET /repos/{owner}/{repo}/git/trees/{tree_sha}';

describe('verify on more files than a comparison lists', { timeout: 60_000 }, () => {
  it('finds the unplanned file beyond the first 300 (350 under a planned gen/** plus src/extra.txt)', async () => {
    const job = await claimedTask(['gen/**']);
    await pushMany(job.branch, generated({ 'src/extra.txt': 'not planned\n' }), 'Generate the parts');
    world.fake.clearCalls();
    const answer = await verify(job.id);
    expect(answer.status).toBe(200);
    expect(answer.body.changed_paths).toHaveLength(351);
    expect(answer.body.unexpected_paths).toEqual(['src/extra.txt']);
    expect(answer.body.missing_paths).toEqual([]);
    // compare (300 files: maybe cut), the branch's head, compare against that commit, both trees
    expect(world.fake.callRoutes().filter((r) => !r.includes('check-runs')).sort()).toEqual(
      [compareRoute, 'GET /repos/{owner}/{repo}/branches/{branch}', compareRoute, treeRoute, treeRoute].sort(),
    );
    expect(world.fake.calls.find((c) => c.route === compareRoute)!.responseBody).toMatchObject({ files: expect.any(Array) });
    expect((world.fake.calls.find((c) => c.route === compareRoute)!.responseBody as { files: unknown[] }).files).toHaveLength(300);
  });

  it('grades a plan path beyond the first 300 as covered: aligned from the whole list, not partial from the cut one', async () => {
    const job = await claimedTask(['gen/**', 'zz/last.txt']);
    await pushMany(job.branch, generated({ 'zz/last.txt': 'last\n' }), 'Generate the parts and the last file');
    const answer = await verify(job.id);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ verify_result: 'aligned', missing_paths: [], unexpected_paths: [] });
    expect(answer.body.changed_paths).toHaveLength(351);
    expect(answer.body.changed_paths).toContain('zz/last.txt');
  });

  it('walks the differing subtrees when GitHub cuts a recursive tree too', async () => {
    const job = await claimedTask(['gen/**']);
    await pushMany(job.branch, generated({ 'src/deep/extra.txt': 'not planned\n' }), 'Generate the parts');
    // both recursive tree reads answer truncated (as GitHub does past 100,000 entries)
    world.fake.faults.inject({ route: treeRoute, times: 2, status: 200, body: { sha: 'cut', url: 'cut', tree: [], truncated: true } });
    world.fake.clearCalls();
    const answer = await verify(job.id);
    world.fake.faults.clear();
    expect(answer.status).toBe(200);
    expect(answer.body.changed_paths).toHaveLength(351);
    expect(answer.body.unexpected_paths).toEqual(['src/deep/extra.txt']);
    const trees = world.fake.calls.filter((c) => c.route === treeRoute);
    // two cut recursive reads, then one level at a time: both roots, gen/ (new: one side), src/ (both), src/deep/ (new)
    expect(trees.filter((c) => c.faulted)).toHaveLength(2);
    expect(trees.filter((c) => !c.faulted).every((c) => c.query.recursive === undefined)).toBe(true);
    expect(trees.filter((c) => !c.faulted)).toHaveLength(2 + 1 + 2 + 1);
  });
});
