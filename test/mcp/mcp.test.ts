import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { claimBody, statusBody } from '../../src/handlers/agent-jobs.ts';
import { inputJsonSchema } from '../../src/openapi/json-schema.ts';
import { createToken, revokeToken } from '../../src/services/auth/tokens.ts';
import { createIdea } from '../../src/services/ideas/ideas.ts';
import { enqueueJobs } from '../../src/services/jobs/enqueue.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { installationId, oneStoryBacklog, seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../support/seed.ts';
import { answer, call, connectAgent, textOf } from './support.ts';

let app: TestApp;
let mcpUrl: string;
const clients: Client[] = [];
beforeAll(async () => {
  app = await startTestApp();
  mcpUrl = `${app.url}/mcp`;
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await app?.close();
});
afterEach(() => {
  nock.cleanAll();
});

async function agent(token: string): Promise<Client> {
  const client = await connectAgent(mcpUrl, token);
  clients.push(client);
  return client;
}

const github = () => nock('https://api.github.com');
const tokenMock = () =>
  github().post(`/app/installations/${installationId}/access_tokens`).optionally().times(20).reply(201, { token: 'ghs_installation', expires_at: '2099-01-01T00:00:00Z' });
const compareUrl = (repo: string, branch: string) => `/repos/${repo}/compare/main...${encodeURIComponent(branch)}`;

async function taskWorld(options: { autoPr?: boolean; tasks?: number } = {}) {
  const product = await seedProduct(app.db.prisma, { autoPr: options.autoPr ?? false });
  const backlog = await seedBacklog(
    app.db.prisma,
    product.id,
    oneStoryBacklog(Array.from({ length: options.tasks ?? 1 }, (_, i) => ({ title: `Task ${i}`, plan_paths: ['src/login/**'] }))),
  );
  const user = await seedUser(app.db.prisma);
  const story = backlog.pbis[0]!.stories[0]!;
  await seedTaskJobs(app.db.prisma, user.name, story.tasks.map((t) => t.id));
  return { product, story, user, client: await agent(user.token) };
}

async function claimOverMcp(client: Client): Promise<string> {
  const claimed = answer(await call(client, 'wait_for_job', { wait_seconds: 0 }));
  expect(claimed.job).toBeTruthy();
  return claimed.job.id as string;
}

