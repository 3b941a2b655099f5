// Claim under churn (issue 16, item 4): agents claim and finish jobs while new
// ones are queued, with no manual VACUUM, on a throwaway embedded PostgreSQL
// with the app's migrations. Every tenth of the run it prints the claim's
// EXPLAIN (ANALYZE, BUFFERS): the buffers of the candidate index scan (the
// part that walks dead entries) and of the whole statement, and autovacuum's
// progress. The claim is src/services/jobs/claim.ts's own statement (captured
// from claimNextJob, never copied), run inside a rolled-back transaction.
//   npx tsx bench/support/claim-churn.ts [--claims 100000] [--depth 10000] [--workers 8]
//     [--baseline]   the indexes and autovacuum settings as before this change
//     [--naptime N]  the server's autovacuum_naptime in seconds (the app's: 1; PostgreSQL's default: 60)
//     [--set name=value ...]  more server settings (e.g. --set log_autovacuum_min_duration=0)
//     [--server-log FILE]     the throwaway server's log lines go to FILE
//     [--vacuum-trace]        samples pg_stat_progress_vacuum every 50 ms and prints where the
//                             autovacuum rounds of jobs spent their time (phase, index by index)
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { connectDatabase } from '../../src/db/client.ts';
import { startEmbeddedPostgres, type DbLogger } from '../../src/db/embedded-postgres.ts';
import { applyMigrations, projectRoot } from '../../src/db/migrations.ts';
import type { Queryable } from '../../src/db/queryable.ts';
import type { AuthContext } from '../../src/services/auth/tokens.ts';
import { claimNextJob } from '../../src/services/jobs/claim.ts';
import { insertQueuedTaskJobs, seedUser, seedWorld, type BenchWorld } from './world.ts';

export interface ChurnOptions {
  claims: number;
  /** queued jobs kept waiting for the user throughout */
  depth: number;
  workers: number;
  /** the schema as before: (user_id, status, priority DESC, created_at) and default autovacuum */
  baseline?: boolean;
  naptimeSeconds?: number;
  /** more `postgres -c` settings */
  settings?: Record<string, string>;
  /** the server's log lines go to this file */
  serverLog?: string;
  /** sample pg_stat_progress_vacuum and print where autovacuum of jobs spent its time */
  vacuumTrace?: boolean;
  log?: (line: string) => void;
}

export interface ChurnSample {
  claims: number;
  /** shared buffers (hit + read) of the candidate index scan on jobs */
  scanBuffers: number;
  /** shared buffers of the whole claim statement (update, change event, joins) */
  statementBuffers: number;
  index: string;
  autovacuums: number;
  autoanalyzes: number;
  deadTuples: number;
  /** the age of the oldest snapshot another session holds (what keeps dead entries visible), and what it runs */
  oldestXmin: string;
  claimsPerSecond: number;
}

export interface ChurnResult {
  /** one sample every 5 % of the run, while the agents claim */
  samples: ChurnSample[];
  /** five samples right after the last claim, 200 ms apart, quiet */
  final: ChurnSample[];
  /** median of `final`'s scan buffers: the figure to hold under 20 */
  finalScanBuffers: number;
  plan: string;
}

const quietDb: DbLogger = {
  info() {},
  debug() {},
  warn: (o, m) => console.error('[claim-churn-db] warning:', m, o),
  error: (o, m) => console.error('[claim-churn-db] error:', m, o),
};

/** The claim statement as claim.ts sends it, without running it. */
export async function capturedClaimStatement(auth: AuthContext): Promise<{ text: string; values: unknown[] }> {
  let captured: { text: string; values: unknown[] } | undefined;
  const recorder: Queryable = {
    query: (async (config: { text: string; values: unknown[] }) => {
      captured = { text: config.text, values: config.values };
      // the claim statement always answers one row: no candidate, nothing claimed
      return { rows: [{ had_candidate: false, id: null }] };
    }) as unknown as Queryable['query'],
  };
  await claimNextJob(recorder, auth);
  if (!captured) throw new Error('claimNextJob sent no statement');
  return captured;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

function findScan(node: PlanNode): PlanNode | undefined {
  if (node['Relation Name'] === 'jobs' && node['Index Name'] && /Index/.test(node['Node Type']) && node['Index Name'] !== 'jobs_pkey') return node;
  for (const child of node.Plans ?? []) {
    const found = findScan(child);
    if (found) return found;
  }
  return undefined;
}

const buffersOf = (node: PlanNode | undefined) => (node ? (node['Shared Hit Blocks'] ?? 0) + (node['Shared Read Blocks'] ?? 0) : Number.NaN);

async function explainClaim(pool: pg.Pool, claim: { text: string; values: unknown[] }): Promise<{ scan: PlanNode | undefined; total: number; text: string }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${claim.text}`, claim.values);
    const readable = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${claim.text}`, claim.values);
    await client.query('ROLLBACK');
    const plan = rows[0]!['QUERY PLAN'][0].Plan;
    return { scan: findScan(plan), total: buffersOf(plan), text: readable.rows.map((r) => r['QUERY PLAN']).join('\n') };
  } finally {
    client.release();
  }
}

