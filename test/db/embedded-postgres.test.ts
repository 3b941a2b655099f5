import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type DbLogger, type EmbeddedPostgresServer } from '../../src/db/embedded-postgres.ts';
import { projectRoot } from '../../src/db/migrations.ts';

const log: DbLogger = { info() {}, warn() {}, error() {}, debug() {} };
// Under the project: every folder above must be traversable by user postgres (/tmp is too).
const scratch = path.join(projectRoot(), '.test-data', `embedded-${process.pid}`);

async function sql<T extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

async function isRunning(pid: number): Promise<boolean> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat !== undefined && !/^\S+ \(.*\) [ZX] /.test(stat);
}

beforeAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});
afterAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

describe('startEmbeddedPostgres', () => {
  it('keeps data across a stop and a start on the same folder', async () => {
    const dataDir = path.join(scratch, 'persist');
    const first = await startEmbeddedPostgres({ dataDir, log, throwaway: true });
    let second: EmbeddedPostgresServer | undefined;
    try {
      const [settings] = await sql<{ encoding: string; db: string }>(
        first.url,
        `SELECT current_setting('server_encoding') AS encoding, current_database() AS db`,
      );
      expect(settings).toEqual({ encoding: 'UTF8', db: 'scrum4me' });
      await sql(first.url, 'CREATE TABLE notes (body text)');
      await sql(first.url, 'INSERT INTO notes VALUES ($1)', ['survives restarts']);
      await first.stop();
      await expect(sql(first.url, 'SELECT 1')).rejects.toThrow();

      second = await startEmbeddedPostgres({ dataDir, log, throwaway: true });
      expect(await sql(second.url, 'SELECT body FROM notes')).toEqual([{ body: 'survives restarts' }]);
      // The password is kept in the folder, so only the port may change.
      expect(new URL(second.url).password).toBe(new URL(first.url).password);
      expect((await fs.stat(path.join(dataDir, 'postgres-password'))).mode & 0o777).toBe(0o600);
    } finally {
      await first.stop();
      await second?.stop();
    }
  });

  it('stops a postmaster left running by a SIGKILLed process, and the data is intact', async () => {
    const dataDir = path.join(scratch, 'killed');
    const moduleUrl = pathToFileURL(path.join(projectRoot(), 'src', 'db', 'embedded-postgres.ts')).href;
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const script = `
      const { startEmbeddedPostgres } = await import(${JSON.stringify(moduleUrl)});
      const pg = (await import('pg')).default;
      const quiet = { info() {}, warn() {}, error() {}, debug() {} };
      const server = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, log: quiet, throwaway: true });
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      await client.query("CREATE TABLE notes (body text); INSERT INTO notes VALUES ('written before the kill')");
      await client.end();
      console.log(JSON.stringify({ clusterDir: server.clusterDir }));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], {
      cwd: projectRoot(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const ready = await new Promise<{ clusterDir: string }>((resolve, reject) => {
      let stdout = '';
      child.stdout.on('data', (chunk) => {
        stdout += String(chunk);
        const line = stdout.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line) as { clusterDir: string });
      });
      child.on('exit', (code) => reject(new Error(`child exited (${code}) before starting PostgreSQL: ${stderr}`)));
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const orphan = Number((await fs.readFile(path.join(ready.clusterDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    expect(await isRunning(orphan)).toBe(true); // the situation under test: SIGKILL left it behind

    const server = await startEmbeddedPostgres({ dataDir, log, throwaway: true });
    try {
      expect(await isRunning(orphan)).toBe(false);
      expect(await sql(server.url, 'SELECT body FROM notes')).toEqual([{ body: 'written before the kill' }]);
    } finally {
      await server.stop();
    }
  });

  it('refuses to take over a PostgreSQL that a live process is using', async () => {
    const dataDir = path.join(scratch, 'busy');
    const server = await startEmbeddedPostgres({ dataDir, log, throwaway: true });
    try {
      await expect(startEmbeddedPostgres({ dataDir, log, throwaway: true })).rejects.toThrow(/already running on .* for process/);
      expect(await sql(server.url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    } finally {
      await server.stop();
    }
  });

  it("reports PostgreSQL's own message when it cannot start", async () => {
    const dataDir = path.join(scratch, 'persist'); // initialised by the first test
    await expect(startEmbeddedPostgres({ dataDir, log, throwaway: true, settings: { no_such_setting: 'on' } })).rejects.toThrow(
      /did not start[\s\S]*no_such_setting/,
    );
  });

  it.runIf(process.getuid?.() === 0)('explains a data folder that user postgres cannot reach', async () => {
    const locked = path.join(scratch, 'locked');
    await fs.mkdir(locked, { recursive: true, mode: 0o700 });
    await fs.chmod(locked, 0o700);
    await expect(startEmbeddedPostgres({ dataDir: path.join(locked, 'data'), log, throwaway: true })).rejects.toThrow(
      /"postgres", which cannot enter .*locked \(mode 700\)/,
    );
  });
});