describe('MCP at /mcp: tools', () => {
  it('lists the seven tools of the original system with the HTTP bodies as input schemas and the protocol in their descriptions', async () => {
    const { client } = await taskWorld();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      ['get_git_token', 'get_job', 'update_idea_grill_md', 'update_idea_plan_md', 'update_job_status', 'verify_task_against_plan', 'wait_for_job'].sort(),
    );
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));

    // the same schema as POST /api/v1/jobs/{id}/status, with the path's job id added in front
    const status = byName.update_job_status!.inputSchema;
    const http = inputJsonSchema(statusBody);
    expect(Object.keys(status.properties!)).toEqual(['job_id', ...Object.keys(http.properties!)]);
    expect({ ...status.properties, job_id: undefined }).toEqual({ ...http.properties, job_id: undefined });
    expect(status.required).toEqual(['job_id', 'status']);
    expect(status).toMatchObject({ type: 'object', additionalProperties: false });
    expect(status.properties!.status).toMatchObject({ enum: ['running', 'done', 'failed'] });
    expect(byName.wait_for_job!.inputSchema).toEqual(inputJsonSchema(claimBody));
    for (const name of ['verify_task_against_plan', 'get_git_token', 'update_idea_grill_md', 'update_idea_plan_md', 'get_job']) {
      expect(byName[name]!.inputSchema.required, name).toContain('job_id');
    }
    expect(byName.update_idea_grill_md!.inputSchema.required).toEqual(['job_id', 'grill_md']);

    const describes = (name: string, ...phrases: string[]) => {
      for (const phrase of phrases) expect(byName[name]!.description, `${name}: ${phrase}`).toContain(phrase);
    };
    describes('update_job_status', 'verify_task_against_plan', 'VERIFY_GATE', 'at least 20 characters', 'JOB_CANCELLED', 'discard your local changes', 'idle', 'wait_for_job_again', 'queue_empty');
    describes('get_git_token', 'push', 'x-access-token', 'contents: write');
    describes('wait_for_job', 'no job available', 'claimed by your token', '30 minutes');
    describes('verify_task_against_plan', 'aligned', 'partial', 'divergent', 'empty');
  });

  it('runs a whole task job: claim, running, git token, verify, done with the story PR made; the answers are the HTTP answers', async () => {
    const { product, story, user, client } = await taskWorld({ autoPr: true });
    const jobId = await claimOverMcp(client);
    const detail = answer(await call(client, 'get_job', { job_id: jobId }));
    expect(detail).toMatchObject({ id: jobId, kind: 'task_implementation', status: 'claimed', branch: story.branch, product: { repo: product.repo } });

    expect(answer(await call(client, 'update_job_status', { job_id: jobId, status: 'running' }))).toMatchObject({ status: 'running', next_action: 'idle' });

    let scopedTo: unknown;
    const scoped = github()
      .post(`/app/installations/${installationId}/access_tokens`, (body: { repositories?: string[] }) => {
        scopedTo = body;
        return Array.isArray(body.repositories);
      })
      .reply(201, { token: 'ghs_push_only', expires_at: '2099-01-01T00:00:00Z', permissions: { contents: 'write' } });
    const gitToken = answer(await call(client, 'get_git_token', { job_id: jobId }));
    expect(scoped.isDone()).toBe(true);
    expect(scopedTo).toEqual({ repositories: [product.repo.split('/')[1]], permissions: { contents: 'write' } });
    expect(gitToken).toEqual({ token: 'ghs_push_only', expires_at: '2099-01-01T00:00:00Z', repository: product.repo, permissions: { contents: 'write' } });

    tokenMock();
    github()
      .get(compareUrl(product.repo, story.branch))
      .query({ per_page: '100', page: '1' })
      .reply(200, { ahead_by: 1, files: [{ filename: 'src/login/form.ts', status: 'added' }] });
    const verified = answer(await call(client, 'verify_task_against_plan', { job_id: jobId }));
    expect(verified).toEqual({
      job_id: jobId,
      verify_result: 'aligned',
      plan_paths: ['src/login/**'],
      changed_paths: ['src/login/form.ts'],
      missing_paths: [],
      unexpected_paths: [],
    });

    github().get(compareUrl(product.repo, story.branch)).query({ per_page: '1' }).reply(200, { status: 'ahead', ahead_by: 1, behind_by: 0, total_commits: 1, commits: [], files: [] });
    let opened: Record<string, string> | undefined;
    const open = github()
      .post(`/repos/${product.repo}/pulls`, (body) => {
        opened = body;
        return true;
      })
      .reply(201, (_uri, body) => ({
        id: 1007,
        number: 7,
        state: 'open',
        title: 'ST-1: A story',
        body: (body as { body: string }).body,
        html_url: `https://github.com/${product.repo}/pull/7`,
        head: { ref: story.branch, sha: 'a'.repeat(40), repo: { full_name: product.repo } },
        base: { ref: 'main', sha: 'b'.repeat(40), repo: { full_name: product.repo } },
        updated_at: new Date().toISOString(),
        merged: false,
        merge_commit_sha: null,
      }));
    github().post(`/repos/${product.repo}/check-runs`).optionally().reply(201, { id: 77 });
    const done = answer(await call(client, 'update_job_status', { job_id: jobId, status: 'done', summary: 'Built the login form over MCP' }));
    expect(open.isDone()).toBe(true);
    expect(opened).toMatchObject({ title: 'ST-1: A story', head: story.branch, base: 'main' });
    expect(done).toMatchObject({
      job_id: jobId,
      status: 'done',
      branch: story.branch,
      pushed_at: expect.any(String),
      pr_url: `https://github.com/${product.repo}/pull/7`,
      verify_result: 'aligned',
      next_action: 'queue_empty',
      worktree: 'remove',
      keep_branch: true,
      cascade: null,
    });

    // the same job read both ways is the same JSON
    const overMcp = await call(client, 'get_job', { job_id: jobId });
    const overHttp = await app.call('GET', `/api/v1/jobs/${jobId}`, { token: user.token });
    expect(answer(overMcp)).toEqual(overHttp.body);
    expect(JSON.parse(textOf(overMcp))).toEqual(overHttp.body);
  });

  it('answers JOB_CANCELLED as an isError result and writes nothing', async () => {
    const { client } = await taskWorld();
    const jobId = await claimOverMcp(client);
    await app.db.prisma.job.update({ where: { id: jobId }, data: { status: 'CANCELLED' } });
    const before = await app.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    const result = await call(client, 'update_job_status', { job_id: jobId, status: 'done', summary: 'all good, really all good' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^JOB_CANCELLED: .*discard your local changes/);
    expect(result.structuredContent).toMatchObject({ error: { code: 'JOB_CANCELLED' } });
    expect(await app.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } })).toEqual(before);
  });

  it('answers VERIFY_GATE as an isError result when done comes before verify, then PARTIAL without a drift summary', async () => {
    const { client } = await taskWorld();
    const jobId = await claimOverMcp(client);
    const early = await call(client, 'update_job_status', { job_id: jobId, status: 'done' });
    expect(early.isError).toBe(true);
    expect(textOf(early)).toMatch(/^VERIFY_GATE: verify the job first/);
    await app.db.prisma.job.update({ where: { id: jobId }, data: { verify_result: 'PARTIAL' } });
    const short = await call(client, 'update_job_status', { job_id: jobId, status: 'done', summary: 'short' });
    expect(textOf(short)).toMatch(/^VERIFY_GATE: verify gave partial/);
    expect((await app.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } })).status).toBe('CLAIMED');
  });

  it("answers JOB_NOT_FOUND for another user's job exactly as for a missing one, and PERMISSION_DENIED for the user's other token", async () => {
    const { user, client } = await taskWorld();
    const jobId = await claimOverMcp(client);
    const stranger = await agent((await seedUser(app.db.prisma)).token);
    const theirs = await call(stranger, 'update_job_status', { job_id: jobId, status: 'running' });
    const missing = await call(stranger, 'update_job_status', { job_id: 'no-such-job', status: 'running' });
    expect(theirs.isError).toBe(true);
    expect(textOf(theirs)).toMatch(/^JOB_NOT_FOUND: /);
    expect(textOf(theirs).replace(jobId, 'ID')).toBe(textOf(missing).replace('no-such-job', 'ID'));
    expect(textOf(await call(stranger, 'get_job', { job_id: jobId }))).toMatch(/^JOB_NOT_FOUND: /);
    const sibling = await agent(user.otherToken);
    expect(textOf(await call(sibling, 'update_job_status', { job_id: jobId, status: 'running' }))).toMatch(/^PERMISSION_DENIED: /);
    expect((await app.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } })).status).toBe('CLAIMED');
  });

  it('validates arguments with the HTTP schemas: VALIDATION_FAILED naming the field; upper-case values accepted', async () => {
    const { client } = await taskWorld();
    const jobId = await claimOverMcp(client);
    const cases = [
      [{ job_id: jobId, status: 'paused' }, 'status'],
      [{ status: 'running' }, 'job_id'],
      [{ job_id: jobId, status: 'failed', input_tokens: -1 }, 'input_tokens'],
      [{ job_id: jobId, status: 'failed', summary: 'x'.repeat(1001) }, 'summary'],
      [{ job_id: jobId, status: 'done', branch: 'someone-elses-branch' }, 'branch'],
    ] as const;
    for (const [args, field] of cases) {
      const result = await call(client, 'update_job_status', args);
      expect(result.isError, JSON.stringify(args)).toBe(true);
      expect(textOf(result)).toMatch(/^VALIDATION_FAILED: /);
      expect((result.structuredContent as { error: { details: { path: string }[] } }).error.details[0]!.path).toBe(field);
    }
    const unknownField = await call(client, 'update_job_status', { job_id: jobId, status: 'running', colour: 'blue' });
    expect(textOf(unknownField)).toMatch(/^VALIDATION_FAILED: /);
    expect(answer(await call(client, 'update_job_status', { job_id: jobId, status: 'RUNNING' }))).toMatchObject({ status: 'running' });
  });

  it('wait_for_job says "no job available" when nothing comes, and is woken by a job queued while it waits', async () => {
    const { client, story, user } = await taskWorld();
    await claimOverMcp(client);
    const empty = await call(client, 'wait_for_job', { wait_seconds: 0 });
    expect(empty.isError).toBeFalsy();
    expect(empty.structuredContent).toEqual({ job: null });
    expect(textOf(empty)).toMatch(/^no job available/);

    const started = Date.now();
    const waiting = call(client, 'wait_for_job', { wait_seconds: 10 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [queued] = await enqueueJobs(app.db.prisma, { user: user.name, task_ids: [story.tasks[0]!.id] });
    const woken = answer(await waiting);
    expect(woken.job.id).toBe(queued!.id);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('stops a wait_for_job whose client went away, so a job queued afterwards stays queued', async () => {
    const { story, user, client } = await taskWorld();
    await claimOverMcp(client);
    const gone = new AbortController();
    const waiting = fetch(mcpUrl, {
      method: 'POST',
      signal: gone.signal,
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'wait_for_job', arguments: { wait_seconds: 10 } } }),
    }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 300));
    gone.abort();
    expect(await waiting).toMatchObject({ name: 'AbortError' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const [queued] = await enqueueJobs(app.db.prisma, { user: user.name, task_ids: [story.tasks[0]!.id] });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await app.db.prisma.job.findUniqueOrThrow({ where: { id: queued!.id } })).status).toBe('QUEUED');
  });

  it('works an idea job: wrong kind refused, grill stored, done', async () => {
    const product = await seedProduct(app.db.prisma);
    const user = await seedUser(app.db.prisma);
    const idea = await createIdea(app.db.prisma, { product_id: product.id, title: 'Dark mode' });
    await enqueueJobs(app.db.prisma, { user: user.name, idea_id: idea.id, kind: 'IDEA_GRILL' });
    const client = await agent(user.token);
    const claimed = answer(await call(client, 'wait_for_job', { wait_seconds: 0, kinds: ['IDEA_GRILL'] }));
    expect(claimed.job).toMatchObject({ kind: 'idea_grill', branch: null, idea: { id: idea.id, title: 'Dark mode' } });
    const jobId = claimed.job.id as string;
    expect(textOf(await call(client, 'update_idea_plan_md', { job_id: jobId, plan_md: '# plan' }))).toMatch(/^WRONG_JOB_KIND: /);
    expect(textOf(await call(client, 'verify_task_against_plan', { job_id: jobId }))).toMatch(/^WRONG_JOB_KIND: /);
    expect(answer(await call(client, 'update_idea_grill_md', { job_id: jobId, grill_md: '# Questions\n- why?' }))).toEqual({
      job_id: jobId,
      idea_id: idea.id,
      status: 'grilled',
    });
    expect(answer(await call(client, 'update_job_status', { job_id: jobId, status: 'done' }))).toMatchObject({ status: 'done', next_action: 'queue_empty' });
    expect(textOf(await call(client, 'update_idea_grill_md', { job_id: jobId, grill_md: 'again' }))).toMatch(/^JOB_TERMINAL: /);
    expect(await app.db.prisma.idea.findUniqueOrThrow({ where: { id: idea.id } })).toMatchObject({ status: 'GRILLED', grill_md: '# Questions\n- why?' });
  });

  it('answers an unknown tool with the protocol error MCP prescribes', async () => {
    const { client } = await taskWorld();
    await expect(call(client, 'delete_everything')).rejects.toMatchObject({ code: -32602 });
  });
});

