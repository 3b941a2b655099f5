// Jobs counted by status (lower case, every status present), as lists show them.
import { JobStatus } from '../../generated/prisma/enums.ts';
import { lower } from '../present.ts';

export type JobCounts = Record<Lowercase<JobStatus>, number>;

export const jobStatusOrder = Object.values(JobStatus).map(lower);

export function countJobs(rows: { status: JobStatus; _count: { _all: number } }[]): JobCounts {
  const counts = Object.fromEntries(jobStatusOrder.map((status) => [status, 0])) as JobCounts;
  for (const row of rows) counts[lower(row.status)] += row._count._all;
  return counts;
}
