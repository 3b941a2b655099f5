// `npm run bench`: every measurement next to its baseline, in one process run,
// printed as one table. Options: --only claims,status,webhooks,mcp,cascade,scale  --status-requests N
// --sql-stats (statements per API call, from pg_stat_statements)  --cascade-scenarios unpaced,paced
// --scale-depths 10000,100000,1000000  --scale-churn-claims N (0: no churn runs)
// --profile-dir DIR (webhooks: a CPU profile of each side's rounds: app, bare, probot).
// `scale` is not in the default set (the 1M depth takes a long while): name it in --only.
// Profile with: node --cpu-prof --cpu-prof-dir=.test-data/profiles dist/bench/run.js --only claims
import '../src/runtime-flags.ts'; // as in the app's entry (src/main.ts)
import os from 'node:os';
import { parseArgs } from 'node:util';
import { benchCascade, type CascadeScenario } from './cascade.ts';
import { benchClaims } from './claims.ts';
import { benchStatus } from './status.ts';
import { benchMcp } from './mcp.ts';
import { benchScale } from './scale.ts';
import { benchWebhooks } from './webhooks.ts';
import { startBenchEnvironment } from './support/environment.ts';
import { startLoadClient } from './support/load-client.ts';
import { memoryBreakdown, rssMb } from './support/memory.ts';
import { renderTable, type BenchSection } from './support/table.ts';
import { seedWorld } from './support/world.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    'status-requests': { type: 'string', default: '2000' },
    'sql-stats': { type: 'boolean', default: false },
    // 'paced' adds ~2.5 minutes: the cascade with Probot's write pacing as shipped
    'cascade-scenarios': { type: 'string', default: 'unpaced' },
    // writes CPU profiles of the measured part (webhooks: the app's rounds) into this folder
    'profile-dir': { type: 'string' },
    'scale-depths': { type: 'string', default: '10000,100000,1000000' },
    'scale-claims': { type: 'string', default: '3000' },
    'scale-status-calls': { type: 'string', default: '1000' },
    'scale-churn-claims': { type: 'string', default: '100000' },
    // a heap snapshot of the app's process after each depth's status load, into this folder
    'scale-heap-snapshots': { type: 'string' },
    // node flags for the scale bench's app process, e.g. "--heap-prof --heap-prof-dir=.test-data/heap"
    'scale-app-flags': { type: 'string' },
  },
});
const selected = new Set((values.only ?? 'claims,status,webhooks,mcp,cascade').split(',').map((name) => name.trim()));
const statusRequests = Number(values['status-requests']);

async function main(): Promise<number> {
  const started = Date.now();
  const loadBefore = os.loadavg()[0]!;
  const sections: BenchSection[] = [];
  const failures: string[] = [];
  const notes: string[] = [];

  if (selected.has('claims') || selected.has('status')) {
    const env = await startBenchEnvironment({ sqlStats: values['sql-stats'] });
    const startedRss = rssMb();
    notes.push(`memory right after startApp: ${memoryBreakdown()}`);
    const load = startLoadClient();
    try {
      const world = await seedWorld(env.app.db.prisma);
      notes.push(`PostgreSQL ${env.postgresVersion} (embedded, throwaway: fsync and synchronous_commit off)`);
      if (selected.has('claims')) {
        const claims = await benchClaims(env, load, world);
        const afterStart = { name: 'RSS right after startApp (no requests yet)', value: startedRss, unit: 'MB', target: '< 200 MB', pass: startedRss < 200 };
        sections.push({ title: 'claims', rows: claims.claims }, { title: 'memory', rows: [afterStart, ...claims.memory] });
        failures.push(...claims.failures);
        notes.push(...claims.notes);
      }
      if (selected.has('status')) {
        const status = await benchStatus(env, load, world, { requestsPerLevel: statusRequests, rounds: 4, warmupRequests: 500 });
        sections.push({ title: 'status', rows: status.rows });
        failures.push(...status.failures);
        notes.push(...status.notes);
      }
    } finally {
      await load.stop();
      await env.stop();
    }
  }

  if (selected.has('webhooks')) {
    // self-contained: its own embedded PostgreSQL and app, started after ours has stopped
    sections.push({ title: 'webhooks', rows: (await benchWebhooks({ profileDir: values['profile-dir'] })).rows });
  }

  if (selected.has('mcp')) {
    // MCP update_job_status next to HTTP, on the app's own server (its own database and app)
    const mcp = await benchMcp();
    sections.push({ title: 'mcp', rows: mcp.rows });
    notes.push(...mcp.notes);
    failures.push(...mcp.failures);
  }

  if (selected.has('scale')) {
    // its own database, app and stub GitHub; the churn runs after, each on its own database
    const depths = values['scale-depths'].split(',').map((d) => Number(d.trim().replace(/_/g, '')));
    if (depths.some((d) => !Number.isInteger(d) || d <= 0)) throw new Error(`--scale-depths: positive integers, got ${values['scale-depths']}`);
    const scale = await benchScale({
      depths,
      claims: Number(values['scale-claims']),
      statusCalls: Number(values['scale-status-calls']),
      pbiViews: 200,
      churnClaims: Number(values['scale-churn-claims']),
      heapSnapshotDir: values['scale-heap-snapshots'],
      appExecArgv: values['scale-app-flags']?.split(' ').filter(Boolean),
    });
    sections.push({ title: 'scale', rows: scale.rows });
    notes.push(...scale.notes);
    failures.push(...scale.failures);
  }

  if (selected.has('cascade')) {
    // the PBI fail-cascade against the git-backed fake GitHub (its own databases, apps and fakes)
    const scenarios = values['cascade-scenarios'].split(',').map((name) => name.trim()) as CascadeScenario[];
    const cascade = await benchCascade({ scenarios });
    sections.push({ title: 'cascade', rows: cascade.rows });
    notes.push(...cascade.notes);
    failures.push(...cascade.failures);
  }

  console.log(`\nscrum4me-app benchmarks — ${new Date().toISOString()}`);
  console.log(machine());
  // the machine may be shared: say how busy it was, since that moves every number
  console.log(`1-minute load average: ${loadBefore.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end`);
  console.log('');
  console.log(renderTable(sections));
  console.log('');
  for (const note of notes) console.log(`- ${note}`);
  const misses = sections.flatMap((s) => s.rows.filter((row) => row.pass === false).map((row) => `${s.title}: ${row.name}`));
  console.log(`\n${misses.length === 0 ? 'every target met' : `${misses.length} target(s) missed:\n  ${misses.join('\n  ')}`}`);
  if (failures.length > 0) console.error(`\nCORRECTNESS FAILURES:\n  ${failures.join('\n  ')}`);
  console.log(`(bench took ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  return failures.length > 0 ? 1 : 0;
}

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `machine: ${os.availableParallelism()} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}, ${os.platform()} ${os.release()}`;
}

main().then(
  (code) => {
    // graphile-worker and pg may leave handles open for a moment; the run is over
    process.exit(code);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
