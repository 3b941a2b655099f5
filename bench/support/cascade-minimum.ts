// The fewest GitHub calls the cascade's work needs, per branch, from docs/cascade.md
// and docs/revert.md (one fresh read per step included: SPEC §6 asks each step to
// read GitHub right before it acts), computed from the world as it is at the failure; and the
// calls the fake GitHub logged, sorted by what made them.
import type { CallRecord } from '../../test/support/fake-github/index.ts';
import type { BenchPbi, BenchStory } from './cascade-pbi.ts';

export interface MinimumCalls {
  /** per route, `METHOD /octokit/route` */
  byRoute: Record<string, number>;
  total: number;
  /** per story kind: calls per branch × branches */
  byKind: Record<string, { branches: number; callsPerBranch: string; calls: number }>;
}

const route = {
  repo: 'GET /repos/{owner}/{repo}',
  protectedBranches: 'GET /repos/{owner}/{repo}/branches',
  closePull: 'PATCH /repos/{owner}/{repo}/pulls/{pull_number}',
  comment: 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
  deleteRef: 'DELETE /repos/{owner}/{repo}/git/refs/{ref}',
  getCommit: 'GET /repos/{owner}/{repo}/git/commits/{commit_sha}',
  getBranch: 'GET /repos/{owner}/{repo}/branches/{branch}',
  createCommit: 'POST /repos/{owner}/{repo}/git/commits',
  createRef: 'POST /repos/{owner}/{repo}/git/refs',
  merge: 'POST /repos/{owner}/{repo}/merges',
  updateRef: 'PATCH /repos/{owner}/{repo}/git/refs/{ref}',
  openPull: 'POST /repos/{owner}/{repo}/pulls',
  listPulls: 'GET /repos/{owner}/{repo}/pulls',
  getRef: 'GET /repos/{owner}/{repo}/git/ref/{ref}',
};

/**
 * The undo's minimum (the worker's `cascade_undo`; check runs and tokens apart):
 * - per cascade: the default branch and the protected branches (GET repos/{o}/{r},
 *   GET branches?protected=true): §6 forbids touching them, and neither is in our records = 2;
 * - per branch, the fresh read SPEC §6 asks for right before a step acts (GET pulls?head=…&state=all) = 1,
 *   then:
 * - open PR: close + comment + delete the branch = 1 + 3;
 * - merged PR (merge method and base-before-merge known from the webhook): the revert's reads
 *   of P and of the base tip B (2), then B = M: commit R + create the revert branch (2), else
 *   commit C + revert branch at B + POST merges + commit R + force the branch (5); then the
 *   revert PR and the comment on the original = 2; so 1 + 6 (B = M) or 1 + 9;
 * - pushed branch without PR: delete = 1 + 1;
 * - a job was claimed but nothing pushed: delete = 1 + 1 (answers 422): only GitHub knows whether
 *   an agent pushed, and the delete asks and deletes in one call;
 * - never claimed as far as the database knows (queued, or requeued after a claim timed out,
 *   which forgets the claim): GET git/ref/heads/{branch} = 1 (404: no branch, so no PR to read).
 */
export function minimumUndoCalls(pbi: BenchPbi, mainTipAtFailure: string): MinimumCalls {
  const byRoute: Record<string, number> = {};
  const add = (name: string, n = 1) => {
    byRoute[name] = (byRoute[name] ?? 0) + n;
  };
  const byKind: MinimumCalls['byKind'] = {};
  const kind = (name: string, perBranch: string, calls: number) => {
    const entry = (byKind[name] ??= { branches: 0, callsPerBranch: perBranch, calls: 0 });
    entry.branches += 1;
    entry.calls += calls;
  };
  add(route.repo);
  add(route.protectedBranches);
  for (const story of pbi.stories) {
    switch (story.kind) {
      case 'open':
        add(route.listPulls);
        add(route.closePull);
        add(route.comment);
        add(route.deleteRef);
        kind('open PR', '1 + 3', 4);
        break;
      case 'merged': {
        add(route.listPulls);
        add(route.getCommit);
        add(route.getBranch);
        const fast = isFastPath(story, mainTipAtFailure);
        if (fast) {
          add(route.createCommit);
          add(route.createRef);
        } else {
          add(route.createCommit, 2);
          add(route.createRef);
          add(route.merge);
          add(route.updateRef);
        }
        add(route.openPull);
        add(route.comment);
        kind(fast ? 'merged PR, base tip = merge commit' : 'merged PR, base moved on', fast ? '1 + 2 + 2 + 2' : '1 + 2 + 5 + 2', fast ? 7 : 10);
        break;
      }
      case 'pushed':
        add(route.listPulls);
        add(route.deleteRef);
        kind('pushed branch, no PR', '1 + 1', 2);
        break;
      case 'claimed':
        add(route.listPulls);
        add(route.deleteRef);
        kind('claimed, nothing pushed', '1 + 1 (422)', 2);
        break;
      case 'untouched':
        add(route.getRef);
        kind('never claimed (jobs queued)', '1 (404)', 1);
        break;
    }
  }
  const total = Object.values(byRoute).reduce((a, b) => a + b, 0);
  return { byRoute, total, byKind };
}

export function isFastPath(story: BenchStory, mainTipAtFailure: string): boolean {
  return story.merge?.mergeCommitSha === mainTipAtFailure;
}

export type CallKind = 'token' | 'check-run' | 'app' | 'undo';

export function callKind(call: CallRecord): CallKind {
  const name = call.route ?? `${call.method} ${call.path}`;
  if (name.includes('/access_tokens')) return 'token';
  if (name.includes('/check-runs')) return 'check-run';
  // app-level calls of other background work (the webhook healer's GET /app/hook/deliveries)
  if (/ \/app(\/|$)/.test(name)) return 'app';
  return 'undo';
}

export const routeOf = (call: CallRecord): string => call.route ?? `${call.method} ${call.path}`;

export function countByRoute(calls: readonly CallRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) counts[routeOf(call)] = (counts[routeOf(call)] ?? 0) + 1;
  return counts;
}

/** Routes where the observed count differs from the minimum, as `route: observed vs minimum`. */
export function routeDifferences(observed: Record<string, number>, minimum: Record<string, number>): string[] {
  const routes = [...new Set([...Object.keys(observed), ...Object.keys(minimum)])].sort();
  return routes.filter((r) => (observed[r] ?? 0) !== (minimum[r] ?? 0)).map((r) => `${r}: ${observed[r] ?? 0} vs ${minimum[r] ?? 0}`);
}

/**
 * Milliseconds during which at least one of the calls was in flight; with `capMs`, as if
 * each call had been answered after at most `capMs` (the fake's own work beyond it left out).
 */
export function busyMs(calls: readonly CallRecord[], capMs = Infinity): number {
  const intervals = calls
    .filter((c) => c.finishedAt > 0)
    .map((c) => [c.startedAt, Math.min(c.finishedAt, c.startedAt + capMs)] as const)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  let start = -Infinity;
  for (const [s, e] of intervals) {
    if (s > end) {
      if (end > start) total += end - start;
      start = s;
      end = e;
    } else if (e > end) {
      end = e;
    }
  }
  if (end > start) total += end - start;
  return total;
}
