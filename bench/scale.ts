// Scale (issue 16): the same measurements as the claim user's queue grows from
// 10,000 to 100,000 to 1,000,000 QUEUED jobs (spread over 100,000 tasks; one
// hot story of 1,000 jobs), each depth printed next to the 10k row with its ratio
// (target: no figure more than 20 % worse than at 10k). One app (startApp in a
// process of its own, ./support/app-process.ts, so its RSS and CPU are its own;
// the load generator is another process) on the embedded PostgreSQL, pointed at
// a stub GitHub (./support/stub-github.ts) so that each status call's check
// refresh runs for real. The world grows between depths (./support/scale-world.ts),
// written by the harness with SQL. At each depth:
//   - claims: 16 agents over HTTP, next to the bare claim statement (16 pg
//     clients) and the bare HTTP claim server (./support/bare-claim-server.ts:
//     node:http and the same statement, the same load client at the same 16 in
//     flight) on the same queue, in 12 rounds, each running the three sides
//     one after the other (every order twice), each side's run about as long
//     as the app's; the ratios are the medians of the rounds' ratios, so load
//     that lands on one side of one round moves one ratio of twelve. All three
//     sides are warmed at each depth and keep their connections (and prepared
//     statements) for the whole run: a bare run on new connections paid each
//     new backend's first statement (70-150 ms on this machine), 10-20 % of its
//     time, and that first statement was its p99;
//   - status: `running` on the hot story's jobs at 10 concurrent (each call
//     queues the story's check refresh), in 3 bursts, and the drain after each:
//     from the burst's last answer until graphile-worker has no
//     refresh_story_check job left (the median of the 3);
//   - the PBI view of the hot PBI (GET /api/v1/admin/pbis/{id}), sequential;
//   - the app process's RSS: peak during the status load (target < 250 MB) and
//     peak during the claims.
// Then, after the app has stopped, the claim under churn at each depth
// (./support/claim-churn.ts: its own database; N claims with no manual VACUUM,
// the claim's EXPLAIN (ANALYZE, BUFFERS) after).
import path from 'node:path';
import pg from 'pg';
import { bareClaimStatement, claimAgents } from './claims.ts';
import { runClaimChurn } from './support/claim-churn.ts';
import { startLoadClient, type LoadClient } from './support/load-client.ts';
import { startScaleEnvironment, type ScaleEnvironment } from './support/scale-environment.ts';
import { appPoolSize, startBareClaimServer, type BareClaimServer } from './support/bare-claim-server.ts';
import { startBareStatusServer, type BareStatusServer } from './support/bare-status-server.ts';
import { pgCpuMeter, type PgCpuMeter } from './support/pg-cpu.ts';
import { insertProbeJobs, jobCounts, resetHotJobs, seedScaleWorld, topUpQueue, type ScaleWorld } from './support/scale-world.ts';
import { perSecond, percentile } from './support/stats.ts';
import type { BenchRow } from './support/table.ts';
import type { BenchUser } from './support/world.ts';

export interface ScaleOptions {
  depths: number[];
  /** claims over HTTP to the app per depth, split over the rounds (the bare statement and the bare HTTP server: runs as long) */
  claims: number;
  statusCalls: number;
  pbiViews: number;
  /** claims of the churn run per depth; 0 skips it */
  churnClaims: number;
  /** a heap snapshot of the app after each depth's status load, into this folder */
  heapSnapshotDir?: string | undefined;
  /** more node flags for the app's process (e.g. --heap-prof --heap-prof-dir=DIR) */
  appExecArgv?: string[] | undefined;
}

type BenchEnvironment = ScaleEnvironment;

export interface ScaleOutcome {
  rows: BenchRow[];
  notes: string[];
  failures: string[];
}

