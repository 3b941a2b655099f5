// Webhook throughput: signed pull_request deliveries through the app's real
// HTTP path (Probot's middleware, signature check, the handler, the delivery
// row and the PR upsert in one PostgreSQL transaction), against bare
// @octokit/webhooks verify+dispatch with a no-op handler measured in the same
// run: behind a plain node:http server (same HTTP load), and in process.
// The load generator is this file run as a child process (own event loop),
// sending pre-signed deliveries over keep-alive connections.
// Self-contained: a throwaway embedded PostgreSQL and one app from startApp,
// with no GitHub reachable (nothing leaves the machine).
import { createHmac, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createNodeMiddleware, Webhooks } from '@octokit/webhooks';
import { Probot, Server } from 'probot';
import type { WebhookDefinition } from '@octokit/webhooks-examples';
import { pino } from 'pino';
import { loadConfig } from '../src/config.ts';
import { startEmbeddedPostgres, type DbLogger } from '../src/db/embedded-postgres.ts';
import { applyMigrations, projectRoot } from '../src/db/migrations.ts';
import { createLogger } from '../src/logger.ts';
import { startApp } from '../src/server.ts';
import { importBacklog } from '../src/services/backlog/import-backlog.ts';
import { profiler } from './support/cpu-profile.ts';

export interface WebhookBenchRow {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  target?: string;
  pass?: boolean;
}

const secret = 'bench-webhook-secret';
const webhookPath = '/api/github/webhooks';
const concurrency = 16;
const pullCount = 200;
const storyCount = 50;
const measured = 5000;
const rounds = 3;
const redelivered = 200;
const installationId = 1;
const repo = 'bench/webhooks';

interface Delivery {
  headers: Record<string, string>;
  body: string;
}

interface LoadResult {
  elapsedMs: number;
  latenciesMs: number[];
  statuses: Record<string, number>;
  problems: string[];
  /** this process's CPU over the run (the server side: app, Probot or the bare server) */
  serverCpuMs: number;
}

const quietDb: DbLogger = {
  info() {},
  debug() {},
  warn: (o, m) => console.error('[bench-db] warning:', m, o),
  error: (o, m) => console.error('[bench-db] error:', m, o),
};