describe('MCP at /mcp: transport and authentication', () => {
  const initialize = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl', version: '1' } },
  };
  const post = (headers: Record<string, string>, body: string = JSON.stringify(initialize)) =>
    fetch(mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body });

  it('refuses a missing, unknown or revoked token with 401 and WWW-Authenticate: Bearer', async () => {
    const user = await seedUser(app.db.prisma);
    const revoked = await createToken(app.db.prisma, { user: user.name, name: 'old' });
    await revokeToken(app.db.prisma, revoked.token_id);
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer s4m_not-a-token' }, { authorization: `Bearer ${revoked.token}` }, { authorization: 'Basic abc' }];
    for (const headers of attempts) {
      const response = await post(headers);
      expect(response.status, JSON.stringify(headers)).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="scrum4me"/);
      expect(await response.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    }
    await expect(connectAgent(mcpUrl, 's4m_not-a-token')).rejects.toThrow();
    await expect(connectAgent(mcpUrl, null)).rejects.toThrow();
  });

  it('answers initialize statelessly as JSON (no session id), 405 to GET, 413 to an oversized body, a parse error to bad JSON or none', async () => {
    const user = await seedUser(app.db.prisma);
    const auth = { authorization: `Bearer ${user.token}` };
    const init = await post(auth);
    expect(init.status).toBe(200);
    expect(init.headers.get('content-type')).toMatch(/application\/json/);
    expect(init.headers.get('mcp-session-id')).toBeNull();
    expect(await init.json()).toMatchObject({ id: 1, result: { serverInfo: { name: 'scrum4me-app' }, capabilities: { tools: {} } } });

    const get = await fetch(mcpUrl, { headers: { ...auth, accept: 'text/event-stream' } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    await get.arrayBuffer();

    const huge = await post(auth, JSON.stringify({ ...initialize, padding: 'x'.repeat(app.services.config.maxBodyBytes) }));
    expect(huge.status).toBe(413);
    await huge.arrayBuffer();

    for (const body of ['{"jsonrpc": ', '']) {
      const bad = await post(auth, body);
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: { code: -32700 } });
    }
  });
});
