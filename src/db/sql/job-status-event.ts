// The S10 event of a job (`claude_job_status`), from one field list: each
// field names the jobs column it shows and how it is written (as stored, lower
// case, ISO time), and both encodings are made from that list — the object
// TypeScript publishes (publishChange) and the json_build_object the
// hand-written statements (claim, quick status, cascade) store in the same
// statement as the change itself.

/** The jobs columns the event shows (a Prisma Job row has them all). */
export interface JobEventRow {
  id: string;
  task_id: string | null;
  user_id: string;
  product_id: string;
  status: string;
  branch: string | null;
  pushed_at: Date | null;
  pr_url: string | null;
  verify_result: string | null;
  summary: string | null;
  error: string | null;
}

export interface JobStatusEvent {
  type: 'claude_job_status';
  job_id: string;
  task_id: string | null;
  user_id: string;
  product_id: string;
  status: string;
  branch: string | null;
  pushed_at: string | null;
  pr_url: string | null;
  verify_result: string | null;
  summary: string | null;
  error: string | null;
}

type Format = 'stored' | 'lower' | 'iso';

/** Every event field but `type`: the column it shows and its format (the compiler checks none is missing). */
const jobStatusEventFields = {
  job_id: ['id', 'stored'],
  task_id: ['task_id', 'stored'],
  user_id: ['user_id', 'stored'],
  product_id: ['product_id', 'stored'],
  status: ['status', 'lower'],
  branch: ['branch', 'stored'],
  pushed_at: ['pushed_at', 'iso'],
  pr_url: ['pr_url', 'stored'],
  verify_result: ['verify_result', 'lower'],
  summary: ['summary', 'stored'],
  error: ['error', 'stored'],
} as const satisfies Record<Exclude<keyof JobStatusEvent, 'type'>, readonly [keyof JobEventRow, Format]>;

const fieldList = Object.entries(jobStatusEventFields) as [keyof typeof jobStatusEventFields, readonly [keyof JobEventRow, Format]][];

/** A TIMESTAMP(3) column (UTC) as `Date.toISOString()` writes it. */
export const isoSql = (column: string) => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const inTypeScript: Record<Format, (value: string | Date | null) => string | null> = {
  stored: (value) => value as string | null,
  lower: (value) => (value == null ? null : String(value).toLowerCase()),
  iso: (value) => (value == null ? null : (value as Date).toISOString()),
};

const inSql: Record<Format, (column: string) => string> = {
  stored: (column) => column,
  lower: (column) => `lower(${column}::text)`,
  iso: isoSql,
};

export function jobStatusEvent(job: JobEventRow): JobStatusEvent {
  const event: Record<string, string | null> = { type: 'claude_job_status' };
  for (const [field, [column, format]] of fieldList) event[field] = inTypeScript[format](job[column]);
  return event as unknown as JobStatusEvent;
}

/** jobStatusEvent() as an SQL expression, for a `jobs` row named `j`. */
export const jobStatusEventSql = (j: string) =>
  `json_build_object('type', 'claude_job_status', ${fieldList.map(([field, [column, format]]) => `'${field}', ${inSql[format](`${j}.${column}`)}`).join(', ')})`;