export async function benchWebhooks(options: { profileDir?: string | undefined } = {}): Promise<{ rows: WebhookBenchRow[] }> {
  const dataDir = path.join(projectRoot(), '.test-data', `bench-webhooks-${process.pid}`);
  await fs.rm(dataDir, { recursive: true, force: true });
  const cleanups: (() => Promise<unknown>)[] = [() => fs.rm(dataDir, { recursive: true, force: true })];
  try {
    const github = await startUnknowingGitHub();
    cleanups.push(() => new Promise((resolve) => github.server.close(resolve)));
    const database = await startEmbeddedPostgres({ dataDir, log: quietDb, throwaway: true, database: 'bench' });
    cleanups.push(() => database.stop());
    await applyMigrations(database.url, { log: quietDb });
    const config = loadConfig(
      {
        APP_ID: '1',
        PRIVATE_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
        WEBHOOK_SECRET: secret,
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: database.url,
        SCRUM4ME_ADMIN_TOKEN: randomBytes(24).toString('hex'),
        // 'error': every check refresh the stub GitHub refuses would log a warning
        LOG_LEVEL: 'error',
        // story PR changes queue check-run refreshes in the background: their GitHub
        // calls go to a local stub that answers 404 at once (dropped, not retried)
        GHE_HOST: `127.0.0.1:${github.port}`,
        GHE_PROTOCOL: 'http',
      },
      projectRoot(),
    );
    const app = await startApp({ config, log: createLogger(config.logLevel, pino.destination(2)) });
    cleanups.push(() => app.stop());
    const { prisma } = app.db;

    // the world: one product bound to an installation, 50 stories
    await prisma.installation.create({ data: { id: BigInt(installationId), account_login: 'bench' } });
    const product = await prisma.product.create({ data: { name: 'bench', repo, repo_key: repo, base_branch: 'main', installation_id: BigInt(installationId) } });
    const backlog = await importBacklog(prisma, product.id, {
      pbis: [{ title: 'Webhooks', stories: Array.from({ length: storyCount }, (_, i) => ({ code: `W${i + 1}`, title: `story ${i + 1}`, tasks: [{ title: 'task' }] })) }],
    });
    const branches = backlog.pbis[0]!.stories.map((s) => s.branch);

    // Deliveries: every PR opened (warm-up), then synchronize events with a new
    // head each, interleaved across PRs; with 16 in flight the same PR's events
    // also arrive out of order, which the order rule must absorb.
    const template = pullRequestTemplate();
    let second = 0;
    const newest = new Map<number, string>();
    const delivery = (action: 'opened' | 'synchronize', number: number): Delivery => {
      const head = createHmac('sha1', 'bench').update(`${number}:${second}`).digest('hex');
      newest.set(number, head);
      const payload = pullPayload(template, action, number, branches[number % branches.length]!, head, new Date(Date.UTC(2024, 0, 1) + ++second * 1000));
      const body = JSON.stringify(payload);
      return {
        body,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'pull_request',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
        },
      };
    };
    const warmup = Array.from({ length: pullCount }, (_, i) => delivery('opened', i + 1));
    const load = Array.from({ length: measured }, (_, i) => delivery('synchronize', (i % pullCount) + 1));

    const client = startLoadProcess({ warmup, load });
    cleanups.push(() => client.stop());
    const appUrl = `${app.url}${webhookPath}`;

    // baseline 1: bare @octokit/webhooks behind node:http (verify + dispatch to a no-op)
    const bare = new Webhooks({ secret });
    bare.on('pull_request', () => {});
    const bareServer = http.createServer(createNodeMiddleware(bare, { path: webhookPath }));
    await new Promise<void>((resolve) => bareServer.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => bareServer.close(resolve)));
    const bareUrl = `http://127.0.0.1:${(bareServer.address() as { port: number }).port}${webhookPath}`;
    // baseline 2: Probot's own server and middleware, as the app runs it, with a no-op
    // handler: what a delivery costs with Probot in the path and no work at all
    const probot = await startNoOpProbot(config);
    cleanups.push(() => probot.stop());
    const probotUrl = `${probot.url}${webhookPath}`;

    expectAllOk('app warm-up', await client.run(appUrl, 'warmup'));
    expectAllOk('bare warm-up', await client.run(bareUrl, 'warmup'));
    expectAllOk('Probot no-op warm-up', await client.run(probotUrl, 'warmup'));

    // Rounds: app, bare and Probot no-op take turns (order rotating), so that load
    // from outside the bench (a shared machine) falls on all three alike.
    const runs: Record<Side, LoadResult[]> = { app: [], bare: [], probot: [] };
    let githubCallsDuringApp = 0;
    const perRound = Math.ceil(load.length / rounds);
    for (let round = 0; round < rounds; round++) {
      const slice = [round * perRound, Math.min(load.length, (round + 1) * perRound)] as const;
      const order: Side[] = (['app', 'bare', 'probot'] as Side[]).map((_, i, all) => all[(i + round) % all.length]!);
      for (const side of order) {
        const url = side === 'app' ? appUrl : side === 'bare' ? bareUrl : probotUrl;
        if (options.profileDir) await profiler.start();
        const callsBefore = github.calls();
        const result = await client.run(url, 'load', ...slice);
        if (side === 'app') githubCallsDuringApp += github.calls() - callsBefore;
        if (options.profileDir) await profiler.stop(path.join(options.profileDir, `webhooks-${side}-round${round}.cpuprofile`));
        expectAllOk(`${side} round ${round}`, result);
        runs[side].push(result);
      }
    }
    const again = await client.run(appUrl, 'load', 0, redelivered);
    expectAllOk('app redelivery', again);

    // correctness: each delivery recorded once, every PR on its newest head
    const recorded = await prisma.webhookDelivery.count();
    const records = await prisma.pullRequest.findMany({ where: { product_id: product.id }, select: { number: true, head_sha: true } });
    const onNewest = records.filter((r) => newest.get(r.number) === r.head_sha).length;

    // baseline 3: bare verify+dispatch in process, no HTTP
    const inProcess = await verifyAndDispatchInProcess(bare, load);

    const ours = combine(runs.app);
    const bareHttp = combine(runs.bare);
    const probotHttp = combine(runs.probot);
    const rate = (r: { elapsedMs: number; latenciesMs: number[] }) => (r.latenciesMs.length * 1000) / r.elapsedMs;
    const appRate = rate(ours);
    const bareRate = rate(bareHttp);
    const probotRate = rate(probotHttp);
    const cpuPer = (r: LoadResult) => (r.serverCpuMs * 1000) / r.latenciesMs.length;
    return {
      rows: [
        { name: `signed pull_request deliveries through the app (HTTP, Probot, DB write), ${concurrency} concurrent, vs bare @octokit/webhooks`, value: appRate, unit: 'deliveries/s', baseline: bareRate, ratio: appRate / bareRate, target: '≥ 40 % of baseline', pass: appRate / bareRate >= 0.4 },
        { name: 'the same vs Probot with a no-op handler (the ceiling with Probot in the path)', value: appRate, unit: 'deliveries/s', baseline: probotRate, ratio: appRate / probotRate },
        { name: 'Probot with a no-op handler vs bare @octokit/webhooks', value: probotRate, unit: 'deliveries/s', baseline: bareRate, ratio: probotRate / bareRate },
        { name: 'app delivery latency p50', value: percentile(ours.latenciesMs, 50), unit: 'ms', baseline: percentile(bareHttp.latenciesMs, 50) },
        { name: 'app delivery latency p99', value: percentile(ours.latenciesMs, 99), unit: 'ms', baseline: percentile(bareHttp.latenciesMs, 99) },
        { name: 'this process CPU per delivery: app / Probot no-op / bare', value: cpuPer(ours), unit: 'µs', baseline: cpuPer(bareHttp), target: `Probot no-op ${cpuPer(probotHttp).toFixed(0)} µs` },
        { name: "check refreshes' GitHub calls during the app's rounds (background work the deliveries queued)", value: githubCallsDuringApp, unit: 'calls' },
        { name: 'bare @octokit/webhooks verify+dispatch, in process (no HTTP)', value: rate(inProcess), unit: 'deliveries/s' },
        {
          name: `deliveries recorded once (${redelivered} redelivered)`,
          value: recorded,
          unit: 'rows',
          target: `= ${warmup.length + load.length}`,
          pass: recorded === warmup.length + load.length,
        },
        { name: 'PRs on their newest head after out-of-order delivery', value: onNewest, unit: 'PRs', target: `= ${pullCount}`, pass: onNewest === pullCount },
      ],
    };
  } finally {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((err: unknown) => console.error('webhook bench cleanup:', err));
  }
}

