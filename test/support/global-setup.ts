// Vitest global setup: ONE PostgreSQL for the whole run (embedded, in a fresh folder
// under the system temp folder, or TEST_DATABASE_URL's server), with a migrated
// template database that every test file clones (see ./database.ts). Not under
// the project: as root, PostgreSQL runs as user postgres, and a project in /root
// or in a 0700 folder is closed to it.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { throwawayClusterRoot } from '../../src/db/data-dir.ts';
import { startEmbeddedPostgres, stopStalePostmaster, type DbLogger } from '../../src/db/embedded-postgres.ts';
import { applyMigrations } from '../../src/db/migrations.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser (or CREATEDB) URL of the test server's maintenance database. */
    testDatabaseAdminUrl: string;
    /** The migrated template database that test databases are cloned from. */
    testDatabaseTemplate: string;
    /** Prefix of the databases this run creates; teardown drops any left behind. */
    testDatabasePrefix: string;
  }
}

const quiet: DbLogger = { info() {}, warn() {}, error() {}, debug() {} };
const verbose = process.env.TEST_DB_LOG === '1';
const log: DbLogger = verbose
  ? {
      info: (o, m) => console.error('[test-db]', m, o),
      warn: (o, m) => console.error('[test-db] warning:', m, o),
      error: (o, m) => console.error('[test-db] error:', m, o),
      debug: () => {},
    }
  : { ...quiet, warn: (o, m) => console.error('[test-db] warning:', m, o), error: (o, m) => console.error('[test-db] error:', m, o) };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const prefix = `test_${runId}_`;
  const template = `tmpl_${runId}`;
  const timings: Record<string, number> = {};
  let mark = Date.now();
  const lap = (name: string) => {
    timings[name] = Date.now() - mark;
    mark = Date.now();
  };

  let adminUrl = process.env.TEST_DATABASE_URL;
  let stopServer = async () => {};
  let runDir: string | undefined;
  if (!adminUrl) {
    // shared by every checkout of this user: a run folder is named by its vitest pid
    const testDataDir = await throwawayClusterRoot();
    await removeAbandonedRuns(testDataDir);
    runDir = path.join(testDataDir, `run-${process.pid}`);
    await fs.rm(runDir, { recursive: true, force: true });
    const server = await startEmbeddedPostgres({
      dataDir: runDir,
      log,
      database: 'postgres',
      throwaway: true,
      // as root in a project that user postgres cannot reach: one copy of the binaries for every run
      binariesCopyDir: testDataDir,
      // Every test file holds a pool or two on its own database.
      settings: { max_connections: '300' },
    });
    lap('startPostgres');
    adminUrl = server.adminUrl;
    stopServer = () => server.stop();
  }

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${template}`);
    const templateUrl = withDatabase(adminUrl, template);
    await applyMigrations(templateUrl, { log: quiet });
    lap('migrateTemplate');
    // No connection may touch the template while it is cloned.
    await admin.query(`ALTER DATABASE ${template} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
  } finally {
    await admin.end();
  }
  if (verbose) console.error('[test-db] setup ms', timings);

  project.provide('testDatabaseAdminUrl', adminUrl);
  project.provide('testDatabaseTemplate', template);
  project.provide('testDatabasePrefix', prefix);

  return async function teardown() {
    const client = new pg.Client({ connectionString: adminUrl });
    try {
      await client.connect();
      const left = await client.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2`,
        [`${prefix}%`, template],
      );
      for (const { datname } of left.rows) {
        if (datname === template) await client.query(`ALTER DATABASE ${template} WITH IS_TEMPLATE false`);
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(datname)} WITH (FORCE)`);
      }
    } finally {
      await client.end().catch(() => {});
      await stopServer();
      if (runDir) await fs.rm(runDir, { recursive: true, force: true });
    }
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Folders of runs whose vitest process died (SIGKILL, OOM): stop their postgres, free the disk. Other folders there are left alone. */
export async function removeAbandonedRuns(testDataDir: string): Promise<void> {
  const entries = await fs.readdir(testDataDir).catch(() => [] as string[]);
  for (const entry of entries) {
    // run-<pid>: this setup's cluster; embedded-<pid>: test/db/embedded-postgres.test.ts's clusters
    const pid = /^(?:run|embedded)-(\d+)$/.exec(entry)?.[1];
    if (!pid || isProcessAlive(Number(pid))) continue;
    const dir = path.join(testDataDir, entry);
    try {
      const inside = await fs.readdir(dir).catch(() => [] as string[]);
      for (const cluster of [path.join(dir, 'postgres'), ...inside.map((sub) => path.join(dir, sub, 'postgres'))]) {
        await stopStalePostmaster(cluster, log);
      }
      await fs.rm(dir, { recursive: true, force: true });
    } catch (err) {
      log.warn({ dir, err: String(err) }, 'could not remove an abandoned test cluster');
    }
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
