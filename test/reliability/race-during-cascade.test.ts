// 50 agents race claims and status calls on one PBI while one of them fails a
// task and the fail-cascade cancels the rest: every job ends in one state, the
// event stream agrees with the jobs table, and every late report is told
// JOB_CANCELLED (409), never 500 and never anything else.
//
// The app runs in its own process, as in production: the fake GitHub runs git
// synchronously in this process, and would otherwise stall the app's event loop
// (and with it every open transaction) for seconds at a time.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github/index.ts';
import { adminToken, appProcessEnv, projectRoot } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { freePort } from '../../src/server.ts';
import { until } from '../cascade/support.ts';

const stories = 10;
const tasksPerStory = 12; // 120 task jobs
const agents = 50;
/** the agent of the failing task reports once this many jobs are done */
const doneBeforeFailure = 5;
/** agents of this many jobs push, then hold until the failure is answered: mid-job when it lands */
const parked = 8;
const repo = 'acme/race';

let fake: FakeGitHub;
let database: TestDatabase;
let app: ChildProcess | undefined;
let baseUrl: string;
let productId: string;
/** the app's log lines at level error or worse */
const appErrors: string[] = [];

// The app as `src/main.ts` starts it, but with the tests' Octokit (no retries, no
// write pacing: Probot's throttling would space GitHub writes a second apart).
const appEntry = `
  await import(${JSON.stringify(`${projectRoot}/src/runtime-flags.ts`)});
  const { ProbotOctokit } = await import('probot');
  const { loadConfig } = await import(${JSON.stringify(`${projectRoot}/src/config.ts`)});
  const { createLogger } = await import(${JSON.stringify(`${projectRoot}/src/logger.ts`)});
  const { startApp } = await import(${JSON.stringify(`${projectRoot}/src/server.ts`)});
  const Octokit = ProbotOctokit.defaults((options) => ({ ...options, retry: { enabled: false }, throttle: { ...options.throttle, enabled: false } }));
  const config = loadConfig(process.env, ${JSON.stringify(projectRoot)});
  const app = await startApp({ config, log: createLogger(config.logLevel), Octokit });
  process.once('SIGTERM', () => void app.stop().finally(() => process.exit(0)));
  process.stdout.write(JSON.stringify({ ready: app.url }) + '\\n');
`;

async function startAppProcess(): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', appEntry], {
    cwd: projectRoot,
    env: appProcessEnv({ databaseUrl: database.url, gheHost: fake.host, port: await freePort(), webhookSecret: 'race-test-secret' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  app = child;
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the app process exited (${code}): ${stderr.join('').slice(-2000)}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{"ready"')) resolve((JSON.parse(line) as { ready: string }).ready);
      else if (/"level":(50|60)/.test(line)) appErrors.push(line);
    });
  });
}

/**
 * One HTTP call on a connection of its own: with keep-alive, a connection the app
 * closed as idle could be reused by this process when git work here held up its
 * timers, and the call would fail on the client's side.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read loosely, as in the other app tests
function api(method: string, path: string, body?: unknown, token = adminToken): Promise<{ status: number; body: any }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${baseUrl}${path}`,
      {
        method,
        agent: false,
        headers: { authorization: `Bearer ${token}`, ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode!, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

beforeAll(async () => {
  fake = await startFakeGitHub();
  fake.createRepo(repo, { defaultBranch: 'main', files: { 'README.md': 'race\n' } });
  database = await createTestDatabase();
  baseUrl = await startAppProcess();
  const product = await api('POST', '/api/v1/admin/products', { name: 'Race', repo });
  expect(product.status).toBe(201);
  productId = product.body.id;
});
afterAll(async () => {
  if (app && app.exitCode === null) {
    const exited = new Promise((resolve) => app!.once('exit', resolve));
    app.kill('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 10_000))]);
    if (!stopped) app.kill('SIGKILL');
  }
  await fake?.close();
  await database?.drop();
});

type CallKind = 'claim' | 'running' | 'verify' | 'done' | 'failed';
interface CallLog {
  agent: number;
  kind: CallKind;
  jobId: string | null;
  status: number;
  code: string | null;
  /** when the request was sent and answered (performance.now()) */
  sentAt: number;
  answeredAt: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read loosely
  body: any;
}

