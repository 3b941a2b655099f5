// A vitest run killed with SIGKILL leaves its PostgreSQL running in its run
// folder under the system temp folder; the next run's global setup stops it and
// frees the disk, and leaves live runs and other folders alone.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { throwawayClusterRoot } from '../../src/db/data-dir.ts';
import { projectRoot } from '../../src/db/migrations.ts';
import { removeAbandonedRuns } from '../support/global-setup.ts';

let root: string;
beforeAll(async () => {
  // a root of its own: the real one holds the clusters of runs going on now
  root = await fs.mkdtemp(path.join(await throwawayClusterRoot(), 'abandoned-test-'));
  await fs.chmod(root, 0o755); // user postgres must get through
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function isRunning(pid: number): Promise<boolean> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat !== undefined && !/^\S+ \(.*\) [ZX] /.test(stat);
}

describe('removeAbandonedRuns', () => {
  it('stops the PostgreSQL of a SIGKILLed run and removes its folder; a live run and other folders stay', async () => {
    const moduleUrl = pathToFileURL(path.join(projectRoot(), 'src', 'db', 'embedded-postgres.ts')).href;
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    // like global-setup: the run folder is named by the process that owns it
    const script = `
      const { startEmbeddedPostgres } = await import(${JSON.stringify(moduleUrl)});
      const quiet = { info() {}, warn() {}, error() {}, debug() {} };
      const dataDir = ${JSON.stringify(root)} + '/run-' + process.pid;
      const server = await startEmbeddedPostgres({ dataDir, log: quiet, throwaway: true, database: 'postgres' });
      console.log(JSON.stringify({ dataDir, clusterDir: server.clusterDir }));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], { cwd: projectRoot(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const ready = await new Promise<{ dataDir: string; clusterDir: string }>((resolve, reject) => {
      let stdout = '';
      child.stdout.on('data', (chunk) => {
        stdout += String(chunk);
        const line = stdout.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line) as { dataDir: string; clusterDir: string });
      });
      child.on('exit', (code) => reject(new Error(`child exited (${code}) before starting PostgreSQL: ${stderr}`)));
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const orphan = Number((await fs.readFile(path.join(ready.clusterDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    expect(await isRunning(orphan)).toBe(true);

    const live = path.join(root, `run-${process.pid}`);
    const other = path.join(root, 'postgres-bin-keep');
    await fs.mkdir(live);
    await fs.mkdir(other);

    await removeAbandonedRuns(root);

    expect(await isRunning(orphan)).toBe(false);
    expect((await fs.readdir(root)).sort()).toEqual([path.basename(other), path.basename(live)].sort());
  });
});
