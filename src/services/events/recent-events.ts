// The newest events of the change stream (change_events), newest first, as the
// console's activity page shows them before live ones arrive; and the stream's
// current position, so a page can ask for what came after it.
import type { PrismaClient } from '../../db/client.ts';
import type { StreamedEvent } from './event-hub.ts';

export interface RecentEvent extends StreamedEvent {
  at: Date;
}

export async function recentEvents(prisma: PrismaClient, limit: number): Promise<RecentEvent[]> {
  const rows = await prisma.changeEvent.findMany({ orderBy: { seq: 'desc' }, take: limit });
  return rows.map((row) => ({ seq: row.seq, type: row.type, userId: row.user_id, payload: row.payload, at: row.created_at }));
}

/** The seq of the newest event (0 when there is none). */
export async function latestEventSeq(prisma: PrismaClient): Promise<bigint> {
  const row = await prisma.changeEvent.findFirst({ orderBy: { seq: 'desc' }, select: { seq: true } });
  return row?.seq ?? 0n;
}

/** Events after `seq`, oldest first (a reconnecting activity page catches up with these). */
export async function eventsAfter(prisma: PrismaClient, seq: bigint, limit: number): Promise<RecentEvent[]> {
  const rows = await prisma.changeEvent.findMany({ where: { seq: { gt: seq } }, orderBy: { seq: 'asc' }, take: limit });
  return rows.map((row) => ({ seq: row.seq, type: row.type, userId: row.user_id, payload: row.payload, at: row.created_at }));
}
