// The columns that describe a job, in one place: the PBI board and the jobs
// list both render these (a new column here is a new column in both).
import type { VNode } from 'preact';
import type { JobUsage } from '../../services/jobs/job-usage.ts';
import { Badge, JobCost, LongText, TokenUsage } from './components.tsx';

export interface JobRowData {
  id: string;
  status: string;
  user: string;
  verify_result: string | null;
  summary: string | null;
  error: string | null;
  usage: JobUsage | null;
}

export interface JobColumn {
  header: string;
  className?: string;
  cell(job: JobRowData): VNode | string;
}

export const jobColumns: JobColumn[] = [
  { header: 'Status', cell: (job) => <Badge value={job.status} /> },
  { header: 'Agent', cell: (job) => job.user },
  { header: 'Verify', cell: (job) => (job.verify_result ? <Badge value={job.verify_result} /> : <span class="muted">–</span>) },
  { header: 'Summary', className: 'wide', cell: (job) => <LongText text={job.summary} /> },
  { header: 'Error', className: 'wide', cell: (job) => <LongText text={job.error} className="error-text" /> },
  { header: 'Tokens', cell: (job) => <TokenUsage usage={job.usage} /> },
  { header: 'Cost', cell: (job) => <JobCost usage={job.usage} /> },
];

export function JobHeaderCells() {
  return (
    <>
      {jobColumns.map((column) => (
        <th scope="col" class={column.className}>
          {column.header}
        </th>
      ))}
    </>
  );
}

export function JobCells({ job }: { job: JobRowData }) {
  return (
    <>
      {jobColumns.map((column) => (
        <td class={column.className}>{column.cell(job)}</td>
      ))}
    </>
  );
}