interface DepthFigures {
  depth: number;
  claimsPerSecond: number;
  claimP99: number;
  bareClaimsPerSecond: number;
  bareClaimP99: number;
  bareHttpClaimsPerSecond: number;
  /** medians of the rounds' ratios: app ÷ bare statement, app ÷ bare HTTP server, bare HTTP server ÷ bare statement */
  claimRatio: number;
  claimRatioToBareHttp: number;
  bareHttpRatio: number;
  /** the same medians of claims per CPU second of every process in each side's path (Linux only) */
  claimCpuRatio?: number;
  claimCpuRatioToBareHttp?: number;
  bareHttpCpuRatio?: number;
  /** the bare status server (one UPDATE by id) at 10 concurrent, right before and after the status bursts: the machine's speed then */
  bareStatusP50: number;
  bareStatusP99: number;
  statusP99: number;
  statusP50: number;
  statusPerSecond: number;
  drainMs: number;
  pbiP50: number;
  pbiP99: number;
  pbiBytes: number;
  rssStatusPeak: number;
  rssClaimPeak: number;
  churnBuffers?: number;
  churnStatementBuffers?: number;
}

const allKinds = ['TASK_IMPLEMENTATION', 'IDEA_GRILL', 'IDEA_MAKE_PLAN'];
type ClaimSide = 'app' | 'statement' | 'bareHttp';
/** every order of the three sides, twice: each side runs first, second and third 4 times, and before each other side 6 times of 12 */
const claimRoundOrders: ClaimSide[][] = [0, 1].flatMap(() => [
  ['app', 'statement', 'bareHttp'],
  ['bareHttp', 'statement', 'app'],
  ['statement', 'app', 'bareHttp'],
  ['bareHttp', 'app', 'statement'],
  ['statement', 'bareHttp', 'app'],
  ['app', 'bareHttp', 'statement'],
] satisfies ClaimSide[][]);
const statusConcurrency = 10;
const statusBursts = 3;
const rssTarget = 250;
const tolerance = 0.2;

