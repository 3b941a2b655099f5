// The S10 event of a job, published from TypeScript, and the wake-up signal
// for claimers. The event's one definition (both encodings) is
// src/db/sql/job-status-event.ts; the SQL of the signal is src/db/sql/job-event-wakeup.ts.
import type { Prisma } from '../../generated/prisma/client.ts';
import { jobsQueuedChannel, signalJobsQueuedSql } from '../../db/sql/job-event-wakeup.ts';
import { jobStatusEvent, type JobEventRow } from '../../db/sql/job-status-event.ts';
import { publishChange } from '../events/publish.ts';

export { jobsQueuedChannel };
export { isoSql, jobStatusEvent, jobStatusEventSql, type JobEventRow } from '../../db/sql/job-status-event.ts';

type Tx = Pick<Prisma.TransactionClient, '$queryRawUnsafe' | '$executeRawUnsafe'>;

export async function publishJobStatus(tx: Tx, job: JobEventRow): Promise<void> {
  await publishChange(tx, jobStatusEvent(job));
}

export async function signalJobsQueued(tx: Tx, userId: string): Promise<void> {
  await tx.$executeRawUnsafe(signalJobsQueuedSql, userId);
}
