// Status calls: `running` then `done` on claimed idea jobs (no GitHub work) at
// 10, 50 and 200 concurrent requests, against a bare node:http server doing the
// same single UPDATE on the same database (./support/bare-status-server.ts).
// Every request targets its own job, so calls never wait on each other's row lock.
import type { BenchEnvironment } from './support/environment.ts';
import { startBareStatusServer } from './support/bare-status-server.ts';
import type { LoadClient, LoadResult } from './support/load-client.ts';
import { combineRuns, perSecond, percentile, type RunSamples } from './support/stats.ts';
import { shareOfBaselineRow, type BenchRow } from './support/table.ts';
import { insertClaimedIdeaJobs, seedUser, settleJobsTable, type BenchWorld } from './support/world.ts';

export const statusConcurrencies = [10, 50, 200] as const;
const phases = ['running', 'done'] as const;
type Phase = (typeof phases)[number];

export interface StatusOutcome {
  rows: BenchRow[];
  failures: string[];
  notes: string[];
}

export async function benchStatus(
  env: BenchEnvironment,
  load: LoadClient,
  world: BenchWorld,
  options: { requestsPerLevel: number; rounds: number; warmupRequests: number },
): Promise<StatusOutcome> {
  const { prisma } = env.app.db;
  const user = await seedUser(prisma, 'bench-status', 1);
  const agent = user.agents[0]!;
  const bare = await startBareStatusServer(env.databaseUrl, agent.tokenId);
  const rows: BenchRow[] = [];
  const failures: string[] = [];
  const notes: string[] = [];
  try {
    /**
     * `rounds` rounds of `perRound` jobs per side; in each round both sides do
     * `running` then `done`, taking turns at going first, so that load from
     * outside the bench (a shared machine) hits both sides alike.
     */
    const measure = async (tag: string, concurrency: number, perRound: number, rounds: number) => {
      const runs = { running: { app: [], bare: [] }, done: { app: [], bare: [] } } as Record<Phase, Record<'app' | 'bare', LoadResult[]>>;
      for (let round = 0; round < rounds; round++) {
        const ids = {
          app: await insertClaimedIdeaJobs(env.pool, world, user.id, agent, `status-app-${tag}-${round}`, perRound),
          bare: await insertClaimedIdeaJobs(env.pool, world, user.id, agent, `status-bare-${tag}-${round}`, perRound),
        };
        await settleJobsTable(env.pool);
        for (const phase of phases) {
          const body = JSON.stringify({ status: phase });
          const sides = round % 2 === 0 ? (['bare', 'app'] as const) : (['app', 'bare'] as const);
          for (const side of sides) {
            const measureSql = env.sqlStats && side === 'app' && tag === 'c10' && round === 0;
            if (measureSql) await env.sqlStats!.reset();
            const result = await load.run({
              type: 'requests',
              baseUrl: side === 'app' ? env.app.url : bare.url,
              concurrency,
              requests: ids[side].map((id) =>
                side === 'app' ? { path: `/api/v1/jobs/${id}/status`, token: agent.token, body } : { path: `/jobs/${id}/status`, body },
              ),
            });
            if (measureSql) notes.push(await env.sqlStats!.report(`status ${phase}`, perRound));
            if ((result.statuses['200'] ?? 0) !== perRound) {
              failures.push(`${tag} ${phase} (${side}): ${JSON.stringify(result.statuses)}; ${result.problems.join('; ')}`);
            }
            runs[phase][side].push(result);
          }
        }
        failures.push(
          ...(await verifyAllDone(env, ids.app, `${tag} round ${round} app`)),
          ...(await verifyAllDone(env, ids.bare, `${tag} round ${round} baseline`)),
        );
      }
      return {
        running: { app: combineRuns(runs.running.app), bare: combineRuns(runs.running.bare) },
        done: { app: combineRuns(runs.done.app), bare: combineRuns(runs.done.bare) },
      };
    };

    await measure('warmup', 10, options.warmupRequests, 1);
    for (const concurrency of statusConcurrencies) {
      const results = await measure(`c${concurrency}`, concurrency, Math.ceil(options.requestsPerLevel / options.rounds), options.rounds);
      for (const phase of phases) {
        const { app, bare: baseline } = results[phase];
        const label = `${phase}, ${concurrency} concurrent`;
        rows.push(
          shareOfBaselineRow(
            `${label}: throughput`,
            perSecond(app.latenciesMs.length, app.elapsedMs),
            perSecond(baseline.latenciesMs.length, baseline.elapsedMs),
            'req/s',
            0.4,
          ),
          { name: `${label}: latency p50`, value: percentile(app.latenciesMs, 50), baseline: percentile(baseline.latenciesMs, 50), unit: 'ms' },
          latencyP99Row(label, concurrency, app, baseline),
        );
        const perCall = (run: RunSamples) => ((run.serverCpuMs * 1000) / run.latenciesMs.length).toFixed(0);
        notes.push(
          `status ${label}: server process CPU ${perCall(app)} µs per call (baseline ${perCall(baseline)} µs); ` +
            `load generator CPU ${(app.clientCpuShare * 100).toFixed(0)} % of a core (app runs), ${(baseline.clientCpuShare * 100).toFixed(0)} % (baseline runs)`,
        );
      }
    }
  } finally {
    await bare.stop();
  }
  return { rows, failures, notes };
}

function latencyP99Row(label: string, concurrency: number, app: RunSamples, baseline: RunSamples): BenchRow {
  const value = percentile(app.latenciesMs, 99);
  const row: BenchRow = { name: `${label}: latency p99`, value, baseline: percentile(baseline.latenciesMs, 99), unit: 'ms' };
  return concurrency === 10 ? { ...row, target: '< 50 ms', pass: value < 50 } : row;
}

async function verifyAllDone(env: BenchEnvironment, ids: string[], label: string): Promise<string[]> {
  const { rows } = await env.pool.query<{ status: string; n: string }>(
    'SELECT status::text AS status, count(*) AS n FROM jobs WHERE id = ANY($1::text[]) GROUP BY status',
    [ids],
  );
  const done = Number(rows.find((row) => row.status === 'DONE')?.n ?? 0);
  return done === ids.length ? [] : [`${label}: ${done} of ${ids.length} jobs DONE (${rows.map((r) => `${r.status} ${r.n}`).join(', ')})`];
}