async function tableState(pool: pg.Pool): Promise<{ autovacuums: number; autoanalyzes: number; deadTuples: number; oldestXmin: string }> {
  const { rows } = await pool.query<{ autovacuums: number; autoanalyzes: number; dead: number; oldest: string }>(
    `SELECT autovacuum_count::int AS autovacuums, autoanalyze_count::int AS autoanalyzes, n_dead_tup::int AS dead,
            (SELECT coalesce(max(age(backend_xmin))::text, '-') || ' ' || coalesce(string_agg(DISTINCT left(query, 30), ' | ') FILTER (WHERE age(backend_xmin) > 50), '')
               FROM pg_stat_activity WHERE backend_xmin IS NOT NULL AND pid <> pg_backend_pid()) AS oldest
       FROM pg_stat_user_tables WHERE relname = 'jobs'`,
  );
  return { autovacuums: rows[0]?.autovacuums ?? 0, autoanalyzes: rows[0]?.autoanalyzes ?? 0, deadTuples: rows[0]?.dead ?? 0, oldestXmin: rows[0]?.oldest ?? '-' };
}

/** Back to the schema before the partial index and the jobs table's autovacuum settings. */
async function restoreBaseline(pool: pg.Pool): Promise<void> {
  await pool.query(`DROP INDEX IF EXISTS "jobs_queued_claim_idx"`);
  await pool.query(`CREATE INDEX IF NOT EXISTS "jobs_user_id_status_priority_created_at_idx" ON "jobs"("user_id", "status", "priority" DESC, "created_at")`);
  await pool.query(`ALTER TABLE "jobs" RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold, autovacuum_vacuum_cost_delay, vacuum_index_cleanup)`);
}

/** The indexes of jobs in the order VACUUM processes them (RelationGetIndexList: by OID). */
async function jobsIndexes(pool: pg.Pool): Promise<{ name: string; pages: number }[]> {
  const { rows } = await pool.query<{ name: string; pages: number }>(
    `SELECT c.relname AS name, pg_relation_size(c.oid)::bigint / 8192 AS pages
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = 'jobs'::regclass ORDER BY c.oid`,
  );
  return rows.map((r) => ({ name: r.name, pages: Number(r.pages) }));
}

/**
 * Where the autovacuum rounds of jobs spend their time: pg_stat_progress_vacuum every
 * 50 ms, each sample counted for its phase (and, while vacuuming or cleaning up
 * indexes, for the index being processed: PostgreSQL takes them in OID order).
 */
