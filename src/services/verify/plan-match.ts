// Plan verification: which plan paths (globs allowed) the changed files cover.
import picomatch from 'picomatch';
import type { VerifyResult } from '../../generated/prisma/client.ts';

export interface PlanMatch {
  verify_result: VerifyResult;
  missing_paths: string[];
  unexpected_paths: string[];
}

function matcherFor(planPath: string): (path: string) => boolean {
  // "src/login/" means everything under it
  const pattern = planPath.endsWith('/') ? `${planPath}**` : planPath;
  const glob = picomatch(pattern, { dot: true });
  return (path) => path === planPath || glob(path);
}

/** none changed → EMPTY; every plan path covered → ALIGNED; some → PARTIAL; none → DIVERGENT */
export function matchPlan(planPaths: string[], changedPaths: string[]): PlanMatch {
  const matchers = planPaths.map((p) => ({ planPath: p, matches: matcherFor(p) }));
  const missing = matchers.filter((m) => !changedPaths.some((changed) => m.matches(changed))).map((m) => m.planPath);
  const unexpected = changedPaths.filter((changed) => !matchers.some((m) => m.matches(changed)));
  let result: VerifyResult;
  if (changedPaths.length === 0) result = 'EMPTY';
  else if (missing.length === 0) result = 'ALIGNED';
  else if (missing.length < planPaths.length) result = 'PARTIAL';
  else result = 'DIVERGENT';
  return { verify_result: result, missing_paths: missing, unexpected_paths: unexpected };
}