type Side = 'app' | 'bare' | 'probot';

function combine(results: LoadResult[]): LoadResult {
  return {
    elapsedMs: results.reduce((sum, r) => sum + r.elapsedMs, 0),
    latenciesMs: results.flatMap((r) => r.latenciesMs),
    statuses: {},
    problems: [],
    serverCpuMs: results.reduce((sum, r) => sum + r.serverCpuMs, 0),
  };
}

/** Probot's Server with the app's options (no database, no routes) and a no-op pull_request handler. */
async function startNoOpProbot(config: ReturnType<typeof loadConfig>): Promise<{ url: string; stop(): Promise<void> }> {
  const log = createLogger('error', pino.destination(2));
  const server = new Server({
    Probot: Probot.defaults({ appId: config.github.appId, privateKey: config.github.privateKey, secret: config.github.webhookSecret, baseUrl: config.github.baseUrl, log }),
    host: '127.0.0.1',
    port: 0,
    log,
    enableStaticFiles: false,
  });
  await server.load((app) => {
    app.on('pull_request', async () => {});
  });
  const listening = await server.start();
  return { url: `http://127.0.0.1:${(listening.address() as { port: number }).port}`, stop: () => server.stop() };
}

/** A GitHub that knows nothing: 404 to every call, so background work ends at once. */
async function startUnknowingGitHub(): Promise<{ server: http.Server; port: number; calls(): number }> {
  let calls = 0;
  const server = http.createServer((req, res) => {
    calls++;
    req.resume();
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, calls: () => calls };
}

function expectAllOk(what: string, result: LoadResult): void {
  const ok = result.statuses['200'] ?? 0;
  if (ok !== result.latenciesMs.length || result.problems.length > 0) {
    throw new Error(`webhook bench (${what}): ${JSON.stringify(result.statuses)} ${result.problems.join('; ')}`);
  }
}

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? Number.NaN;
}

/** The pull_request.opened example that carries an installation. */
function pullRequestTemplate(): Record<string, unknown> {
  const definitions = createRequire(import.meta.url)('@octokit/webhooks-examples/api.github.com/index.json') as WebhookDefinition[];
  const pull = definitions.find((d) => d.name === 'pull_request')!;
  const example = pull.examples.find((e) => (e as { action?: string }).action === 'opened' && 'installation' in e && e.installation);
  return structuredClone(example) as Record<string, unknown>;
}