function traceVacuum(pool: pg.Pool): { stop(): Promise<string[]> } {
  const periodMs = 50;
  const spent = new Map<string, number>();
  let rounds = 0;
  let lastPid: number | null = null;
  let running = true;
  let indexNames: string[] = [];
  const loop = (async () => {
    indexNames = (await jobsIndexes(pool)).map((i) => i.name);
    while (running) {
      const { rows } = await pool.query<{ pid: number; phase: string; processed: number; total: number; scanned: string; heap: string }>(
        `SELECT pid, phase, indexes_processed::int AS processed, indexes_total::int AS total,
                heap_blks_scanned::text AS scanned, heap_blks_total::text AS heap
           FROM pg_stat_progress_vacuum WHERE relid = 'jobs'::regclass`,
      );
      const row = rows[0];
      if (row) {
        if (row.pid !== lastPid) rounds += 1;
        lastPid = row.pid;
        const perIndex = row.phase === 'vacuuming indexes' || row.phase === 'cleaning up indexes';
        const key = perIndex ? `${row.phase}: ${indexNames[row.processed] ?? `#${row.processed}`}` : row.phase;
        spent.set(key, (spent.get(key) ?? 0) + periodMs);
      } else {
        lastPid = null;
      }
      await new Promise((resolve) => setTimeout(resolve, periodMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const total = [...spent.values()].reduce((a, b) => a + b, 0);
      const lines = [`autovacuum of jobs: ${rounds} rounds seen, ${(total / 1000).toFixed(1)} s in all (${rounds ? (total / rounds / 1000).toFixed(2) : '-'} s a round), by phase:`];
      for (const [key, ms] of [...spent.entries()].sort((a, b) => b[1] - a[1])) {
        lines.push(`  ${(ms / 1000).toFixed(1).padStart(7)} s  ${((100 * ms) / total).toFixed(0).padStart(3)} %  ${key}`);
      }
      return lines;
    },
  };
}

export async function runClaimChurn(options: ChurnOptions): Promise<ChurnResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const dataDir = path.join(projectRoot(), '.test-data', `claim-churn-${process.pid}`);
  await fs.rm(dataDir, { recursive: true, force: true });
  const serverLog = options.serverLog ? await fs.open(options.serverLog, 'w') : undefined;
  const dbLog: DbLogger = serverLog
    ? { ...quietDb, debug: (o) => void serverLog.write(`${(o as { postgres?: string }).postgres ?? JSON.stringify(o)}\n`) }
    : quietDb;
  const settings = { ...(options.naptimeSeconds ? { autovacuum_naptime: `${options.naptimeSeconds}s` } : {}), ...options.settings };
  const server = await startEmbeddedPostgres({
    dataDir,
    log: dbLog,
    throwaway: true,
    database: 'churn',
    settings,
  });
  const db = connectDatabase(server.url, { max: options.workers + 3 });
  let vacuumTrace: ReturnType<typeof traceVacuum> | undefined;
  try {
    await applyMigrations(server.url, { log: quietDb });
    if (options.baseline) await restoreBaseline(db.pool);
    const world: BenchWorld = await seedWorld(db.prisma);
    const user = await seedUser(db.prisma, 'churner', options.workers);
    await insertQueuedTaskJobs(db.pool, world, user.id, 'seed', options.depth);
    await db.pool.query('VACUUM (ANALYZE) jobs');
    for (const index of await jobsIndexes(db.pool)) log(`index ${index.name}: ${index.pages} pages`);
    if (options.vacuumTrace) vacuumTrace = traceVacuum(db.pool);
    const auths: AuthContext[] = user.agents.map((agent) => ({ tokenId: agent.tokenId, userId: user.id, userName: user.name, admin: false }));
    const claim = await capturedClaimStatement(auths[0]!);

    const samples: ChurnSample[] = [];
    let claimed = 0;
    let fresh = 0;
    let windowStart = Date.now();
    let windowClaims = 0;
    const sampleEvery = Math.max(1, Math.floor(options.claims / 20));
    let nextSample = sampleEvery;
    const sample = async (): Promise<ChurnSample> => {
      const explained = await explainClaim(db.pool, claim);
      const state = await tableState(db.pool);
      const seconds = (Date.now() - windowStart) / 1000;
      const result: ChurnSample = {
        claims: claimed,
        scanBuffers: buffersOf(explained.scan),
        statementBuffers: explained.total,
        index: explained.scan?.['Index Name'] ?? '(no index scan)',
        ...state,
        claimsPerSecond: seconds > 0 ? Math.round((claimed - windowClaims) / seconds) : 0,
      };
      windowStart = Date.now();
      windowClaims = claimed;
      return result;
    };
    const print = (s: ChurnSample) =>
      log(
        `claims ${String(s.claims).padStart(7)}  scan buffers ${String(s.scanBuffers).padStart(5)}  statement buffers ${String(s.statementBuffers).padStart(5)}  ` +
          `autovacuums ${String(s.autovacuums).padStart(3)}  analyzes ${String(s.autoanalyzes).padStart(3)}  dead tuples ${String(s.deadTuples).padStart(7)}  ${s.claimsPerSecond}/s  (${s.index})  xmin ${s.oldestXmin}`,
      );
    const first = await sample();
    print(first);
    samples.push(first);

    let sampling: Promise<void> | null = null;
    const worker = async (auth: AuthContext) => {
      while (claimed < options.claims) {
        const job = await claimNextJob(db.pool, auth);
        if (!job) throw new Error('the queue ran dry: raise --depth');
        claimed += 1;
        // the agent's status calls (running, then done), and the next job queued
        await db.pool.query(`UPDATE jobs SET status = 'RUNNING', started_at = now(), heartbeat_at = now(), updated_at = now() WHERE id = $1`, [job.id]);
        await db.pool.query(`UPDATE jobs SET status = 'DONE', finished_at = now(), heartbeat_at = now(), updated_at = now() WHERE id = $1`, [job.id]);
        await insertQueuedTaskJobs(db.pool, world, user.id, `fresh${++fresh}`, 1);
        if (claimed >= nextSample && !sampling) {
          nextSample += sampleEvery;
          sampling = sample().then((s) => {
            print(s);
            samples.push(s);
            sampling = null;
          });
        }
      }
    };
    await Promise.all(auths.map((auth) => worker(auth)));
    while (sampling) await sampling;
    if (vacuumTrace) {
      const traced = vacuumTrace.stop();
      vacuumTrace = undefined;
      for (const line of await traced) log(line);
      // PostgreSQL 18 counts each table's autovacuum time: which tables kept the workers busy
      const { rows } = await db.pool.query<{ relname: string; vacuums: number; vacuum_s: string; analyzes: number; analyze_s: string }>(
        `SELECT relname, autovacuum_count::int AS vacuums, round(total_autovacuum_time::numeric / 1000, 1)::text AS vacuum_s,
                autoanalyze_count::int AS analyzes, round(total_autoanalyze_time::numeric / 1000, 1)::text AS analyze_s
           FROM pg_stat_user_tables WHERE autovacuum_count + autoanalyze_count > 0 ORDER BY total_autovacuum_time + total_autoanalyze_time DESC`,
      );
      for (const r of rows) log(`  ${r.relname}: ${r.vacuums} autovacuums ${r.vacuum_s} s, ${r.analyzes} autoanalyzes ${r.analyze_s} s`);
    }
    log('after the last claim:');
    const final: ChurnSample[] = [];
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const s = await sample();
      print(s);
      final.push(s);
    }
    const finalScanBuffers = median(final.map((s) => s.scanBuffers));
    const finalExplain = await explainClaim(db.pool, claim);
    return { samples, final, finalScanBuffers, plan: finalExplain.text };
  } finally {
    await vacuumTrace?.stop();
    await db.close();
    await server.stop();
    await serverLog?.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(p * values.length))]!;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      claims: { type: 'string', default: '100000' },
      depth: { type: 'string', default: '10000' },
      workers: { type: 'string', default: '8' },
      baseline: { type: 'boolean', default: false },
      naptime: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      'server-log': { type: 'string' },
      'vacuum-trace': { type: 'boolean', default: false },
    },
  });
  const settings: Record<string, string> = {};
  for (const pair of values.set) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--set wants name=value, got ${pair}`);
    settings[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const options: ChurnOptions = {
    claims: Number(values.claims),
    depth: Number(values.depth),
    workers: Number(values.workers),
    baseline: values.baseline,
    ...(values.naptime ? { naptimeSeconds: Number(values.naptime) } : {}),
    settings,
    ...(values['server-log'] ? { serverLog: values['server-log'] } : {}),
    vacuumTrace: values['vacuum-trace'],
  };
  console.log(
    `claim churn: ${options.claims} claims, ${options.depth} queued, ${options.workers} agents, ${options.baseline ? 'baseline schema' : 'migrated schema'}, ` +
      `autovacuum_naptime ${options.naptimeSeconds ? `${options.naptimeSeconds}s` : "the app's (1s)"}, no manual VACUUM after the seed` +
      (Object.keys(settings).length ? `, settings ${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''),
  );
  const result = await runClaimChurn(options);
  console.log(`\nfinal claim plan:\n${result.plan}`);
  const during = result.samples.slice(1).map((s) => s.scanBuffers);
  const last = result.final.at(-1)!;
  console.log(
    `\nafter ${last.claims} claims (${last.autovacuums} autovacuums, no manual VACUUM): the claim's index scan read ${result.finalScanBuffers} buffers ` +
      `(median of 5, target < 20), the whole statement ${median(result.final.map((s) => s.statementBuffers))}; ` +
      `while claiming: scan buffers p50 ${median(during)}, p90 ${percentile(during, 0.9)}, max ${Math.max(...during)}`,
  );
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('claim-churn.ts') || process.argv[1]?.endsWith('claim-churn.js')) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
