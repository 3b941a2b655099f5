// The bench's world: a throwaway embedded PostgreSQL, the migrated database and
// one app started with startApp (as src/main.ts does), plus the harness's own
// pg pool for seeding and verification. Baselines bring their own connections.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import type { ProbotOctokit } from 'probot';
import { loadConfig } from '../../src/config.ts';
import { startEmbeddedPostgres, type DbLogger } from '../../src/db/embedded-postgres.ts';
import { applyMigrations, projectRoot } from '../../src/db/migrations.ts';
import { createLogger } from '../../src/logger.ts';
import { startApp, type AppInstance } from '../../src/server.ts';
import { enableSqlStats, sqlStatsSettings, type SqlStats } from './sql-stats.ts';

export interface BenchEnvironment {
  databaseUrl: string;
  app: AppInstance;
  adminToken: string;
  /** the harness's pool: seeding, VACUUM, verification (never used while measuring) */
  pool: pg.Pool;
  postgresVersion: string;
  /** with --sql-stats only */
  sqlStats?: SqlStats;
  stop(): Promise<void>;
}

const quietDb: DbLogger = {
  info() {},
  debug() {},
  warn: (o, m) => console.error('[bench-db] warning:', m, o),
  error: (o, m) => console.error('[bench-db] error:', m, o),
};

export interface BenchEnvironmentOptions {
  logLevel?: 'silent' | 'warn';
  sqlStats?: boolean;
  /** host:port of a stub GitHub (GHE_HOST, over http); without it GitHub is unreachable */
  githubHost?: string;
  /** Probot's Octokit class for the app (e.g. without write pacing) */
  Octokit?: typeof ProbotOctokit;
  /** more PostgreSQL settings of the throwaway cluster */
  postgresSettings?: Record<string, string>;
  /** a name for the data folder, when one process runs several environments */
  tag?: string;
  /** SCRUM4ME_CLAIM_TIMEOUT_SECONDS (the stale-claim sweep's timeout) */
  claimTimeoutSeconds?: number;
}

export async function startBenchEnvironment(options: BenchEnvironmentOptions = {}): Promise<BenchEnvironment> {
  const dataDir = path.join(projectRoot(), '.test-data', `bench-${options.tag ? `${options.tag}-` : ''}${process.pid}`);
  await fs.rm(dataDir, { recursive: true, force: true });
  const cleanups: (() => Promise<unknown>)[] = [() => fs.rm(dataDir, { recursive: true, force: true })];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((err: unknown) => console.error('bench cleanup:', err));
  };
  try {
    const server = await startEmbeddedPostgres({
      dataDir,
      log: quietDb,
      throwaway: true,
      database: 'bench',
      ...(options.sqlStats || options.postgresSettings ? { settings: { ...(options.sqlStats ? sqlStatsSettings : {}), ...options.postgresSettings } } : {}),
    });
    cleanups.push(() => server.stop());
    await applyMigrations(server.url, { log: quietDb });

    const adminToken = randomBytes(24).toString('hex');
    const config = loadConfig(
      {
        APP_ID: '1',
        PRIVATE_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
        WEBHOOK_SECRET: 'bench-webhook-secret',
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: server.url,
        SCRUM4ME_ADMIN_TOKEN: adminToken,
        LOG_LEVEL: options.logLevel ?? 'warn',
        ...(options.claimTimeoutSeconds ? { SCRUM4ME_CLAIM_TIMEOUT_SECONDS: String(options.claimTimeoutSeconds) } : {}),
        ...(options.githubHost ? { GHE_HOST: options.githubHost, GHE_PROTOCOL: 'http' } : {}),
      },
      projectRoot(),
    );
    // stderr, so the table on stdout stays clean
    const app = await startApp({ config, log: createLogger(config.logLevel, pino.destination(2)), ...(options.Octokit ? { Octokit: options.Octokit } : {}) });
    cleanups.push(() => app.stop());

    const pool = new pg.Pool({ connectionString: server.url, max: 4 });
    pool.on('error', () => {});
    cleanups.push(() => pool.end());
    const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
    const sqlStats = options.sqlStats ? await enableSqlStats(pool) : undefined;
    return { databaseUrl: server.url, app, adminToken, pool, postgresVersion: rows[0]!.server_version, stop, ...(sqlStats ? { sqlStats } : {}) };
  } catch (error) {
    await stop();
    throw error;
  }
}
