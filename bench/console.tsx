// The operator console under load (issue 14): the board of a PBI with 40
// stories and 200 jobs rendered server-side (target p95 < 150 ms), 100 consoles
// open on that board's event stream (target: under 30 MB more RSS in the app's
// process), and how long a change takes to reach all 100 (SPEC §10: 2 s); and
// the same PBI's view through the operator API (issue 16: p99 < 50 ms).
// Self-contained: `npm run build && node dist/bench/console.js`.
import '../src/runtime-flags.ts';
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createToken } from '../src/services/auth/tokens.ts';
import { importBacklog } from '../src/services/backlog/import-backlog.ts';
import { enqueueJobs } from '../src/services/jobs/enqueue.ts';
import { loadBoard } from '../src/console/pages/board.tsx';
import { BoardPage } from '../src/console/views/board.tsx';
import { renderDocument } from '../src/console/views/layout.tsx';
import { startBenchEnvironment, type BenchEnvironment } from './support/environment.ts';
import { percentile } from './support/stats.ts';
import { renderTable, type BenchRow } from './support/table.ts';

const stories = 40;
const tasksPerStory = 5;
const consoles = 100;
const renderSamples = 200;
const liveRounds = 10;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const rssMb = () => {
  gc();
  return process.memoryUsage.rss() / (1024 * 1024);
};

async function seedBoard(env: BenchEnvironment) {
  const prisma = env.app.db.prisma;
  const installation = await prisma.installation.create({ data: { id: 4242n, account_login: 'bench' } });
  const product = await prisma.product.create({
    data: { name: 'Bench', repo: 'bench/shop', repo_key: 'bench/shop', base_branch: 'main', installation_id: installation.id },
  });
  const imported = await importBacklog(prisma, product.id, {
    pbis: [
      {
        code: 'PBI-1',
        title: 'A large PBI',
        stories: Array.from({ length: stories }, (_, s) => ({
          code: `ST-${s + 1}`,
          title: `Story ${s + 1} with a title of ordinary length`,
          tasks: Array.from({ length: tasksPerStory }, (_, t) => ({ title: `Task ${t + 1} of story ${s + 1}`, plan_paths: [`src/s${s}/**`] })),
        })),
      },
    ],
  });
  const pbi = imported.pbis[0]!;
  const agent = await createToken(prisma, { user: 'agent' });
  const taskIds = pbi.stories.flatMap((story) => story.tasks.map((task) => task.id));
  await enqueueJobs(prisma, { user: 'agent', task_ids: taskIds });
  // a board as it looks mid-way: most jobs done with usage and summaries, some failed, running, cancelled
  await env.pool.query(
    `UPDATE jobs SET status = (CASE WHEN n % 10 < 6 THEN 'DONE' WHEN n % 10 = 6 THEN 'FAILED' WHEN n % 10 = 7 THEN 'CANCELLED' ELSE 'QUEUED' END)::"JobStatus",
            verify_result = 'ALIGNED', summary = 'Implemented the task as planned; tests added for the new paths.',
            error = CASE WHEN n % 10 = 6 THEN 'tests failed: 3 of 12 (see the CI log)' END,
            model_id = 'claude-bench', input_tokens = 10000 + n, output_tokens = 2000 + n, cache_read_tokens = 50000
       FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM jobs) numbered WHERE numbered.id = jobs.id`,
  );
  for (const [i, story] of pbi.stories.entries()) {
    const pr = await prisma.pullRequest.create({
      data: {
        product_id: product.id,
        story_id: story.id,
        repo: 'bench/shop',
        number: i + 1,
        title: `ST-${i + 1}`,
        html_url: `https://github.com/bench/shop/pull/${i + 1}`,
        head_ref: story.branch,
        head_sha: `${'a'.repeat(39)}${i % 10}`,
        base_ref: 'main',
        state: i % 3 === 0 ? 'MERGED' : 'OPEN',
        merge_method: i % 3 === 0 ? 'SQUASH' : null,
      },
    });
    await prisma.checkRun.create({ data: { story_id: story.id, pull_request_id: pr.id, head_sha: pr.head_sha, github_id: BigInt(1000 + i), status: 'completed', conclusion: 'success' } });
  }
  const failed = await prisma.job.findFirstOrThrow({ where: { pbi_id: pbi.id, status: 'FAILED' } });
  await prisma.cascade.create({
    data: {
      pbi_id: pbi.id,
      failed_job_id: failed.id,
      status: 'DONE',
      finished_at: new Date(),
      reopened_at: new Date(),
      cancelled_job_ids: (await prisma.job.findMany({ where: { pbi_id: pbi.id, status: 'CANCELLED' }, select: { id: true } })).map((j) => j.id),
      steps: { create: pbi.stories.map((story, i) => ({ position: i, branch: story.branch, action: i % 3 === 0 ? 'REVERT_PR' : 'CLOSE_PR', state: 'DONE', pull_number: i + 1 })) },
    },
  });
  return { pbiId: pbi.id, agentToken: agent.token };
}

