// The cascade bench's world: the git-backed fake GitHub (test/support/fake-github),
// a throwaway embedded PostgreSQL, and the app started with startApp and pointed
// at the fake through GHE_HOST / GHE_PROTOCOL=http (as test/cascade/support.ts does).
// Every pull_request webhook the fake emits is delivered, signed, to the app's
// webhook endpoint, as GitHub would. The app can be restarted on the same
// database with another Octokit class (set up without Probot's write pacing,
// measure with the production one).
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { ProbotOctokit } from 'probot';
import { loadConfig } from '../../src/config.ts';
import { startEmbeddedPostgres, type DbLogger } from '../../src/db/embedded-postgres.ts';
import { applyMigrations, projectRoot } from '../../src/db/migrations.ts';
import { createLogger } from '../../src/logger.ts';
import { startApp, type AppInstance } from '../../src/server.ts';
import { startFakeGitHub, type FakeGitHub, type FakeWebhookEvent } from '../../test/support/fake-github/index.ts';
import { sqlStatsSettings } from './sql-stats.ts';

const webhookSecret = 'bench-cascade-webhook-secret';

/** Probot's Octokit as the app ships it: retries, and plugin-throttling's write pacing (1 s per write, 3 s per notifying write). */
export const productionOctokit = ProbotOctokit;
/** The same without plugin-throttling (retries kept): for setting up the world fast, and for the latency-bound measurement. */
export const unpacedOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  throttle: { ...(options.throttle as object), enabled: false },
}));

export interface ApiAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the bench reads API answers loosely
  body: any;
}

export interface CascadeBenchEnv {
  fake: FakeGitHub;
  app: AppInstance;
  databaseUrl: string;
  /** the harness's pool (seeding reads, polling, verification) */
  pool: pg.Pool;
  adminToken: string;
  call(method: string, route: string, options?: { token?: string; body?: unknown }): Promise<ApiAnswer>;
  /** Stops the app and starts another on the same database, with `Octokit`. */
  restartApp(Octokit: typeof ProbotOctokit): Promise<void>;
  /** Waits until every forwarded webhook was answered. */
  webhooksDelivered(): Promise<void>;
  /** Waits until graphile-worker has nothing queued or running and the fake has had no call for `quietMs`. */
  settle(what: string, options?: { timeoutMs?: number; quietMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

const quietDb: DbLogger = {
  info() {},
  debug() {},
  warn: (o, m) => console.error('[bench-cascade-db] warning:', m, o),
  error: (o, m) => console.error('[bench-cascade-db] error:', m, o),
};

export async function startCascadeBenchEnv(name: string, options: { Octokit: typeof ProbotOctokit }): Promise<CascadeBenchEnv> {
  const dataDir = path.join(projectRoot(), '.test-data', `bench-cascade-${name}-${process.pid}`);
  await fs.rm(dataDir, { recursive: true, force: true });
  const cleanups: (() => Promise<unknown>)[] = [() => fs.rm(dataDir, { recursive: true, force: true })];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((err: unknown) => console.error('cascade bench cleanup:', err));
  };
  try {
    const fake = await startFakeGitHub();
    cleanups.push(() => fake.close());
    // pg_stat_statements: the cancellation's database time is read from it
    const database = await startEmbeddedPostgres({ dataDir, log: quietDb, throwaway: true, database: 'bench', settings: sqlStatsSettings });
    cleanups.push(() => database.stop());
    await applyMigrations(database.url, { log: quietDb });
    const adminToken = randomBytes(24).toString('hex');
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const config = loadConfig(
      {
        APP_ID: '1',
        PRIVATE_KEY: privateKey,
        WEBHOOK_SECRET: webhookSecret,
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: database.url,
        SCRUM4ME_ADMIN_TOKEN: adminToken,
        LOG_LEVEL: 'warn',
        GHE_HOST: fake.host,
        GHE_PROTOCOL: 'http',
      },
      projectRoot(),
    );
    const log = createLogger(config.logLevel, pino.destination(2));
    let app = await startApp({ config, log, Octokit: options.Octokit });
    let stopApp: (() => Promise<void>) | null = () => app.stop();
    cleanups.push(async () => stopApp?.());

    const pool = new pg.Pool({ connectionString: database.url, max: 4 });
    pool.on('error', () => {});
    cleanups.push(() => pool.end());

    // the fake's webhooks, delivered signed to whichever app runs now
    let pending: Promise<void>[] = [];
    const deliveryProblems: string[] = [];
    const unsubscribe = fake.onEvent((event: FakeWebhookEvent) => {
      pending.push(
        deliver(app.url, event).then(
          (status) => {
            if (status !== 200) deliveryProblems.push(`${event.payload.action} → ${status}`);
          },
          (error: unknown) => {
            deliveryProblems.push(`${event.payload.action}: ${String(error)} (${String((error as { cause?: unknown }).cause)})`);
          },
        ),
      );
    });
    cleanups.push(async () => unsubscribe());

    const call: CascadeBenchEnv['call'] = async (method, route, { token = adminToken, body } = {}) => {
      const answer = await request(`${app.url}${route}`, method, {
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      let parsed: unknown = answer.text;
      try {
        parsed = answer.text ? JSON.parse(answer.text) : undefined;
      } catch {
        // not JSON
      }
      return { status: answer.status, body: parsed };
    };

    const webhooksDelivered = async () => {
      while (pending.length > 0) {
        const batch = pending;
        pending = [];
        await Promise.all(batch);
      }
      if (deliveryProblems.length > 0) throw new Error(`webhook deliveries failed: ${deliveryProblems.slice(0, 5).join('; ')}`);
    };

    const settle: CascadeBenchEnv['settle'] = async (what, { timeoutMs = 60_000, quietMs = 400 } = {}) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await webhooksDelivered();
        const { rows } = await pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM graphile_worker._private_jobs WHERE attempts < max_attempts AND run_at <= now()',
        );
        const lastCall = fake.calls.at(-1);
        const lastActivity = lastCall ? Math.max(lastCall.startedAt, lastCall.finishedAt) : 0;
        const unanswered = fake.calls.some((c) => c.finishedAt === 0);
        if (rows[0]!.n === 0 && !unanswered && Date.now() - lastActivity >= quietMs) return;
        if (Date.now() > deadline) throw new Error(`cascade bench: timed out waiting for ${what} (${rows[0]!.n} background job(s) left)`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    return {
      fake,
      get app() {
        return app;
      },
      databaseUrl: database.url,
      pool,
      adminToken,
      call,
      async restartApp(Octokit) {
        await webhooksDelivered();
        await app.stop();
        stopApp = null;
        app = await startApp({ config, log, Octokit });
        stopApp = () => app.stop();
      },
      webhooksDelivered,
      settle,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function deliver(appUrl: string, event: FakeWebhookEvent): Promise<number> {
  const body = JSON.stringify(event.payload);
  const answer = await request(`${appUrl}/api/github/webhooks`, 'POST', {
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/bench',
      'x-github-event': event.name,
      'x-github-delivery': event.id,
      'x-hub-signature-256': `sha256=${createHmac('sha256', webhookSecret).update(body).digest('hex')}`,
    },
    body,
  });
  return answer.status;
}

/**
 * One HTTP request on a connection of its own (as GitHub delivers webhooks): a
 * keep-alive client may reuse a socket in the moment the server closes it as idle,
 * which fails the request for reasons that are no part of what is measured.
 */
function request(url: string, method: string, options: { headers: Record<string, string>; body?: string }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      url,
      {
        method,
        agent: false,
        headers: { ...options.headers, ...(options.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(options.body)) }) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}
