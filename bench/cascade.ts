// The PBI fail-cascade: one agent reports `failed` on a task job of a PBI with
// 200 jobs over 40 stories (10 open story PRs, 10 merged, 10 pushed branches
// without PR, 10 with nothing pushed: ./support/cascade-pbi.ts), GitHub being
// the git-backed fake (test/support/fake-github) answering every call after
// 50 ms. Measured: wall time from the failing status call to the cascade being
// done; the GitHub calls made against the fewest the work needs
// (./support/cascade-minimum.ts); the cancellation's database time
// (./support/cascade-db-time.ts); and that the outcome is right (PRs closed
// once, one revert PR per merged PR with the tree real `git revert` gives,
// branches deleted, base untouched, every active sibling cancelled).
// Two scenarios, each on its own database, app and fake GitHub (set up with
// Probot's write pacing off, so the setup takes seconds):
//   unpaced  the app's Octokit without plugin-throttling: the latency-bound floor
//   paced    the app restarted with Probot's Octokit as shipped (1 s between
//            writes, 3 s between writes that notify: comments, PRs)
// `npm run bench -- --only cascade` runs the first; add `--cascade-scenarios unpaced,paced` for both
// (the paced one takes ~2.5 minutes more).
import { performance } from 'node:perf_hooks';
import { gitRevert } from '../test/services/revert/git-revert-oracle.ts';
import type { CallRecord } from '../test/support/fake-github/index.ts';
import { timeCancellation, type CancellationTiming } from './support/cascade-db-time.ts';
import { busyMs, callKind, countByRoute, minimumUndoCalls, routeDifferences, routeOf } from './support/cascade-minimum.ts';
import { buildCascadePbi, type BenchPbi } from './support/cascade-pbi.ts';
import { productionOctokit, startCascadeBenchEnv, unpacedOctokit, type CascadeBenchEnv } from './support/cascade-world.ts';
import { percentile } from './support/stats.ts';
import type { BenchRow } from './support/table.ts';

export type CascadeScenario = 'unpaced' | 'paced';

export interface CascadeBenchResult {
  rows: BenchRow[];
  notes: string[];
  failures: string[];
}

const latencyMs = 50;
const cancellationRuns = 5;
const dbTargetMs = 50;
const failureMessage = 'the integration tests of the checkout fail: 3 of 41 red';

export async function benchCascade(options: { scenarios?: CascadeScenario[] } = {}): Promise<CascadeBenchResult> {
  const scenarios = options.scenarios ?? ['unpaced'];
  const result: CascadeBenchResult = { rows: [], notes: [], failures: [] };
  for (const [i, scenario] of scenarios.entries()) {
    // the database time and the check runs are the same in both: measured in the first one only
    const one = await runScenario(scenario, { first: i === 0 });
    result.rows.push(...one.rows);
    result.notes.push(...one.notes);
    result.failures.push(...one.failures);
  }
  return result;
}

interface Observed {
  wallMs: number;
  failureCallMs: number;
  pickupMs: number;
  githubBusyMs: number;
  /** time with a call in flight beyond what it would be had every call been answered after exactly `latencyMs`: the fake's own (git) work */
  fakeExtraMs: number;
  undoCalls: CallRecord[];
  tokenCalls: CallRecord[];
  checkRunCallsDuring: CallRecord[];
  checkRunCallsAfter: CallRecord[];
  cancelledAnswer: string[];
}