async function signIn(baseUrl: string, token: string): Promise<string> {
  const form = await fetch(`${baseUrl}/console/login`);
  const loginCookie = form.headers.getSetCookie()[0]!.split(';')[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const signedIn = await fetch(`${baseUrl}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
    body: new URLSearchParams({ _csrf: csrf, token }),
  });
  return signedIn.headers.getSetCookie().find((c) => c.startsWith('scrum4me_session='))!.split(';')[0]!;
}

function startConsoles() {
  const child = fork(fileURLToPath(new URL('./support/sse-consoles.js', import.meta.url)), { stdio: 'inherit' });
  const next = (type: string) =>
    new Promise<{ latenciesMs?: number[] }>((resolve) => {
      const listener = (message: { type: string; latenciesMs?: number[] }) => {
        if (message.type !== type) return;
        child.off('message', listener);
        resolve(message);
      };
      child.on('message', listener);
    });
  return {
    async open(url: string, cookie: string, count: number) {
      const opened = next('opened');
      child.send({ type: 'open', url, cookie, count });
      await opened;
    },
    /** runs `change` and answers how long until every console got a new fragment */
    async reach(change: () => Promise<unknown>): Promise<number[]> {
      const marked = next('marked');
      child.send({ type: 'mark' });
      await marked;
      const arrived = next('arrived');
      await change();
      return (await arrived).latenciesMs!;
    },
    close() {
      child.send({ type: 'close' });
    },
  };
}

export async function benchConsole(): Promise<{ rows: BenchRow[]; failures: string[]; notes: string[] }> {
  const env = await startBenchEnvironment();
  const rows: BenchRow[] = [];
  const failures: string[] = [];
  const notes: string[] = [];
  try {
    const { pbiId, agentToken } = await seedBoard(env);
    console.error('console bench: board seeded');
    const services = env.app.services;
    const viewer = { userName: 'admin', csrf: 'x'.repeat(43) };

    const cookie = await signIn(env.app.url, env.adminToken);
    // warm: the code paths loaded, one board rendered, then a steady baseline
    for (let i = 0; i < 5; i++) await (await fetch(`${env.app.url}/console/pbis/${pbiId}`, { headers: { cookie } })).text();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // 1. 100 consoles on the board's event stream (measured first, before the render loops leave garbage)
    const before = rssMb();
    const heapBefore = process.memoryUsage().heapUsed;
    const clients = startConsoles();
    await clients.open(`${env.app.url}/console/events?board=${pbiId}`, cookie, consoles);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const open = rssMb();
    const added = open - before;
    rows.push({ name: `RSS added by ${consoles} open consoles on the board's stream`, value: added, unit: 'MB', target: '< 30 MB', pass: added < 30 });
    if (added >= 30) failures.push(`${consoles} consoles added ${added.toFixed(1)} MB`);
    const heapAdded = (process.memoryUsage().heapUsed - heapBefore) / (1024 * 1024);
    notes.push(`app process RSS ${before.toFixed(0)} MB before the consoles, ${open.toFixed(0)} MB with them (after a GC each time); V8 heap used +${heapAdded.toFixed(1)} MB`);

    // 2. a change reaching all of them: a job's status through the agent API, a PR's state as a webhook writes it
    const claimed = await fetch(`${env.app.url}/api/v1/jobs/claim`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ wait_seconds: 0 }),
    });
    const jobId = ((await claimed.json()) as { job: { id: string } }).job.id;
    const jobLatencies: number[] = [];
    const prLatencies: number[] = [];
    for (let round = 0; round < liveRounds; round++) {
      jobLatencies.push(
        ...(await clients.reach(() =>
          fetch(`${env.app.url}/api/v1/jobs/${jobId}/status`, {
            method: 'POST',
            headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ status: 'running', input_tokens: 100 * (round + 1) }),
          }).then((r) => r.text()),
        )),
      );
      prLatencies.push(
        ...(await clients.reach(() =>
          env.pool.query(`UPDATE pull_requests SET state = (CASE WHEN state = 'OPEN' THEN 'CLOSED' ELSE 'OPEN' END)::"PullRequestState" WHERE number = 2`),
        )),
      );
    }
    const peak = rssMb();
    clients.close();
    rows.push(
      { name: `job status → all ${consoles} consoles, p50`, value: percentile(jobLatencies, 50), unit: 'ms' },
      { name: `job status → all ${consoles} consoles, max`, value: Math.max(...jobLatencies), unit: 'ms', target: '< 2000 ms', pass: Math.max(...jobLatencies) < 2000 },
      { name: `PR state (row written) → all ${consoles} consoles, p50`, value: percentile(prLatencies, 50), unit: 'ms' },
      { name: `PR state → all ${consoles} consoles, max`, value: Math.max(...prLatencies), unit: 'ms', target: '< 2000 ms', pass: Math.max(...prLatencies) < 2000 },
      { name: `RSS added after ${liveRounds * 2} live changes to ${consoles} consoles`, value: peak - before, unit: 'MB', target: '< 30 MB', pass: peak - before < 30 },
    );
    if (Math.max(...jobLatencies, ...prLatencies) >= 2000) failures.push('a live change took 2 s or more');
    if (peak - before >= 30) failures.push(`consoles with live changes added ${(peak - before).toFixed(1)} MB`);
    // 3. the board rendered in the process: the PBI view, the board's extras, the HTML
    const inProcess: number[] = [];
    let bytes = 0;
    for (let i = 0; i < renderSamples + 20; i++) {
      const started = performance.now();
      const data = await loadBoard(services, pbiId);
      const html = renderDocument(<BoardPage viewer={viewer} data={data} users={['agent']} liveAfter="0" />);
      if (i >= 20) inProcess.push(performance.now() - started);
      bytes = html.length;
    }
    // 4. the same page over HTTP with a session (session resume, stream position and users included)
    const overHttp: number[] = [];
    for (let i = 0; i < renderSamples + 20; i++) {
      const started = performance.now();
      const response = await fetch(`${env.app.url}/console/pbis/${pbiId}`, { headers: { cookie } });
      await response.text();
      if (response.status !== 200) throw new Error(`board answered ${response.status}`);
      if (i >= 20) overHttp.push(performance.now() - started);
    }
    const p95 = percentile(overHttp, 95);
    rows.push(
      { name: `board render in process, ${stories} stories / ${stories * tasksPerStory} jobs, p50`, value: percentile(inProcess, 50), unit: 'ms' },
      { name: 'board render in process, p95', value: percentile(inProcess, 95), unit: 'ms', target: '< 150 ms', pass: percentile(inProcess, 95) < 150 },
      { name: 'board page over HTTP (GET /console/pbis/{id}), p50', value: percentile(overHttp, 50), unit: 'ms' },
      { name: 'board page over HTTP, p95', value: p95, unit: 'ms', target: '< 150 ms', pass: p95 < 150 },
    );
    notes.push(`board page: ${(bytes / 1024).toFixed(0)} KiB of HTML`);
    if (p95 >= 150) failures.push(`board p95 ${p95.toFixed(1)} ms`);

    // 5. the same PBI through the operator API (issue 16: a PBI of 40 stories and 200 jobs under 50 ms p99)
    const apiView: number[] = [];
    let apiBytes = 0;
    for (let i = 0; i < renderSamples + 20; i++) {
      const started = performance.now();
      const response = await fetch(`${env.app.url}/api/v1/admin/pbis/${pbiId}`, { headers: { authorization: `Bearer ${env.adminToken}` } });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`PBI view answered ${response.status}`);
      if (i >= 20) apiView.push(performance.now() - started);
      apiBytes = body.length;
    }
    const apiP99 = percentile(apiView, 99);
    rows.push(
      { name: `PBI view over HTTP (GET /api/v1/admin/pbis/{id}), ${stories} stories / ${stories * tasksPerStory} jobs, p50`, value: percentile(apiView, 50), unit: 'ms' },
      { name: 'PBI view over HTTP, p99', value: apiP99, unit: 'ms', target: '< 50 ms', pass: apiP99 < 50 },
    );
    notes.push(`PBI view: ${(apiBytes / 1024).toFixed(0)} KiB of JSON`);
    if (apiP99 >= 50) failures.push(`PBI view p99 ${apiP99.toFixed(1)} ms`);

    // where the board's time goes (CONSOLE_BENCH_PROFILE=1)
    if (process.env.CONSOLE_BENCH_PROFILE === '1') {
      const { getPbiView } = await import('../src/services/pbis/pbi-view.ts');
      const { getPbiBoardExtras } = await import('../src/services/pbis/board-extras.ts');
      const parts: Record<string, number[]> = { view: [], extras: [], render: [] };
      for (let i = 0; i < 50; i++) {
        let t = performance.now();
        await getPbiView(services.prisma, pbiId);
        parts.view!.push(performance.now() - t);
        t = performance.now();
        await getPbiBoardExtras(services.prisma, pbiId);
        parts.extras!.push(performance.now() - t);
        const data = await loadBoard(services, pbiId);
        t = performance.now();
        renderDocument(<BoardPage viewer={viewer} data={data} users={['agent']} liveAfter="0" />);
        parts.render!.push(performance.now() - t);
      }
      for (const [name, samples] of Object.entries(parts)) console.error(`profile ${name}: p50 ${percentile(samples, 50).toFixed(1)} p95 ${percentile(samples, 95).toFixed(1)} ms`);
    }
  } finally {
    await env.stop();
  }
  return { rows, failures, notes };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { rows, failures, notes } = await benchConsole();
  console.log(renderTable([{ title: 'console', rows }]));
  for (const note of notes) console.log(`- ${note}`);
  if (failures.length > 0) console.log(`MISSED: ${failures.join('; ')}`);
  process.exit(failures.length > 0 ? 1 : 0);
}
