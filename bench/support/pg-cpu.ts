// The CPU time of an embedded PostgreSQL server: its postmaster and every process it
// started (backends, autovacuum, checkpointer …), read from /proc (Linux). Exited
// children count too: the postmaster reaps them, so their time is in its cutime/cstime.
// The benches use it for CPU per claim across every process in a claim's path, a figure the
// machine's other load moves much less than a rate does.
import fs from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';

export interface PgCpuMeter {
  /** CPU ms of the server's processes so far (10 ms resolution per process) */
  cpuMs(): Promise<number>;
}

const ticksPerSecond = 100; // USER_HZ on Linux

export async function pgCpuMeter(pool: pg.Pool): Promise<PgCpuMeter | null> {
  if (process.platform !== 'linux') return null;
  const { rows } = await pool.query<{ setting: string }>(`SELECT setting FROM pg_settings WHERE name = 'data_directory'`);
  const postmaster = Number((await fs.readFile(path.join(rows[0]!.setting, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  if (!Number.isInteger(postmaster)) return null;
  const stat = async (pid: string) => {
    const text = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    if (!text) return null;
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' '); // fields from the 3rd (state) on
    return { ppid: Number(fields[1]), utime: Number(fields[11]), stime: Number(fields[12]), cutime: Number(fields[13]), cstime: Number(fields[14]) };
  };
  return {
    async cpuMs() {
      let ticks = 0;
      const pids = (await fs.readdir('/proc')).filter((name) => /^\d+$/.test(name));
      const stats = await Promise.all(pids.map(async (pid) => ({ pid: Number(pid), stat: await stat(pid) })));
      for (const { pid, stat: s } of stats) {
        if (!s) continue;
        if (pid === postmaster) ticks += s.utime + s.stime + s.cutime + s.cstime;
        else if (s.ppid === postmaster) ticks += s.utime + s.stime;
      }
      return (ticks * 1000) / ticksPerSecond;
    },
  };
}
