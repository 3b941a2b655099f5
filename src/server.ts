// Starts one app instance: database (embedded or DATABASE_URL), migrations,
// the bootstrap admin token, Probot's server with our API, and background
// work. Used by src/main.ts and by tests that drive a running app.
import net from 'node:net';
import { Probot, ProbotOctokit, Server } from 'probot';
import { withRequestTimeout } from './services/github/request-timeout.ts';
import type { Config } from './config.ts';
import { connectDatabase, createPool, type Database } from './db/client.ts';
import { startEmbeddedPostgres } from './db/embedded-postgres.ts';
import { chooseDataDir } from './db/data-dir.ts';
import { applyMigrations, migrationStatus } from './db/migrations.ts';
import { scrum4meApp, type RunningApp } from './index.ts';
import type { Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { ensureBootstrapAdminToken } from './services/auth/tokens.ts';
import { startClaimWaiter } from './services/jobs/claim-waiter.ts';
import { startTokenCache } from './services/auth/token-cache.ts';
import { startEventHub } from './services/events/event-hub.ts';
import { startBackgroundWorker, type BackgroundWorker } from './services/background/worker.ts';
import { defaultHeartbeatMs } from './services/background/liveness.ts';
import { backgroundTasks } from './services/background/tasks.ts';
import { backgroundSchedule } from './services/background/schedule.ts';
import { mergeMethodTask } from './services/pull-requests/queue-merge-method.ts';
import { syncPricesFromFile } from './services/prices/prices.ts';

export interface StartOptions {
  config: Config;
  log: Logger;
  /** Probot's Octokit class; tests pass one with retries and throttling off */
  Octokit?: typeof ProbotOctokit;
}

export interface AppInstance extends RunningApp {
  url: string;
  worker: BackgroundWorker;
  port: number;
  db: Database;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * The database the app runs on: DATABASE_URL, or the embedded PostgreSQL in
 * the data folder; pending migrations applied. One log line says which.
 */
export async function prepareDatabase(config: Config, log: Logger): Promise<{ url: string; stop(): Promise<void> }> {
  if (config.databaseUrl) {
    log.info({ database: redactUrl(config.databaseUrl) }, 'database: using DATABASE_URL');
    await migrate(config.databaseUrl, log);
    return { url: config.databaseUrl, stop: async () => {} };
  }
  const { dataDir, movedFrom, closedAt } = await chooseDataDir({ dataDir: config.dataDir, configured: config.dataDirConfigured });
  const embedded = await startEmbeddedPostgres({ dataDir, log });
  if (movedFrom) {
    log.info({ dataDir, defaultDataDir: movedFrom }, `database: embedded PostgreSQL in ${dataDir} (no DATABASE_URL set; not in ${movedFrom}: user postgres cannot enter ${closedAt})`);
  } else {
    log.info({ dataDir }, `database: embedded PostgreSQL in ${dataDir} (no DATABASE_URL set)`);
  }
  try {
    await migrate(embedded.url, log);
  } catch (error) {
    await embedded.stop();
    throw error;
  }
  return { url: embedded.url, stop: () => embedded.stop() };
}

async function migrate(url: string, log: Logger): Promise<void> {
  const { applied } = await applyMigrations(url, { log });
  if (applied.length > 0) log.info({ applied }, 'migrations applied');
}

export async function startApp({ config, log, Octokit }: StartOptions): Promise<AppInstance> {
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => log.warn({ err }, 'shutdown step failed'));
    cleanups.length = 0;
  };
  try {
    const database = await prepareDatabase(config, log);
    cleanups.push(() => database.stop());
    const databaseUrl = database.url;

    const db = connectDatabase(databaseUrl);
    cleanups.push(() => db.close());
    if (config.adminToken) {
      const bootstrap = await ensureBootstrapAdminToken(db.prisma, config.adminToken);
      if (bootstrap.state === 'revoked') {
        log.warn({ tokenId: bootstrap.tokenId }, 'the configured SCRUM4ME_ADMIN_TOKEN is revoked and stays revoked: set a new value to bootstrap a new admin token');
      }
    }
    if (config.pricesFile) await syncPricesFromFile(db.prisma, db.pool, config.pricesFile, log);
    const claimWaiter = await startClaimWaiter(databaseUrl, log);
    const eventHub = await startEventHub(databaseUrl, db.prisma, log);
    const tokenCache = await startTokenCache(databaseUrl, log);

    const metrics = createMetrics({
      queueDepth: async () => db.prisma.job.count({ where: { status: 'QUEUED' } }),
    });
    const readiness = async () => {
      try {
        const status = await migrationStatus(db.pool);
        const problems = [
          ...(status.pending.length > 0 ? [`pending migrations: ${status.pending.join(', ')}`] : []),
          ...(status.failed.length > 0 ? [`failed migrations: ${status.failed.join(', ')}`] : []),
        ];
        return { ready: problems.length === 0, problems };
      } catch {
        return { ready: false, problems: ['database unreachable'] };
      }
    };

    const port = config.port === 0 ? await freePort() : config.port;
    const server = new Server({
      Probot: Probot.defaults({
        appId: config.github.appId,
        privateKey: config.github.privateKey,
        secret: config.github.webhookSecret,
        baseUrl: config.github.baseUrl,
        log,
        Octokit: withRequestTimeout(Octokit ?? ProbotOctokit, config.github.requestTimeoutMs),
      }),
      host: config.host,
      port,
      log,
      enableStaticFiles: false,
    });
    let running: RunningApp | undefined;
    await server.load(
      scrum4meApp({ config, db, log, metrics, readiness, claimWaiter, eventHub, tokenCache }, (app) => {
        running = app;
      }),
    );
    const services = running!.services;
    cleanups.push(() => running!.stop());
    // every piece of background work, periodic ones included, is a graphile-worker job (SPEC §6)
    // merge-method lookups in a lane of their own: a cascade or check runs waiting on GitHub never delay them
    // graphile-worker's bookkeeping on a pool of its own without lock_timeout (src/db/client.ts);
    // the tasks' own statements go through the app's pool and its bound
    const workerPool = createPool(databaseUrl, { max: 8, lockTimeoutMs: 0 });
    cleanups.push(() => workerPool.end().catch(() => {}));
    const worker = await startBackgroundWorker({
      pool: workerPool,
      log,
      metrics,
      taskList: backgroundTasks(services),
      schedule: backgroundSchedule(),
      lanes: [{ tasks: [mergeMethodTask], concurrency: 2 }],
      // beats often enough that a live worker misses about six before it counts as dead
      liveness: { deadAfterSeconds: config.workerDeadAfterSeconds, heartbeatMs: Math.min(defaultHeartbeatMs, Math.floor((config.workerDeadAfterSeconds * 1000) / 6)) },
    });
    cleanups.push(() => worker.stop());
    await server.start();
    // Stopped in reverse: first wake long-polling claimers (they answer 204),
    // then stop taking requests, then finish background work, then the database.
    cleanups.push(() => server.stop());
    cleanups.push(() => eventHub.stop());
    cleanups.push(() => claimWaiter.stop());
    cleanups.push(() => tokenCache.stop());
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    return {
      ...running!,
      worker,
      url: `http://${host}:${server.port}`,
      port: server.port,
      db,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}
