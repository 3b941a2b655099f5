// The "Scrum4Me" check run of a story, decided from its tasks' latest jobs.
import type { JobStatus, VerifyResult } from '../../generated/prisma/client.ts';

export interface TaskRow {
  title: string;
  status: JobStatus | null;
  verifyResult: VerifyResult | null;
  summary: string | null;
}

export type CheckState =
  | { status: 'in_progress'; conclusion: null }
  | { status: 'completed'; conclusion: 'success' | 'failure' | 'cancelled' | 'neutral' };

/**
 * in_progress while a task job is queued, claimed or running; failure when one
 * failed; cancelled after a cascade; success when every task is done; neutral
 * when tasks were never worked.
 */
export function decideCheckState(rows: TaskRow[], cascaded: boolean): CheckState {
  const statuses = rows.map((r) => r.status);
  if (statuses.some((s) => s === 'QUEUED' || s === 'CLAIMED' || s === 'RUNNING')) return { status: 'in_progress', conclusion: null };
  if (statuses.includes('FAILED')) return { status: 'completed', conclusion: 'failure' };
  if (cascaded || statuses.includes('CANCELLED')) return { status: 'completed', conclusion: 'cancelled' };
  if (rows.length > 0 && statuses.every((s) => s === 'DONE')) return { status: 'completed', conclusion: 'success' };
  return { status: 'completed', conclusion: 'neutral' };
}

const cell = (text: string | null) => (text ?? '').replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim().slice(0, 300) || '–';

export function renderCheckOutput(storyTitle: string, rows: TaskRow[], state: CheckState): { title: string; summary: string; text: string } {
  const done = rows.filter((r) => r.status === 'DONE').length;
  const title =
    state.status === 'in_progress'
      ? `${done}/${rows.length} tasks done, work in progress`
      : state.conclusion === 'success'
        ? `All ${rows.length} tasks done`
        : state.conclusion === 'failure'
          ? 'A task failed'
          : state.conclusion === 'cancelled'
            ? 'Cancelled by the PBI fail-cascade'
            : `${done}/${rows.length} tasks done`;
  const table = [
    '| task | job | verify | summary |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${cell(r.title)} | ${r.status ? r.status.toLowerCase() : 'not queued'} | ${r.verifyResult ? r.verifyResult.toLowerCase() : '–'} | ${cell(r.summary)} |`),
  ].join('\n');
  return { title, summary: `Story: ${storyTitle}`, text: table };
}
