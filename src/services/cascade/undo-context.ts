// What one cascade step works with: its record, its progress, and the context
// of the run (GitHub, the database, the lock check before each write).
import type pg from 'pg';
import type { PrismaClient } from '../../db/client.ts';
import type { CascadeStepAction, CascadeStepState } from '../../generated/prisma/client.ts';
import type { InstallationGitHub, Repo } from '../github/port.ts';
import type { ProductRef } from '../pull-requests/record-pull-request.ts';
import type { StepDecision } from './decide-step.ts';

/** Each finished GitHub call of a step, saved before the next one (merged, never erased: cascade-step-progress.ts). */
export interface StepProgress {
  /** planned for a branch the database knows no pushed work of: ask whether it exists before reading its PRs */
  probe?: 'ref';
  /** the decision of an earlier attempt (decide-step.ts) */
  decided?: StepDecision;
  closed?: boolean;
  commented?: boolean;
  branch_deleted?: boolean;
  revert_pr?: number;
  revert_pr_url?: string;
  original_commented?: boolean;
  manual_revert_commented?: boolean;
}

export interface StepOutcome {
  action: CascadeStepAction;
  state: Exclude<CascadeStepState, 'PENDING'>;
  warning?: string;
  /** the PR the step acted on (undefined: leave the column as it is) */
  pullNumber?: number | null;
  revertPullNumber?: number;
  revertPrUrl?: string;
  /** for the trace, when there is more to say than action and state */
  note?: string;
}

export interface UndoContext {
  prisma: PrismaClient;
  pool: pg.Pool;
  github: InstallationGitHub;
  repo: Repo;
  product: ProductRef & { base_branch: string };
  /** the GitHub id of the product's repository: its own, or (not known yet) what its name answers for */
  repositoryId: number | bigint;
  cascadeId: string;
  failedJob: { id: string; error: string | null };
  cancelledJobIds: string[];
  untouchable: { defaultBranch: string; protectedBranches: string[] };
  /** Right before each write to GitHub: throws StepLockLost when this run no longer holds the step. */
  beforeWrite(): Promise<void>;
}

export interface StepRecord {
  id: string;
  branch: string;
  /** attempts before this one: above zero, an earlier run may have sent writes whose answers were lost */
  attempts: number;
  progress: StepProgress;
}

export type SaveProgress = (patch: StepProgress) => Promise<void>;

export const commentMarker = (cascadeId: string, branch: string, kind: string) => `<!-- scrum4me-cascade:${cascadeId}:${branch}:${kind} -->`;

export const quoteError = (text: string | null) =>
  text
    ? text
        .slice(0, 600)
        .split('\n')
        .map((l) => `> ${l}`)
        .join('\n')
    : '> (no error message)';
