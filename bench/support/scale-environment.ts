// The scale bench's world: a throwaway embedded PostgreSQL with the app's
// migrations, a stub GitHub, the app in its own process (./app-process.ts) and
// the harness's own Prisma client and pool for seeding and checks.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { connectDatabase, type Database } from '../../src/db/client.ts';
import { startEmbeddedPostgres, type DbLogger } from '../../src/db/embedded-postgres.ts';
import { applyMigrations, projectRoot } from '../../src/db/migrations.ts';
import { startAppProcess, type AppProcess } from './app-process.ts';
import { startStubGitHub, type StubGitHub } from './stub-github.ts';

export interface ScaleEnvironment {
  databaseUrl: string;
  app: AppProcess;
  adminToken: string;
  /** the harness's Prisma client and pool (never the app's) */
  db: Database;
  github: StubGitHub;
  stop(): Promise<void>;
}

const quietDb: DbLogger = {
  info() {},
  debug() {},
  warn: (o, m) => console.error('[bench-scale-db] warning:', m, o),
  error: (o, m) => console.error('[bench-scale-db] error:', m, o),
};

export async function startScaleEnvironment(options: { appExecArgv?: string[] } = {}): Promise<ScaleEnvironment> {
  const dataDir = path.join(projectRoot(), '.test-data', `bench-scale-${process.pid}`);
  await fs.rm(dataDir, { recursive: true, force: true });
  const cleanups: (() => Promise<unknown>)[] = [() => fs.rm(dataDir, { recursive: true, force: true })];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((err: unknown) => console.error('scale bench cleanup:', err));
  };
  try {
    const github = await startStubGitHub();
    cleanups.push(() => github.stop());
    const server = await startEmbeddedPostgres({ dataDir, log: quietDb, throwaway: true, database: 'bench' });
    cleanups.push(() => server.stop());
    await applyMigrations(server.url, { log: quietDb });
    const db = connectDatabase(server.url, { max: 4 });
    cleanups.push(() => db.close());
    const adminToken = randomBytes(24).toString('hex');
    const app = await startAppProcess({
      databaseUrl: server.url,
      adminToken,
      githubHost: github.host,
      unpaced: true,
      // the claims of a run stay CLAIMED: no stale-claim sweep requeues them mid-measurement
      claimTimeoutSeconds: 7 * 24 * 3600,
      ...(options.appExecArgv ? { execArgv: options.appExecArgv } : {}),
    });
    cleanups.push(() => app.stop());
    return { databaseUrl: server.url, app, adminToken, db, github, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