type Json = Record<string, unknown>;

function pullPayload(template: Json, action: string, number: number, branch: string, head: string, updatedAt: Date): Json {
  const payload = structuredClone(template);
  const repository = { ...(payload.repository as Json), full_name: repo, name: 'webhooks', id: 4242 };
  const pull = payload.pull_request as Json;
  payload.action = action;
  payload.number = number;
  payload.repository = repository;
  payload.installation = { ...(payload.installation as Json), id: installationId };
  Object.assign(pull, {
    number,
    id: 10_000 + number,
    html_url: `https://github.com/${repo}/pull/${number}`,
    updated_at: updatedAt.toISOString(),
    head: { ...(pull.head as Json), ref: branch, sha: head, repo: repository },
    base: { ...(pull.base as Json), ref: 'main', repo: repository },
  });
  return payload;
}

async function verifyAndDispatchInProcess(webhooks: Webhooks, deliveries: Delivery[]) {
  const latenciesMs: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < deliveries.length) {
        const { headers, body } = deliveries[next++]!;
        const t = performance.now();
        await webhooks.verifyAndReceive({
          id: headers['x-github-delivery']!,
          name: 'pull_request',
          payload: body,
          signature: headers['x-hub-signature-256']!,
        });
        latenciesMs.push(performance.now() - t);
      }
    }),
  );
  return { elapsedMs: performance.now() - started, latenciesMs };
}

// ---- the load generator: this file in a child process ----

const childFlag = 'SCRUM4ME_WEBHOOK_BENCH_LOAD';

/** The load generator, given every delivery once up front (so no round carries the IPC of its payloads). */
function startLoadProcess(sets: Record<string, Delivery[]>) {
  const self = fileURLToPath(import.meta.url);
  const child = fork(self, [], {
    env: { ...process.env, [childFlag]: '1' },
    execArgv: self.endsWith('.ts') ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.send({ sets });
  let queue: Promise<unknown> = Promise.resolve();
  const runOne = (url: string, set: string, from: number, to: number) =>
    new Promise<LoadResult>((resolve, reject) => {
      const cpuBefore = process.cpuUsage();
      const onMessage = (message: Omit<LoadResult, 'serverCpuMs'> | { error: string }) => {
        child.off('exit', onExit);
        const cpu = process.cpuUsage(cpuBefore);
        if ('error' in message) reject(new Error(message.error));
        else resolve({ ...message, serverCpuMs: (cpu.user + cpu.system) / 1000 });
      };
      const onExit = (code: number | null) => {
        child.off('message', onMessage);
        reject(new Error(`webhook load generator exited (${code})`));
      };
      child.once('message', onMessage);
      child.once('exit', onExit);
      child.send({ url, set, from, to });
    });
  return {
    /** the deliveries of `set` from `from` (inclusive) to `to` (exclusive; default: all) */
    run(url: string, set: string, from = 0, to = sets[set]!.length): Promise<LoadResult> {
      const result = queue.then(() => runOne(url, set, from, to));
      queue = result.catch(() => {});
      return result;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

async function sendAll(url: string, deliveries: Delivery[]): Promise<Omit<LoadResult, 'serverCpuMs'>> {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latenciesMs: number[] = [];
  const statuses: Record<string, number> = {};
  const problems: string[] = [];
  let next = 0;
  const post = ({ headers, body }: Delivery) =>
    new Promise<number>((resolve, reject) => {
      const request = http.request(
        { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < deliveries.length) {
        const delivery = deliveries[next++]!;
        const t = performance.now();
        try {
          const status = await post(delivery);
          latenciesMs.push(performance.now() - t);
          statuses[status] = (statuses[status] ?? 0) + 1;
        } catch (error) {
          statuses.error = (statuses.error ?? 0) + 1;
          if (problems.length < 5) problems.push((error as Error).message);
        }
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { elapsedMs, latenciesMs, statuses, problems };
}

if (process.env[childFlag] === '1' && process.send) {
  let sets: Record<string, Delivery[]> = {};
  process.on('message', (task: { sets: Record<string, Delivery[]> } | { url: string; set: string; from: number; to: number }) => {
    if ('sets' in task) {
      sets = task.sets;
      return;
    }
    sendAll(task.url, sets[task.set]!.slice(task.from, task.to)).then(
      (result) => process.send?.(result),
      (error: unknown) => process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
