// Appends to a job's or a cascade's trace (GET /api/v1/jobs/{id} shows it).
import type { Prisma } from '../../generated/prisma/client.ts';

export type TraceLevel = 'INFO' | 'WARN' | 'ERROR';
const maxMessageLength = 2000;

export async function addTrace(
  tx: Pick<Prisma.TransactionClient, 'traceEntry'>,
  entry: { job_id?: string; cascade_id?: string; level?: TraceLevel; message: string },
): Promise<void> {
  await tx.traceEntry.create({
    data: {
      job_id: entry.job_id ?? null,
      cascade_id: entry.cascade_id ?? null,
      level: entry.level ?? 'INFO',
      message: entry.message.slice(0, maxMessageLength),
    },
  });
}