export async function benchScale(options: ScaleOptions): Promise<ScaleOutcome> {
  const notes: string[] = [];
  const failures: string[] = [];
  const figures: DepthFigures[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const env = await startScaleEnvironment(options.appExecArgv ? { appExecArgv: options.appExecArgv } : {});
  notes.push(`the app's process right after startApp: ${await env.app.memory()}`);
  const load = startLoadClient();
  try {
    const seedStarted = Date.now();
    const world = await seedScaleWorld(env.db.prisma, env.db.pool, claimAgents);
    const bare = await startBareStatusServer(env.databaseUrl, world.statusUser.agents[0]!.tokenId);
    cleanups.push(() => bare.stop());
    const claimUser = world.claimUser;
    const bareClaims: BareClaimSides = {
      server: await startBareClaimServer({
        databaseUrl: env.databaseUrl,
        statement: bareClaimStatement,
        agents: claimUser.agents.map((agent) => ({ ...agent, userId: claimUser.id })),
        kinds: allKinds,
      }),
      clients: await connectBareClients(env.databaseUrl, claimUser),
      pgCpu: await pgCpuMeter(env.db.pool),
    };
    cleanups.push(() => bareClaims.server.stop());
    cleanups.push(() => Promise.all(bareClaims.clients.map((client) => client.end().catch(() => {}))).then(() => {}));
    notes.push(`scale world (100,000 tasks, hot story of 1,000 jobs) seeded in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);
    let warmedUp = false;
    for (const depth of options.depths) {
      const started = Date.now();
      const added = await topUpQueue(env.db.pool, world, depth);
      await env.db.pool.query('VACUUM (ANALYZE) jobs');
      notes.push(
        `depth ${depth.toLocaleString('en-US')}: ${added.toLocaleString('en-US')} jobs added and VACUUM ANALYZE in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
          `jobs in the database: ${await jobCounts(env.db.pool)}`,
      );
      if (!warmedUp) {
        await warmUp(env, load, world, bareClaims, options);
        warmedUp = true;
        // the warm-up's claims and status calls leave dead rows and an ANALYZE due: start the depth as every other depth starts
        await env.db.pool.query('VACUUM (ANALYZE) jobs');
      }
      figures.push(await measureDepth(env, load, world, bare, bareClaims, depth, options, notes, failures));
    }
    notes.push(`stub GitHub calls over the run: ${JSON.stringify(env.github.calls())}`);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    await load.stop();
    await env.stop();
  }
  if (options.churnClaims > 0) {
    for (const figure of figures) {
      const started = Date.now();
      const churn = await runClaimChurn({
        claims: options.churnClaims,
        depth: figure.depth,
        workers: 8,
        log: (line) => console.error(`[churn ${figure.depth}] ${line}`),
      }).catch((error: unknown) => {
        failures.push(`churn at depth ${figure.depth}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
        return null;
      });
      if (!churn) continue;
      const last = churn.final.at(-1)!;
      // NaN: the plan has no index scan of jobs (a sequential scan of the queue): the statement's buffers say what it read
      figure.churnBuffers = Number.isNaN(churn.finalScanBuffers) ? Number.POSITIVE_INFINITY : churn.finalScanBuffers;
      figure.churnStatementBuffers = median(churn.final.map((s) => s.statementBuffers));
      notes.push(
        `churn at depth ${figure.depth.toLocaleString('en-US')}: ${last.claims} claims in ${((Date.now() - started) / 1000).toFixed(0)} s (8 agents, no manual VACUUM, ` +
          `${last.autovacuums} autovacuums): claim index scan ${churn.finalScanBuffers} buffers, whole statement ${figure.churnStatementBuffers} ` +
          `(median of 5 after the last claim); during the run: scan buffers max ${Math.max(...churn.samples.map((s) => s.scanBuffers))}`,
      );
      if (figure === figures.at(-1)) notes.push(`claim plan after churn at depth ${figure.depth.toLocaleString('en-US')}:\n${indent(churn.plan)}`);
    }
  }
  return { rows: rowsOf(figures), notes, failures };
}

async function warmUp(env: BenchEnvironment, load: LoadClient, world: ScaleWorld, bareClaims: BareClaimSides, options: ScaleOptions): Promise<void> {
  // JIT, Prisma's plans, the pools' connections; these claims come off the queue like any
  await claimOverHttp(env, load, world.claimUser, Math.min(1000, options.claims));
  await claimOverHttp(env, load, world.claimUser, 300, bareClaims.server.url);
  await statusBurst(env, load, world, Math.min(200, options.statusCalls));
  await waitForDrain(env.db.pool);
  await pbiViews(env, load, world, 50);
  await resetHotJobs(env.db.pool, world);
}

async function measureDepth(
  env: BenchEnvironment,
  load: LoadClient,
  world: ScaleWorld,
  bare: BareStatusServer,
  bareClaims: BareClaimSides,
  depth: number,
  options: ScaleOptions,
  notes: string[],
  failures: string[],
): Promise<DepthFigures> {
  const tag = `depth ${depth.toLocaleString('en-US')}`;
  const perRound = Math.ceil(options.claims / claimRoundOrders.length);
  // Each side's run of a round lasts about as long as the app's (a count from the median of its rates so
  // far): the machine's load is then sampled over the same length of time on each side, where equal counts
  // gave the bare statement a window a third of the app's.
  const countFor = (side: ClaimSide) => Math.min(10 * perRound, Math.max(perRound, Math.round((perRound * estimates[side]) / estimates.app)));
  /** cpuMs: every process in the side's path (the app or this process as the server or pg client, the load generator, PostgreSQL); serverCpuMs: the app's or the bare server's process */
  const sides: Record<ClaimSide, { claimed: number; elapsedMs: number; latenciesMs: number[]; ids: string[]; cpuMs: number; serverCpuMs: number; loadCpuMs: number; pgCpuMs: number }[]> = {
    app: [],
    statement: [],
    bareHttp: [],
  };
  // each run starts from the full depth (claims take a small share of it; no VACUUM in between)
  const estimates = await warmClaimSides(env, load, world, bareClaims);
  const claimRss = await env.app.sampleRss();
  for (const order of claimRoundOrders) {
    for (const side of order) {
      await topUpQueue(env.db.pool, world, depth);
      const count = countFor(side);
      const pgBefore = (await bareClaims.pgCpu?.cpuMs()) ?? 0;
      const appBefore = side === 'app' ? await env.app.cpuMs() : 0;
      const harnessBefore = process.cpuUsage(); // the bare sides' server or pg clients run in this process, idle otherwise then
      let run: { claimed: number; elapsedMs: number; latenciesMs: number[]; ids: string[]; loadCpuMs: number };
      if (side === 'statement') {
        run = { ...(await claimWithBareSql(bareClaims.clients, world.claimUser, count)), loadCpuMs: 0 };
      } else {
        const http = await claimOverHttp(env, load, world.claimUser, count, side === 'app' ? undefined : bareClaims.server.url);
        const name = side === 'app' ? 'claims' : 'bare HTTP claims';
        if (http.problems.length > 0) failures.push(`${tag} ${name}: ${http.problems.join('; ')}`);
        if (http.claimedIds.length !== count) failures.push(`${tag} ${name}: ${http.claimedIds.length} of ${count} claims answered a job`);
        run = { claimed: http.claimedIds.length, elapsedMs: http.elapsedMs, latenciesMs: http.latenciesMs, ids: http.claimedIds, loadCpuMs: http.clientCpuShare * http.elapsedMs };
      }
      const harness = process.cpuUsage(harnessBefore);
      const serverCpuMs = side === 'app' ? (await env.app.cpuMs()) - appBefore : (harness.user + harness.system) / 1000;
      const pgCpuMs = ((await bareClaims.pgCpu?.cpuMs()) ?? 0) - pgBefore;
      sides[side].push({ ...run, serverCpuMs, pgCpuMs, cpuMs: serverCpuMs + run.loadCpuMs + pgCpuMs });
      estimates[side] = median(sides[side].map((r) => perSecond(r.claimed, r.elapsedMs)));
    }
  }
  const claimPeak = await claimRss.stop();
  for (const side of ['app', 'bareHttp'] as const) {
    const ids = sides[side].flatMap((run) => run.ids);
    if (new Set(ids).size !== ids.length) failures.push(`${tag}: a job id was answered to two claims (${side})`);
  }
  const rateOf = (runs: { claimed: number; elapsedMs: number }[]) => perSecond(runs.reduce((n, r) => n + r.claimed, 0), runs.reduce((ms, r) => ms + r.elapsedMs, 0));
  const roundRate = (side: ClaimSide, round: number) => perSecond(sides[side][round]!.claimed, sides[side][round]!.elapsedMs);
  const roundRatios = (over: ClaimSide, under: ClaimSide) => claimRoundOrders.map((_, round) => roundRate(over, round) / roundRate(under, round));
  const ratios = { app: roundRatios('app', 'statement'), appToBareHttp: roundRatios('app', 'bareHttp'), bareHttp: roundRatios('bareHttp', 'statement') };
  // claims per CPU second over every process in the path: what each side would reach with the machine to itself, if CPU-bound
  const roundEfficiency = (side: ClaimSide, round: number) => sides[side][round]!.claimed / sides[side][round]!.cpuMs;
  const cpuRatios = (over: ClaimSide, under: ClaimSide) => claimRoundOrders.map((_, round) => roundEfficiency(over, round) / roundEfficiency(under, round));
  const cpuPerClaim = (side: ClaimSide, pick: (r: (typeof sides)[ClaimSide][number]) => number) =>
    (sides[side].reduce((ms, r) => ms + pick(r), 0) * 1000) / Math.max(1, sides[side].reduce((n, r) => n + r.claimed, 0));
  const appLatencies = sides.app.flatMap((r) => r.latenciesMs);
  const probe = async () => {
    const ids = await insertProbeJobs(env.db.pool, world, 200);
    const body = JSON.stringify({ status: 'running' });
    const result = await load.run({ type: 'requests', baseUrl: bare.url, concurrency: statusConcurrency, requests: ids.map((id) => ({ path: `/jobs/${id}/status`, body })) });
    if ((result.statuses['200'] ?? 0) !== ids.length) failures.push(`${tag} bare status probe: ${JSON.stringify(result.statuses)}`);
    return result.latenciesMs;
  };

  await resetHotJobs(env.db.pool, world);
  await env.db.pool.query('VACUUM (ANALYZE) jobs');
  // the calls in 3 bursts, each followed by its drain: the drain is bimodal (see BENCHMARKS.md), the median says which mode a depth is in
  const probeLatencies = await probe();
  const statusRss = await env.app.sampleRss();
  const bursts: Awaited<ReturnType<typeof statusBurst>>[] = [];
  const drains: number[] = [];
  for (let burst = 0; burst < statusBursts; burst++) {
    bursts.push(await statusBurst(env, load, world, Math.ceil(options.statusCalls / statusBursts)));
    const burstEnded = performance.now();
    if (!(await waitForDrain(env.db.pool))) failures.push(`${tag}: graphile-worker still had check refreshes 120 s after burst ${burst + 1}`);
    drains.push(performance.now() - burstEnded);
  }
  const statusPeak = await statusRss.stop();
  probeLatencies.push(...(await probe()));
  const status = { latenciesMs: bursts.flatMap((b) => b.latenciesMs), elapsedMs: bursts.reduce((sum, b) => sum + b.elapsedMs, 0) };
  const answered = bursts.reduce((sum, b) => sum + (b.statuses['200'] ?? 0), 0);
  if (answered !== bursts.reduce((sum, b) => sum + b.latenciesMs.length, 0) || bursts.some((b) => b.problems.length > 0)) {
    failures.push(`${tag} status: ${bursts.map((b) => `${JSON.stringify(b.statuses)} ${b.problems.join('; ')}`).join(' | ')}`);
  }
  const drainMs = median(drains);
  const afterStatus = await env.app.memory();
  if (options.heapSnapshotDir) await env.app.heapSnapshot(path.join(options.heapSnapshotDir, `scale-app-${depth}.heapsnapshot`));

  const views = await pbiViews(env, load, world, options.pbiViews);
  if ((views.statuses['200'] ?? 0) !== options.pbiViews) failures.push(`${tag} PBI view: ${JSON.stringify(views.statuses)} ${views.problems.join('; ')}`);

  const figure: DepthFigures = {
    depth,
    claimsPerSecond: rateOf(sides.app),
    claimP99: percentile(appLatencies, 99),
    bareClaimsPerSecond: rateOf(sides.statement),
    bareClaimP99: percentile(sides.statement.flatMap((r) => r.latenciesMs), 99),
    bareHttpClaimsPerSecond: rateOf(sides.bareHttp),
    claimRatio: median(ratios.app),
    claimRatioToBareHttp: median(ratios.appToBareHttp),
    bareHttpRatio: median(ratios.bareHttp),
    ...(bareClaims.pgCpu
      ? { claimCpuRatio: median(cpuRatios('app', 'statement')), claimCpuRatioToBareHttp: median(cpuRatios('app', 'bareHttp')), bareHttpCpuRatio: median(cpuRatios('bareHttp', 'statement')) }
      : {}),
    bareStatusP50: percentile(probeLatencies, 50),
    bareStatusP99: percentile(probeLatencies, 99),
    statusP99: percentile(status.latenciesMs, 99),
    statusP50: percentile(status.latenciesMs, 50),
    statusPerSecond: perSecond(status.latenciesMs.length, status.elapsedMs),
    drainMs,
    pbiP50: percentile(views.latenciesMs, 50),
    pbiP99: percentile(views.latenciesMs, 99),
    pbiBytes: views.bodyBytes / Math.max(1, views.latenciesMs.length),
    rssStatusPeak: statusPeak,
    rssClaimPeak: claimPeak,
  };
  const spread = (values: number[]) => `median ${median(values).toFixed(2)}, ${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}`;
  notes.push(
    `${tag}: claims in ${claimRoundOrders.length} rounds of ${perRound} over HTTP to the app (the other sides as long: ` +
      `${sides.statement.map((r) => r.claimed).join('/')} by the statement, ${sides.bareHttp.map((r) => r.claimed).join('/')} to the bare HTTP server), claims/s round by round: app over HTTP ${claimRoundOrders.map((_, r) => roundRate('app', r).toFixed(0)).join(' / ')}; ` +
      `bare statement ${claimRoundOrders.map((_, r) => roundRate('statement', r).toFixed(0)).join(' / ')}; bare HTTP server ${claimRoundOrders.map((_, r) => roundRate('bareHttp', r).toFixed(0)).join(' / ')}. ` +
      `Round ratios: app ÷ statement ${spread(ratios.app)}; app ÷ bare HTTP server ${spread(ratios.appToBareHttp)}; bare HTTP server ÷ statement ${spread(ratios.bareHttp)}` +
      (bareClaims.pgCpu
        ? `. CPU per claim, every process in the path (server or pg clients + load generator + PostgreSQL = all): ` +
          (['app', 'statement', 'bareHttp'] as const)
            .map((side) => `${side} ${(['serverCpuMs', 'loadCpuMs', 'pgCpuMs', 'cpuMs'] as const).map((part) => cpuPerClaim(side, (r) => r[part]).toFixed(0)).join(' + ').replace(/ \+ (\d+)$/, ' = $1')} µs`)
            .join(', ') +
          `; round ratios of claims per CPU second: ` +
          `app ÷ statement ${spread(cpuRatios('app', 'statement'))}; app ÷ bare HTTP server ${spread(cpuRatios('app', 'bareHttp'))}; bare HTTP server ÷ statement ${spread(cpuRatios('bareHttp', 'statement'))}`
        : ''),
    `${tag}: claims ${figure.claimsPerSecond.toFixed(0)}/s over HTTP (p50 ${percentile(appLatencies, 50).toFixed(1)} ms, ` +
      `app process CPU ${cpuPerClaim('app', (r) => r.serverCpuMs).toFixed(0)} µs per claim), bare statement ${figure.bareClaimsPerSecond.toFixed(0)}/s ` +
      `(p50 ${percentile(sides.statement.flatMap((r) => r.latenciesMs), 50).toFixed(1)} ms), bare HTTP server ${figure.bareHttpClaimsPerSecond.toFixed(0)}/s ` +
      `(p50 ${percentile(sides.bareHttp.flatMap((r) => r.latenciesMs), 50).toFixed(1)} ms, its process's CPU ` +
      `${cpuPerClaim('bareHttp', (r) => r.serverCpuMs).toFixed(0)} µs per claim); status running ${figure.statusPerSecond.toFixed(0)}/s, ` +
      `p50 ${figure.statusP50.toFixed(1)} ms; drains ${drains.map((d) => d.toFixed(0)).join(' / ')} ms; PBI view ${(figure.pbiBytes / 1024).toFixed(1)} KiB; memory after the status load: ${afterStatus}`,
  );
  return figure;
}

/**
 * A few claims on every connection of each side, right before the rounds: the depth's ANALYZE
 * invalidated every connection's plan of the claim, and PostgreSQL plans it afresh for each of the
 * next 5 runs on each connection before it settles (cost that the first round's sides paid unevenly).
 */
async function warmClaimSides(env: BenchEnvironment, load: LoadClient, world: ScaleWorld, bareClaims: BareClaimSides): Promise<Record<ClaimSide, number>> {
  const app = await claimOverHttp(env, load, world.claimUser, 200);
  for (let pass = 0; pass < 6; pass++) await Promise.all(bareClaims.clients.map((client, i) => bareClaim(client, world.claimUser, i)));
  await bareClaims.server.warm({ ...world.claimUser.agents[0]!, userId: world.claimUser.id });
  const statement = await claimWithBareSql(bareClaims.clients, world.claimUser, 300);
  const bareHttp = await claimOverHttp(env, load, world.claimUser, 200, bareClaims.server.url);
  // first guesses of the sides' rates, for the first round's counts
  return { app: perSecond(app.claimedIds.length, app.elapsedMs), statement: perSecond(statement.claimed, statement.elapsedMs), bareHttp: perSecond(bareHttp.claimedIds.length, bareHttp.elapsedMs) };
}

/** `count` claims by the user's 16 agents over HTTP: to the app, or to `baseUrl` (the bare claim server). */
async function claimOverHttp(env: BenchEnvironment, load: LoadClient, user: BenchUser, count: number, baseUrl = env.app.url) {
  return load.run({ type: 'claim-count', baseUrl, tokens: user.agents.map((a) => a.token), body: JSON.stringify({ wait_seconds: 0 }), count });
}

interface BareClaimSides {
  server: BareClaimServer;
  /** PostgreSQL's CPU (null off Linux) */
  pgCpu: PgCpuMeter | null;
  /** one pg.Client per agent, connected and warmed once for the whole run */
  clients: pg.Client[];
}

async function connectBareClients(databaseUrl: string, user: BenchUser): Promise<pg.Client[]> {
  const clients = user.agents.map(() => new pg.Client({ connectionString: databaseUrl }));
  await Promise.all(clients.map((client) => client.connect()));
  return clients;
}

// prepared, like the app's
const bareClaim = (client: pg.Client, user: BenchUser, agent: number) =>
  client.query<{ id: string }>({ name: 'bare-claim', text: bareClaimStatement, values: [user.agents[agent]!.tokenId, user.id, allKinds] });

/** `count` claims by the bare claim statement, one client per agent on the user's queue. */
async function claimWithBareSql(clients: pg.Client[], user: BenchUser, count: number): Promise<{ claimed: number; elapsedMs: number; latenciesMs: number[]; ids: string[] }> {
  let sent = 0;
  const ids: string[] = [];
  const latenciesMs: number[] = [];
  const started = performance.now();
  await Promise.all(
    clients.map(async (client, i) => {
      while (sent < count) {
        sent++;
        const t = performance.now();
        const { rows } = await bareClaim(client, user, i);
        latenciesMs.push(performance.now() - t);
        if (rows.length === 0) return;
        ids.push(rows[0]!.id);
      }
    }),
  );
  return { claimed: ids.length, elapsedMs: performance.now() - started, latenciesMs, ids };
}

/** `running` on the first `calls` hot-story jobs, 10 in flight. */
async function statusBurst(env: BenchEnvironment, load: LoadClient, world: ScaleWorld, calls: number) {
  const { rows } = await env.db.pool.query<{ id: string }>(
    `SELECT id FROM jobs WHERE story_id = $1 AND status = 'CLAIMED' ORDER BY id LIMIT $2`,
    [world.hotStoryId, calls],
  );
  const token = world.statusUser.agents[0]!.token;
  const body = JSON.stringify({ status: 'running' });
  return load.run({
    type: 'requests',
    baseUrl: env.app.url,
    concurrency: statusConcurrency,
    requests: rows.map((row) => ({ path: `/api/v1/jobs/${row.id}/status`, token, body })),
  });
}

/** Until graphile-worker holds no refresh_story_check job that can still run (false after 120 s). */
async function waitForDrain(pool: pg.Pool): Promise<boolean> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
        WHERE t.identifier = 'refresh_story_check' AND j.attempts < j.max_attempts`,
    );
    if (rows[0]!.n === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}

async function pbiViews(env: BenchEnvironment, load: LoadClient, world: ScaleWorld, views: number) {
  return load.run({
    type: 'requests',
    baseUrl: env.app.url,
    concurrency: 1,
    requests: Array.from({ length: views }, () => ({ method: 'GET' as const, path: `/api/v1/admin/pbis/${world.hotPbiId}`, token: env.adminToken, body: '' })),
  });
}

type Direction = 'higher' | 'lower';

function rowsOf(figures: DepthFigures[]): BenchRow[] {
  const rows: BenchRow[] = [];
  const first = figures[0];
  if (!first) return rows;
  /** better: which way is good; null: no target relative to the first depth (raw figures, small counts) */
  const metric = (name: string, unit: string, pick: (f: DepthFigures) => number | undefined, better: Direction | null, absolute?: { target: string; pass: (v: number) => boolean }) => {
    const base = pick(first);
    for (const figure of figures) {
      const value = pick(figure);
      if (value === undefined) continue;
      const label = `${name} @ ${figure.depth.toLocaleString('en-US')} queued`;
      const row: BenchRow = { name: label, value, unit };
      const targets: string[] = [];
      let pass: boolean | undefined;
      if (figure !== first && base !== undefined && base > 0 && Number.isFinite(base)) {
        row.baseline = base;
        row.ratio = value / base;
        if (better) {
          targets.push(`within 20 % of ${first.depth.toLocaleString('en-US')}`);
          pass = better === 'higher' ? row.ratio >= 1 - tolerance : row.ratio <= 1 + tolerance;
        }
      }
      if (absolute) {
        targets.push(absolute.target);
        pass = (pass ?? true) && absolute.pass(value);
      }
      if (targets.length > 0) row.target = targets.join(', ');
      if (pass !== undefined) row.pass = pass;
      rows.push(row);
    }
  };
  // Raw figures move with the machine's load (a shared machine: BENCHMARKS.md); the targets are on the
  // figures divided by a baseline measured at the same time, which the data cannot slow down.
  metric(`claims/s over HTTP (${claimAgents} agents)`, 'claims/s', (f) => f.claimsPerSecond, null);
  metric('bare claim statement (16 pg clients, same queue)', 'claims/s', (f) => f.bareClaimsPerSecond, null);
  metric(`bare HTTP claim server (node:http + the statement, pool of ${appPoolSize}, ${claimAgents} in flight)`, 'claims/s', (f) => f.bareHttpClaimsPerSecond, null);
  const rounds = `median of ${claimRoundOrders.length} rounds`;
  metric(`claims over HTTP ÷ bare claim statement (${rounds})`, '×', (f) => f.claimRatio, 'higher', { target: '≥ 0.40 (item 6)', pass: (v) => v >= 0.4 });
  metric(`claims over HTTP ÷ bare HTTP claim server (${rounds})`, '×', (f) => f.claimRatioToBareHttp, 'higher');
  // HTTP's own ceiling: what an app with nothing but node:http and pg in the path could reach of the statement
  metric(`bare HTTP claim server ÷ bare claim statement (${rounds})`, '×', (f) => f.bareHttpRatio, null);
  // the same in claims per CPU second of every process in the path: what the machine's other load moves least
  metric(`claims per CPU second, HTTP ÷ bare claim statement (${rounds})`, '×', (f) => f.claimCpuRatio, 'higher');
  metric(`claims per CPU second, HTTP ÷ bare HTTP claim server (${rounds})`, '×', (f) => f.claimCpuRatioToBareHttp, 'higher');
  metric(`claims per CPU second, bare HTTP claim server ÷ bare claim statement (${rounds})`, '×', (f) => f.bareHttpCpuRatio, null);
  metric('claim latency p99 (HTTP)', 'ms', (f) => f.claimP99, null);
  metric('claim latency p99 ÷ bare claim statement p99', '×', (f) => f.claimP99 / f.bareClaimP99, 'lower');
  metric(`status running p99 (${statusConcurrency} concurrent, hot story)`, 'ms', (f) => f.statusP99, null);
  metric(`bare status server p99 (${statusConcurrency} concurrent, one UPDATE by id)`, 'ms', (f) => f.bareStatusP99, null);
  metric('status running p99 ÷ bare status p99', '×', (f) => f.statusP99 / f.bareStatusP99, 'lower');
  metric('check-refresh drain after a status burst (median of 3)', 'ms', (f) => f.drainMs, 'lower');
  metric('PBI view of the hot PBI p50', 'ms', (f) => f.pbiP50, null);
  metric('PBI view of the hot PBI p99', 'ms', (f) => f.pbiP99, null);
  metric('PBI view p50 ÷ bare status p50', '×', (f) => f.pbiP50 / f.bareStatusP50, 'lower');
  metric('PBI view p99 ÷ bare status p99', '×', (f) => f.pbiP99 / f.bareStatusP99, 'lower');
  metric('RSS peak of the app during the status load', 'MB', (f) => f.rssStatusPeak, 'lower', { target: `< ${rssTarget} MB`, pass: (v) => v < rssTarget });
  metric('RSS peak of the app during the claims', 'MB', (f) => f.rssClaimPeak, 'lower');
  metric('claim index scan buffers after churn (no manual VACUUM)', 'buffers', (f) => f.churnBuffers, null, { target: '< 20', pass: (v) => v < 20 });
  metric('whole claim statement buffers after churn (no manual VACUUM)', 'buffers', (f) => f.churnStatementBuffers, 'lower');
  return rows;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const indent = (text: string) => text.split('\n').map((line) => `    ${line}`).join('\n');