async function runScenario(scenario: CascadeScenario, { first }: { first: boolean }): Promise<CascadeBenchResult> {
  const label = scenario === 'paced' ? "Probot's write pacing on, as shipped" : "Probot's write pacing off";
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const failures: string[] = [];
  const env = await startCascadeBenchEnv(scenario, { Octokit: unpacedOctokit });
  try {
    const pbi = await buildCascadePbi(env, `bench/cascade-${scenario}`);
    await env.settle('the setup’s background work');
    let processCallsFrom = 0;
    if (scenario === 'paced') {
      processCallsFrom = env.fake.calls.length;
      await env.restartApp(productionOctokit);
      // the new process reconciles its products at start (a token, then GET pulls): let that finish first
      const deadline = Date.now() + 30_000;
      while (!env.fake.calls.slice(processCallsFrom).some((c) => routeOf(c) === 'GET /repos/{owner}/{repo}/pulls' && c.finishedAt > 0)) {
        if (Date.now() > deadline) throw new Error('cascade bench: the restarted app did not reconcile its product');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await env.settle('the restarted app’s reconcile');
    }
    const tokenHeld = env.fake.calls.slice(processCallsFrom).some((c) => callKind(c) === 'token' && c.status === 201);

    let timing: { runs: CancellationTiming[]; topStatements: string[] } | undefined;
    if (first) {
      timing = await timeCancellation(env.pool, env.databaseUrl, { pbiId: pbi.pbiId, failingJobId: pbi.failingJobId, error: failureMessage }, cancellationRuns);
    }

    // main is protected, as it usually is: the cascade must read that and keep off it
    env.fake.protectBranch(pbi.repo, 'main');
    const mainBefore = env.fake.branchSha(pbi.repo, 'main')!;
    const minimum = minimumUndoCalls(pbi, mainBefore);
    const observed = await failAndWait(env, pbi, { waitForBackground: first });
    const outcome = await verifyOutcome(env, pbi, observed, mainBefore, { checkRuns: first });
    failures.push(...outcome.problems.map((p) => `cascade (${scenario}): ${p}`));

    const undoCount = observed.undoCalls.length;
    const minTokens = tokenHeld ? 0 : 1;
    const checkRunCalls = [...observed.checkRunCallsDuring, ...observed.checkRunCallsAfter];
    const storyPrs = pbi.stories.filter((s) => s.prNumber !== undefined).length;
    const tag = scenario === 'paced' ? ', paced' : '';

    rows.push(
      {
        name: `failure → cascade done (${outcome.steps} branches, ${observed.cancelledAnswer.length} jobs cancelled), GitHub ${latencyMs} ms per call, ${label}`,
        value: observed.wallMs / 1000,
        unit: 's',
      },
      { name: `… of it, GitHub calls in flight${tag}`, value: observed.githubBusyMs / 1000, unit: 's' },
      { name: `… of those, the fake GitHub's own (git) work beyond ${latencyMs} ms per call${tag}`, value: observed.fakeExtraMs / 1000, unit: 's' },
      {
        name: `… of it, no GitHub call in flight: the app's own time${scenario === 'paced' ? " and Octokit's pacing waits" : ''}${tag}`,
        value: (observed.wallMs - observed.githubBusyMs) / 1000,
        unit: 's',
      },
      {
        name: `≈ wall time had GitHub answered every call in exactly ${latencyMs} ms (wall − the fake's own work)${tag}`,
        value: (observed.wallMs - observed.fakeExtraMs) / 1000,
        unit: 's',
      },
      {
        name: `GitHub calls of the undo vs the minimum the work needs${tag}`,
        value: undoCount,
        baseline: minimum.total,
        ratio: undoCount / minimum.total,
        unit: 'calls',
        target: '= minimum',
        pass: undoCount === minimum.total,
      },
      {
        name: `installation-token requests during the cascade${tag}`,
        value: observed.tokenCalls.length,
        baseline: minTokens,
        unit: 'calls',
        target: `≤ ${minTokens}`,
        pass: observed.tokenCalls.length <= minTokens,
      },
    );
    if (first) {
      rows.push({
        name: `check-run calls from the failure until the background is idle (minimum: 1 per story PR)`,
        value: checkRunCalls.length,
        baseline: storyPrs,
        unit: 'calls',
        target: '= minimum',
        pass: checkRunCalls.length === storyPrs,
      });
    }
    rows.push({ name: `the failing status call, HTTP round trip (the cancellation included)${tag}`, value: observed.failureCallMs, unit: 'ms' });
    if (timing) {
      const tx = timing.runs.map((r) => r.transactionMs);
      const exec = timing.runs.map((r) => r.serverExecMs);
      const cancelled = timing.runs[0]?.cancelled ?? 0;
      const statements = timing.runs[0]?.statements ?? 0;
      rows.push({
        name: `cancellation: the failure's cascade transaction in process (${cancelled} jobs cancelled, ${outcome.steps} steps planned), wall, median of ${cancellationRuns}`,
        value: percentile(tx, 50),
        unit: 'ms',
        target: `< ${dbTargetMs} ms`,
        pass: percentile(tx, 50) < dbTargetMs,
      });
      rows.push({
        name: `cancellation: PostgreSQL execution time of its ${statements} statements (pg_stat_statements), median of ${cancellationRuns}`,
        value: percentile(exec, 50),
        unit: 'ms',
        target: `< ${dbTargetMs} ms`,
        pass: percentile(exec, 50) < dbTargetMs,
      });
      notes.push(
        `cascade: cancellation runs (in process, rolled back, on the bench's world right before its real failure): transaction ${tx.map((t) => t.toFixed(0)).join(' / ')} ms, ` +
          `startCascade alone ${timing.runs.map((r) => r.startCascadeMs.toFixed(0)).join(' / ')} ms, PostgreSQL execution ${exec.map((t) => t.toFixed(1)).join(' / ')} ms, ${statements} statements`,
      );
      notes.push(`cascade: the cancellation's costliest statements: ${timing.topStatements.join(' | ')}`);
    }
    rows.push(...outcome.rows.map((row) => ({ ...row, name: `${row.name}${tag}` })));

    const differences = routeDifferences(countByRoute(observed.undoCalls), minimum.byRoute);
    notes.push(
      `cascade (${scenario}): world set up through the app's APIs in ${(pbi.setupMs / 1000).toFixed(1)} s (operator API: product, backlog, jobs; agent API: claim, verify, running, done; ` +
        `fake GitHub: agents' commits, people merging; every webhook delivered signed); ${observed.cancelledAnswer.length} siblings cancelled`,
    );
    notes.push(
      `cascade (${scenario}): wall ${(observed.wallMs / 1000).toFixed(2)} s = failing call ${observed.failureCallMs.toFixed(0)} ms, queue pickup ${observed.pickupMs.toFixed(0)} ms, ` +
        `GitHub busy ${(observed.githubBusyMs / 1000).toFixed(2)} s (${observed.undoCalls.length + observed.tokenCalls.length + observed.checkRunCallsDuring.length} calls × ${latencyMs} ms ≥ ${(((observed.undoCalls.length + observed.tokenCalls.length + observed.checkRunCallsDuring.length) * latencyMs) / 1000).toFixed(2)} s if serial), ` +
        `the rest ${((observed.wallMs - observed.githubBusyMs - observed.failureCallMs - observed.pickupMs) / 1000).toFixed(2)} s in the app (database, CPU${scenario === 'paced' ? ", Octokit's pacing waits" : ''})`,
    );
    if (first) {
      notes.push(
        `cascade: minimum = ${Object.entries(minimum.byKind)
          .map(([k, v]) => `${k}: ${v.branches} × ${v.callsPerBranch}`)
          .join(', ')}, + 2 per cascade (default branch, protected branches) = ${minimum.total}; tokens counted apart (0 when the process holds an unexpired installation token, as Probot caches them); ` +
          `check runs counted apart (1 update per story PR, to 'cancelled')`,
      );
    }
    const updatesPerRun = countByRoute(checkRunCalls.map((c) => ({ ...c, route: c.path })));
    const updatedTwice = Object.values(updatesPerRun).filter((n) => n > 1).length;
    notes.push(
      `cascade (${scenario}): undo calls by route vs minimum: ${differences.length === 0 ? 'all equal' : differences.join('; ')}` +
        (first
          ? `; check-run calls: ${observed.checkRunCallsDuring.length} during the cascade, ${observed.checkRunCallsAfter.length} after ` +
            `(${Object.entries(countByRoute(checkRunCalls)).map(([r, n]) => `${n} ${r.replace(/\/repos\/\{owner\}\/\{repo\}(?=\/)/, '')}`).join(', ')}), ` +
            `${updatedTwice} check run(s) written more than once`
          : ''),
    );
    notes.push(`cascade (${scenario}): mean answer time of the fake GitHub by route (${latencyMs} ms of it is the set latency): ${meanByRoute(observed.undoCalls)}`);
    if (outcome.warnings.length > 0) notes.push(`cascade (${scenario}): step warnings: ${outcome.warnings.join(' | ')}`);
    return { rows, notes, failures };
  } finally {
    await env.stop();
  }
}

function meanByRoute(calls: readonly CallRecord[]): string {
  const sums = new Map<string, { n: number; ms: number }>();
  for (const c of calls) {
    const entry = sums.get(routeOf(c)) ?? { n: 0, ms: 0 };
    entry.n += 1;
    entry.ms += c.finishedAt - c.startedAt;
    sums.set(routeOf(c), entry);
  }
  return [...sums.entries()]
    .sort((a, b) => b[1].ms / b[1].n - a[1].ms / a[1].n)
    .map(([r, { n, ms }]) => `${r.replace(/\/repos\/\{owner\}\/\{repo\}(?=\/)/, '')} ${(ms / n).toFixed(0)} ms`)
    .join(', ');
}

async function failAndWait(env: CascadeBenchEnv, pbi: BenchPbi, { waitForBackground }: { waitForBackground: boolean }): Promise<Observed> {
  const { fake } = env;
  fake.latencyMs = latencyMs;
  fake.clearCalls();
  const t0 = performance.timeOrigin + performance.now();
  const answer = await env.call('POST', `/api/v1/jobs/${pbi.failingJobId}/status`, { token: pbi.agentToken, body: { status: 'failed', error: failureMessage } });
  const answered = performance.timeOrigin + performance.now();
  if (answer.status !== 200 || !answer.body?.cascade) throw new Error(`cascade bench: the failure answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  const cascadeId = answer.body.cascade.id as string;
  const deadline = Date.now() + 240_000;
  let finishedAt: number;
  for (;;) {
    const { rows } = await env.pool.query<{ status: string; finished_at: Date | null }>('SELECT status::text AS status, finished_at FROM cascades WHERE id = $1', [cascadeId]);
    if (rows[0]?.status === 'DONE' && rows[0].finished_at) {
      finishedAt = rows[0].finished_at.getTime();
      break;
    }
    if (Date.now() > deadline) throw new Error('cascade bench: the cascade did not finish within 4 minutes');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const during = fake.calls.filter((c) => c.startedAt <= finishedAt);
  const firstUndo = during.find((c) => callKind(c) === 'undo' || callKind(c) === 'token');
  // what the cascade leaves to the background (check-run refreshes) runs to its end
  if (waitForBackground) await env.settle('the check-run refreshes after the cascade', { timeoutMs: 180_000, quietMs: 1500 });
  const after = fake.calls.filter((c) => c.startedAt > finishedAt);
  fake.latencyMs = 0;
  const undoCalls = during.filter((c) => callKind(c) === 'undo');
  const lateUndo = after.filter((c) => callKind(c) === 'undo');
  return {
    wallMs: finishedAt - t0,
    failureCallMs: answered - t0,
    pickupMs: firstUndo ? firstUndo.startedAt - answered : 0,
    githubBusyMs: busyMs(during),
    fakeExtraMs: busyMs(during) - busyMs(during, latencyMs),
    undoCalls: [...undoCalls, ...lateUndo],
    tokenCalls: [...during, ...after].filter((c) => callKind(c) === 'token'),
    checkRunCallsDuring: during.filter((c) => callKind(c) === 'check-run'),
    checkRunCallsAfter: after.filter((c) => callKind(c) === 'check-run'),
    cancelledAnswer: answer.body.cascade.cancelled_job_ids as string[],
  };
}

interface Outcome {
  rows: BenchRow[];
  problems: string[];
  warnings: string[];
  steps: number;
}

/** Everything the cascade must have done, checked against the fake's git and the database. */
async function verifyOutcome(env: CascadeBenchEnv, pbi: BenchPbi, observed: Observed, mainBefore: string, options: { checkRuns: boolean }): Promise<Outcome> {
  const { fake } = env;
  const problems: string[] = [];
  const calls = observed.undoCalls;
  const repo = pbi.repo;

  // open PRs: closed (not merged) by exactly one PATCH, commented, branch gone
  const open = pbi.stories.filter((s) => s.kind === 'open');
  const closedOnce = open.filter((s) => {
    const patches = calls.filter((c) => routeOf(c) === 'PATCH /repos/{owner}/{repo}/pulls/{pull_number}' && c.path.endsWith(`/pulls/${s.prNumber}`));
    const pull = fake.pull(repo, s.prNumber!);
    const commented = fake.comments(repo, s.prNumber!).some((c) => c.body.includes(pbi.failingJobId));
    return patches.length === 1 && pull.state === 'closed' && !pull.merged && commented && fake.branchSha(repo, s.branch) === null;
  }).length;

  // merged PRs: one revert PR each, on revert/<branch>-<failed job>, its single commit on today's main with git revert's tree
  const merged = pbi.stories.filter((s) => s.kind === 'merged');
  const allPulls = (name: string) => fake.pullNumbers(name).map((n) => fake.pull(name, n));
  const pulls = allPulls(repo);
  const revertChecks = merged.map((s) => {
    const head = `revert/${s.branch}-${pbi.failingJobId}`;
    const reverts = pulls.filter((p) => p.head?.ref === head);
    if (reverts.length !== 1) return `${s.code}: ${reverts.length} revert PRs`;
    const revert = reverts[0]!;
    if (revert.state !== 'open' || revert.merged) return `${s.code}: revert PR #${revert.number} is ${revert.state}${revert.merged ? ', merged' : ''}`;
    const tip = fake.readCommit(repo, revert.head!.sha!);
    if (tip.parents.length !== 1 || tip.parents[0] !== mainBefore) return `${s.code}: revert commit's parents ${tip.parents.join(',')} are not main (${mainBefore})`;
    const m = s.merge!;
    const args = m.method === 'merge' ? ['-m', '1', m.mergeCommitSha] : m.method === 'squash' ? [m.mergeCommitSha] : [`${m.baseShaBefore}..${m.mergeCommitSha}`];
    const oracle = gitRevert(fake.gitDir(repo), 'main', args);
    if (oracle.kind !== 'clean' || oracle.treeSha !== tip.tree) return `${s.code}: revert tree ${tip.tree} is not git revert's (${oracle.kind === 'clean' ? oracle.treeSha : 'conflict'})`;
    if (!fake.comments(repo, s.prNumber!).some((c) => c.body.includes(revert.html_url!))) return `${s.code}: no comment linking the revert PR`;
    return null;
  });
  const revertProblems = revertChecks.filter((p): p is string => p !== null);
  problems.push(...revertProblems);

  // branches: every story branch of the PBI gone (open, pushed; merged ones were deleted by nobody: GitHub keeps them unless asked)
  const pushed = pbi.stories.filter((s) => s.kind === 'pushed');
  const pushedDeleted = pushed.filter((s) => fake.branchSha(repo, s.branch) === null).length;
  const neverPushed = pbi.stories.filter((s) => s.kind === 'claimed' || s.kind === 'untouched');
  const strayBranches = neverPushed.filter((s) => fake.branchSha(repo, s.branch) !== null).map((s) => s.branch);
  if (strayBranches.length > 0) problems.push(`branches that should not exist: ${strayBranches.join(', ')}`);

  // never touched: main (and anything but the PBI's story branches and its revert branches)
  const storyBranches = new Set(pbi.stories.map((s) => s.branch));
  const refWrites = calls.filter((c) => c.method !== 'GET' && /\/git\/refs/.test(c.path));
  const refOf = (c: CallRecord) => {
    const body = c.requestBody as { ref?: string } | undefined;
    const raw = c.method === 'POST' ? (body?.ref ?? '') : decodeURIComponent(c.path.split('/git/refs/')[1] ?? '');
    return raw.replace(/^refs\//, '').replace(/^heads\//, '');
  };
  const forbiddenWrites = refWrites.filter((c) => {
    const ref = refOf(c);
    return !(storyBranches.has(ref) || ref.startsWith(`revert/`));
  });
  const mergesIntoBase = calls.filter((c) => routeOf(c) === 'POST /repos/{owner}/{repo}/merges' && (c.requestBody as { base?: string } | undefined)?.base === 'main');
  const baseTouched = forbiddenWrites.length + mergesIntoBase.length + (fake.branchSha(repo, 'main') === mainBefore ? 0 : 1);
  if (baseTouched > 0) {
    problems.push(`writes outside the PBI's branches: ${[...forbiddenWrites, ...mergesIntoBase].map((c) => `${c.method} ${c.path}`).join(', ')}${fake.branchSha(repo, 'main') === mainBefore ? '' : '; main moved'}`);
  }

  // the database: every active sibling cancelled by this cascade, done jobs left done, the failed one failed
  const { rows: jobs } = await env.pool.query<{ id: string; status: string; cascade_id: string | null }>(
    'SELECT id, status::text AS status, cascade_id FROM jobs WHERE pbi_id = $1',
    [pbi.pbiId],
  );
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const cascadeId = byId.get(pbi.failingJobId)?.cascade_id ?? null;
  const cancelled = pbi.activeSiblingIds.filter((id) => byId.get(id)?.status === 'CANCELLED' && byId.get(id)?.cascade_id === cascadeId).length;
  const stillActive = jobs.filter((j) => ['QUEUED', 'CLAIMED', 'RUNNING'].includes(j.status)).length;
  if (byId.get(pbi.failingJobId)?.status !== 'FAILED') problems.push(`the failing job is ${byId.get(pbi.failingJobId)?.status}`);
  if (new Set(observed.cancelledAnswer).size !== pbi.activeSiblingIds.length || !pbi.activeSiblingIds.every((id) => observed.cancelledAnswer.includes(id))) {
    problems.push(`the failure's answer lists ${observed.cancelledAnswer.length} cancelled jobs, expected ${pbi.activeSiblingIds.length}`);
  }

  // the cascade's steps as the operator sees them
  const view = await env.call('GET', `/api/v1/admin/pbis/${pbi.pbiId}`);
  const cascade = (view.body.cascades as { status: string; steps: { branch: string; action: string; state: string; warning: string | null }[] }[]).at(-1)!;
  const steps = cascade.steps;
  const unfinished = steps.filter((s) => s.state !== 'done');
  if (unfinished.length > 0) problems.push(`steps not done: ${unfinished.map((s) => `${s.branch} ${s.action} ${s.state}`).join(', ')}`);
  // one step per story with a job: every story here (the untouched ones have queued jobs); only GitHub knows what was pushed
  const expectedSteps = pbi.stories.length;
  if (steps.length !== expectedSteps) problems.push(`${steps.length} steps, expected ${expectedSteps}`);
  const warnings = steps.filter((s) => s.warning).map((s) => `${s.branch}: ${s.warning}`);

  // check runs of the story PRs (on GitHub): the one on each PR's head concluded 'cancelled'
  const prStories = pbi.stories.filter((s) => s.prNumber !== undefined);
  const runs = fake.checkRuns(repo);
  const cancelledChecks = prStories.filter((s) => {
    const head = fake.pull(repo, s.prNumber!).head?.sha;
    return runs.some((c) => c.headSha === head && c.conclusion === 'cancelled');
  }).length;

  const row = (name: string, value: number, expected: number, unit: string): BenchRow => {
    if (value !== expected) problems.push(`${name}: ${value} of ${expected}`);
    return { name, value, unit, target: `= ${expected}`, pass: value === expected };
  };
  return {
    rows: [
      row('open PRs closed by exactly one call, commented, branch deleted', closedOnce, open.length, 'PRs'),
      row("merged PRs with exactly one revert PR whose tree is git revert's", merged.length - revertProblems.length, merged.length, 'PRs'),
      row('pushed PR-less branches deleted', pushedDeleted, pushed.length, 'branches'),
      row('writes to main or to branches outside the PBI', baseTouched, 0, 'calls'),
      row('active sibling jobs cancelled by the cascade', cancelled, pbi.activeSiblingIds.length, 'jobs'),
      row('jobs of the PBI still queued, claimed or running', stillActive, 0, 'jobs'),
      ...(options.checkRuns ? [row("story PRs' check runs concluded 'cancelled'", cancelledChecks, prStories.length, 'PRs')] : []),
    ],
    problems,
    warnings,
    steps: steps.length,
  };
}

// `npx tsx bench/cascade.ts [unpaced|paced]` runs this measurement alone
if (import.meta.url === `file://${process.argv[1]}`) {
  const { renderTable } = await import('./support/table.ts');
  const only = process.argv[2] as CascadeScenario | undefined;
  const result = await benchCascade(only ? { scenarios: [only] } : {});
  console.log(renderTable([{ title: 'cascade', rows: result.rows }]));
  for (const note of [...result.notes, ...result.failures.map((f) => `FAILURE ${f}`)]) console.log(`- ${note}`);
  process.exit(result.failures.length > 0 ? 1 : 0);
}