describe('agents racing a fail-cascade on the same PBI', { timeout: 90_000 }, () => {
  it('ends every job in one state, answers late reports JOB_CANCELLED, and never hands out a cancelled job', async () => {
    const imported = await api('POST', `/api/v1/admin/products/${productId}/backlog`, {
      pbis: [
        {
          code: 'RACE',
          title: 'Racing PBI',
          stories: Array.from({ length: stories }, (_, s) => ({
            code: `R${s}`,
            title: `Race story ${s}`,
            tasks: Array.from({ length: tasksPerStory }, (_, t) => ({ title: `Task ${s}.${t}`, plan_paths: [`s${s}/t${t}.txt`] })),
          })),
        },
      ],
    });
    expect(imported.status).toBe(201);
    const pbi = imported.body.pbis[0] as { id: string; stories: { id: string; branch: string; tasks: { id: string }[] }[] };
    const storyFiles = new Map(pbi.stories.map((story, s) => [story.id, story.tasks.map((_, t) => `s${s}/t${t}.txt`)]));
    // the first task of story 0 fails (its siblings race it); the first task of the
    // next stories is held mid-job; all of them are claimed in the first wave
    const failingTask = pbi.stories[0]!.tasks[0]!.id;
    const parkedTasks = pbi.stories.slice(1, parked + 1).map((story) => story.tasks[0]!.id);
    const otherTasks = pbi.stories.flatMap((story) => story.tasks.map((t) => t.id)).filter((id) => id !== failingTask && !parkedTasks.includes(id));

    const tokens: string[] = [];
    for (let i = 0; i < agents; i++) {
      const minted = await api('POST', '/api/v1/admin/tokens', { user: 'agent', name: `racer-${i}` });
      expect(minted.status).toBe(201);
      tokens.push(minted.body.token);
    }
    const jobIds: string[] = [];
    for (const [taskIds, priority] of [[[failingTask], 10], [parkedTasks, 5], [otherTasks, 0]] as const) {
      const queued = await api('POST', '/api/v1/admin/jobs', { user: 'agent', task_ids: taskIds, priority });
      expect(queued.status).toBe(201);
      jobIds.push(...(queued.body.jobs as { id: string }[]).map((j) => j.id));
    }

    // GitHub a little slow: the push check of a `done` (made before the job row is
    // locked) and the cascade's undo both take a while, so they overlap the agents' calls
    fake.latencyMs = 25;

    const calls: CallLog[] = [];
    const call = async (agent: number, kind: CallKind, jobId: string | null, route: string, body: unknown) => {
      const sentAt = performance.now();
      const answer = await api('POST', route, body, tokens[agent]!);
      const entry: CallLog = { agent, kind, jobId, status: answer.status, code: answer.body?.error?.code ?? null, sentAt, answeredAt: performance.now(), body: answer.body };
      calls.push(entry);
      return entry;
    };

    let doneAnswered = 0;
    let failure: CallLog | undefined;
    let failureAnswered!: () => void;
    const failureLanded = new Promise<void>((resolve) => (failureAnswered = resolve));
    const parkedJobs = new Set<string>();

    const agentLoop = async (agent: number) => {
      for (;;) {
        const claim = await call(agent, 'claim', null, '/api/v1/jobs/claim', { wait_seconds: 0 });
        if (claim.status !== 200) return; // 204: nothing left (anything else is asserted below)
        const job = claim.body.job as { id: string; branch: string; story: { id: string }; task: { id: string } };
        claim.jobId = job.id;
        const status = (body: Record<string, unknown>) => call(agent, body.status as CallKind, job.id, `/api/v1/jobs/${job.id}/status`, body);

        if ((await status({ status: 'running' })).status !== 200) continue;
        if (job.task.id === failingTask) {
          // the failing agent reports once a few jobs are done
          await until('a few jobs to be done', async () => doneAnswered >= doneBeforeFailure, 60_000);
          failure = await status({ status: 'failed', error: 'the migration broke the build' });
          failureAnswered();
          continue;
        }
        // the push: one real commit per story branch holds every task's file (each
        // git command costs milliseconds here); a story branch that is gone is pushed again
        if (!fake.branchSha(repo, job.branch)) {
          const files = Object.fromEntries(storyFiles.get(job.story.id)!.map((path) => [path, `${path}: agent ${agent}\n`]));
          fake.commitToBranch(repo, job.branch, files, `Work on story ${job.story.id}`);
        }
        if (parkedTasks.includes(job.task.id)) {
          // mid-job when the failure lands: pushed, not yet verified or reported
          parkedJobs.add(job.id);
          await failureLanded;
        }
        const verify = await call(agent, 'verify', job.id, `/api/v1/jobs/${job.id}/verify`, {});
        if (verify.status !== 200) continue;
        const done = await status({ status: 'done', summary: `Implemented task ${job.task.id} as planned` });
        if (done.status === 200) doneAnswered++;
      }
    };
    await Promise.all(Array.from({ length: agents }, (_, agent) => agentLoop(agent)));

    // the failure opened the cascade; wait for its GitHub undo to finish
    expect(failure, 'the failing job was claimed and reported').toBeDefined();
    expect(failure!.status, JSON.stringify(failure!.body)).toBe(200);
    expect(failure!.body.status).toBe('failed');
    const cascadeId = failure!.body.cascade.id as string;
    const cancelledByAnswer = new Set<string>(failure!.body.cascade.cancelled_job_ids);
    const view = await until('the cascade to finish', async () => {
      const read = await api('GET', `/api/v1/admin/pbis/${pbi.id}`);
      return read.body.cascades[0]?.status === 'done' ? read.body : undefined;
    }, 30_000);
    fake.latencyMs = 0;
    expect(view.cascades).toHaveLength(1);
    expect(view.cascades[0].id).toBe(cascadeId);

    // --- the answers -------------------------------------------------------------
    const errors = appErrors.join('\n').slice(0, 3000);
    for (const c of calls) {
      expect(c.status, `${c.kind} ${c.jobId}: ${JSON.stringify(c.body)}\n${errors}`).toBeLessThan(500);
      if (c.kind === 'claim') expect([200, 204]).toContain(c.status);
      // a status or verify call either works or is told the job was cancelled (S3)
      else if (c.status !== 200) expect({ kind: c.kind, status: c.status, code: c.code }).toEqual({ kind: c.kind, status: 409, code: 'JOB_CANCELLED' });
    }
    const cancelledAnswers = calls.filter((c) => c.code === 'JOB_CANCELLED');
    // the parked agents were mid-job when the failure landed: each of them was told
    expect(parkedJobs.size).toBe(parked);
    for (const jobId of parkedJobs) expect(cancelledAnswers.some((c) => c.jobId === jobId), `parked job ${jobId}`).toBe(true);

    // --- the jobs table ------------------------------------------------------------
    const jobs = await database.db.prisma.job.findMany({ where: { pbi_id: pbi.id }, select: { id: true, status: true, cascade_id: true } });
    expect(jobs).toHaveLength(stories * tasksPerStory);
    const statusOf = new Map(jobs.map((j) => [j.id, j.status]));
    const withStatus = (s: string) => jobs.filter((j) => j.status === s).map((j) => j.id);
    expect(withStatus('FAILED')).toEqual([failure!.jobId]);
    expect(jobs.every((j) => ['DONE', 'CANCELLED', 'FAILED'].includes(j.status)), 'no job left queued, claimed or running').toBe(true);
    const cascadeRow = await database.db.prisma.cascade.findUniqueOrThrow({ where: { id: cascadeId } });
    expect(new Set(cascadeRow.cancelled_job_ids)).toEqual(new Set(withStatus('CANCELLED')));
    expect(cancelledByAnswer).toEqual(new Set(withStatus('CANCELLED')));
    for (const j of jobs) {
      if (j.status === 'DONE') expect(j.cascade_id, `done job ${j.id} touched by the cascade`).toBeNull();
      else expect(j.cascade_id).toBe(cascadeId);
    }
    for (const id of parkedJobs) expect(statusOf.get(id)).toBe('CANCELLED');

    // every agent told JOB_CANCELLED holds a cancelled job; every `done` answered 200 stayed done
    for (const c of cancelledAnswers) expect(statusOf.get(c.jobId!), `JOB_CANCELLED for ${c.jobId}`).toBe('CANCELLED');
    const doneAnswers = calls.filter((c) => c.kind === 'done' && c.status === 200);
    expect(doneAnswers.length).toBeGreaterThanOrEqual(doneBeforeFailure);
    for (const c of doneAnswers) {
      expect(c.body.status).toBe('done');
      expect(statusOf.get(c.jobId!), `job ${c.jobId} answered done`).toBe('DONE');
      expect(cancelledByAnswer.has(c.jobId!)).toBe(false);
    }
    expect(new Set(doneAnswers.map((c) => c.jobId))).toEqual(new Set(withStatus('DONE')));

    // --- the change_events stream, per job -------------------------------------------
    const events = await database.db.prisma.$queryRaw<{ job_id: string; status: string }[]>`
      SELECT payload->>'job_id' AS job_id, payload->>'status' AS status FROM change_events
      WHERE type = 'claude_job_status' AND payload->>'job_id' = ANY(${jobIds}::text[]) ORDER BY seq`;
    const history = new Map<string, string[]>(jobIds.map((id) => [id, []]));
    for (const e of events) history.get(e.job_id)!.push(e.status);
    const terminal = ['done', 'failed', 'cancelled'];
    for (const [jobId, statuses] of history) {
      const final = statusOf.get(jobId)!.toLowerCase();
      const story = `events of ${jobId}: ${statuses.join(' → ')}`;
      // queued, claimed at most once, running, then exactly one terminal state, the last event
      expect(statuses[0], story).toBe('queued');
      expect(statuses.at(-1), story).toBe(final);
      expect(statuses.filter((s) => terminal.includes(s)), story).toEqual([final]);
      expect(statuses.filter((s) => s === 'claimed').length, story).toBeLessThanOrEqual(1);
    }

    // --- claims ------------------------------------------------------------------------
    const claimAnswers = calls.filter((c) => c.kind === 'claim' && c.status === 200);
    const claimedIds = claimAnswers.map((c) => c.jobId!);
    expect(new Set(claimedIds).size, 'a job handed out twice').toBe(claimedIds.length);
    for (const c of claimAnswers) {
      expect(c.body.job.status).toBe('claimed');
      // the claim came before the job's terminal event: never a cancelled job handed out
      const statuses = history.get(c.jobId!)!;
      expect(statuses.indexOf('claimed'), `events of ${c.jobId}: ${statuses.join(' → ')}`).toBeGreaterThan(0);
    }
    // jobs never claimed were cancelled while queued
    for (const id of jobIds.filter((id) => !claimedIds.includes(id))) expect(history.get(id)).toEqual(['queued', 'cancelled']);
    // a claim sent after the failure was answered finds nothing: the PBI's jobs are all cancelled
    const lateClaims = calls.filter((c) => c.kind === 'claim' && c.sentAt > failure!.answeredAt);
    expect(lateClaims.length).toBeGreaterThan(0);
    for (const c of lateClaims) expect(c.status, `a claim sent after the failure handed out ${c.jobId}`).toBe(204);

    // the cascade's GitHub undo ended each branch done, or with a warning naming it
    for (const step of view.cascades[0].steps as { branch: string; state: string; warning: string | null }[]) {
      if (step.state !== 'done') expect(step.warning ?? '', `${step.branch}: ${step.state}`).toContain(step.branch);
    }
  });
  it("does not deadlock when the failure's cancel waits on one sibling's row while the others report", async () => {
    // Lock order: the failure's transaction must take the sibling rows (its cancel)
    // before its story's check-refresh job key, which a sibling's status call takes
    // after its own row. Here one sibling's row is held elsewhere (as a concurrent
    // `done` holds it for a moment), so the cancel stops there while the others report.
    const token = (await api('POST', '/api/v1/admin/tokens', { user: 'agent', name: 'lock-order' })).body.token as string;
    const imported = await api('POST', `/api/v1/admin/products/${productId}/backlog`, {
      pbis: [{ code: 'LOCK', title: 'Lock order', stories: [{ code: 'L', title: 'One story', tasks: Array.from({ length: 7 }, (_, t) => ({ title: `L${t}` })) }] }],
    });
    expect(imported.status).toBe(201);
    const taskIds = (imported.body.pbis[0].stories[0].tasks as { id: string }[]).map((t) => t.id);
    expect((await api('POST', '/api/v1/admin/jobs', { user: 'agent', task_ids: taskIds, priority: 100 })).status).toBe(201);
    const jobs: string[] = [];
    for (let i = 0; i < taskIds.length; i++) jobs.push((await api('POST', '/api/v1/jobs/claim', { wait_seconds: 0 }, token)).body.job.id);
    const [held, failing, ...others] = jobs as [string, string, ...string[]];

    const holder = new pg.Client({ connectionString: database.url });
    // outside any transaction, so its view of pg_stat_activity is fresh at each query
    const observer = new pg.Client({ connectionString: database.url });
    await holder.connect();
    await observer.connect();
    const lockWaiters = async (cancel: boolean) =>
      (await observer.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND (query LIKE '%''CANCELLED''%') = $1`, [cancel])).rows[0].n as number;
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE', [held]);
      const failure = api('POST', `/api/v1/jobs/${failing}/status`, { status: 'failed', error: 'lock order' }, token);
      await until("the failure's cancel to wait on the held row", async () => (await lockWaiters(true)) > 0, 10_000);
      let answered = 0;
      const running = others.map((id) => api('POST', `/api/v1/jobs/${id}/status`, { status: 'running' }, token).finally(() => answered++));
      // each running call answers, or holds its row and waits for the story's job key
      await until('the running calls to answer or wait', async () => answered + (await lockWaiters(false)) > 0, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await holder.query('COMMIT');

      const [failed, ...reports] = await Promise.all([failure, ...running]);
      expect(failed!.status, JSON.stringify(failed!.body)).toBe(200);
      expect(failed!.body.cascade.cancelled_job_ids.sort()).toEqual([held, ...others].sort());
      for (const report of reports) {
        if (report.status !== 200) expect([report.status, report.body.error?.code], JSON.stringify(report.body)).toEqual([409, 'JOB_CANCELLED']);
      }
      const rows = await database.db.prisma.job.findMany({ where: { id: { in: [held, ...others] } }, select: { status: true } });
      expect(rows.map((r) => r.status)).toEqual(rows.map(() => 'CANCELLED'));
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
      await observer.end();
    }
  });
});
