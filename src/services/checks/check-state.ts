// The "Scrum4Me" check run of a story, decided from its tasks' latest jobs.
import type { JobStatus, VerifyResult } from '../../generated/prisma/client.ts';
import type { JobUsage, UsageTotals } from '../jobs/job-usage.ts';

export interface TaskRow {
  title: string;
  status: JobStatus | null;
  verifyResult: VerifyResult | null;
  summary: string | null;
  /** the latest job's usage (SPEC §11: reviewers see each task's tokens and cost); null: no job yet */
  usage: JobUsage | null;
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

const tokens = (value: number) => value.toLocaleString('en-US');

/** An exact decimal string as dollars: trailing zeros dropped, at least cents ("0.300000000" → "$0.30"). */
export function formatUsd(cost: string): string {
  const [whole, fraction = ''] = cost.split('.');
  const digits = fraction.replace(/0+$/, '').padEnd(2, '0');
  return `$${whole}.${digits}`;
}

function tokenCell(usage: JobUsage | null): string {
  if (!usage || usage.input_tokens === null) return '–';
  const cache = (usage.cache_read_tokens ?? 0) + (usage.cache_write_tokens ?? 0) > 0
    ? ` · ${tokens(usage.cache_read_tokens ?? 0)} cache read · ${tokens(usage.cache_write_tokens ?? 0)} cache write`
    : '';
  return `${tokens(usage.input_tokens)} in · ${tokens(usage.output_tokens ?? 0)} out${cache}`;
}

function costCell(usage: JobUsage | null): string {
  if (!usage || usage.input_tokens === null) return '–';
  return usage.cost_usd === null ? `unpriced (${cell(usage.model_id)})` : formatUsd(usage.cost_usd);
}

function storyTotalLine(total: UsageTotals): string {
  const cost = formatUsd(total.cost_usd);
  const unpriced = total.unpriced_jobs > 0 ? ` (+ ${total.unpriced_jobs} job(s) on a model with no price: tokens counted, cost not)` : '';
  return (
    `**Story total** (every job of the story, earlier attempts included): ${tokens(total.input_tokens)} input, ` +
    `${tokens(total.output_tokens)} output, ${tokens(total.cache_read_tokens)} cache-read and ${tokens(total.cache_write_tokens)} cache-write tokens; ` +
    `${cost}${unpriced}`
  );
}

export function renderCheckOutput(storyTitle: string, rows: TaskRow[], state: CheckState, storyTotal: UsageTotals): { title: string; summary: string; text: string } {
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
    '| task | job | verify | tokens | cost | summary |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${cell(r.title)} | ${r.status ? r.status.toLowerCase() : 'not queued'} | ${r.verifyResult ? r.verifyResult.toLowerCase() : '–'} | ` +
        `${tokenCell(r.usage)} | ${costCell(r.usage)} | ${cell(r.summary)} |`,
    ),
  ].join('\n');
  return { title, summary: `Story: ${storyTitle}\n\n${storyTotalLine(storyTotal)}`, text: `${table}\n\nTokens and cost per task are its latest job's, as its agent last reported them.` };
}
