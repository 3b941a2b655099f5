// Fans the `scrum4me_changes` channel out to this process's live SSE clients:
// one LISTEN connection per process, whatever the number of clients. Events
// come from any replica; announcements too large for NOTIFY carry only their
// seq, and the event is read from change_events.
import { listenWithReconnect } from '../../db/listener.ts';
import type { PrismaClient } from '../../db/client.ts';
import type { Logger } from '../../logger.ts';
import { changesChannel } from './publish.ts';

export interface StreamedEvent {
  seq: bigint;
  type: string;
  userId: string | null;
  payload: unknown;
}

export type EventListener = (event: StreamedEvent) => void;

export interface EventHub {
  /** `onClose` is called when the process shuts down, to end the client's stream */
  subscribe(listener: EventListener, onClose?: () => void): () => void;
  /** events after `seq` still in the backlog, oldest first */
  backlog(afterSeq: bigint, userId: string | null, limit: number): Promise<StreamedEvent[]>;
  stop(): Promise<void>;
}

export async function startEventHub(databaseUrl: string, prisma: PrismaClient, log: Logger): Promise<EventHub> {
  const listeners = new Set<EventListener>();
  const closers = new Map<EventListener, () => void>();

  const deliver = (event: StreamedEvent) => {
    for (const listener of listeners) listener(event);
  };
  let inOrder: Promise<void> = Promise.resolve();
  const onNotification = async (payload: string) => {
    try {
      const parsed = JSON.parse(payload) as { seq: string; event?: { type: string; user_id?: string | null } };
      if (parsed.event) {
        deliver({ seq: BigInt(parsed.seq), type: parsed.event.type, userId: parsed.event.user_id ?? null, payload: parsed.event });
        return;
      }
      const row = await prisma.changeEvent.findUnique({ where: { seq: BigInt(parsed.seq) } });
      if (row) deliver({ seq: row.seq, type: row.type, userId: row.user_id, payload: row.payload });
    } catch (err) {
      log.warn({ err }, 'could not read a change notification');
    }
  };
  const listener = await listenWithReconnect({
    databaseUrl,
    channel: changesChannel,
    log,
    // one at a time, in arrival order: an event read back from the table must
    // not be overtaken by the next one (streams drop what is older than the last sent)
    onNotification: (payload) => {
      if (payload) inOrder = inOrder.then(() => onNotification(payload));
    },
  });

  return {
    subscribe(listener, onClose) {
      listeners.add(listener);
      if (onClose) closers.set(listener, onClose);
      return () => {
        listeners.delete(listener);
        closers.delete(listener);
      };
    },
    async backlog(afterSeq, userId, limit) {
      const rows = await prisma.changeEvent.findMany({
        where: { seq: { gt: afterSeq }, ...(userId === null ? {} : { user_id: userId }) },
        orderBy: { seq: 'asc' },
        take: limit,
      });
      return rows.map((row) => ({ seq: row.seq, type: row.type, userId: row.user_id, payload: row.payload }));
    },
    async stop() {
      for (const close of closers.values()) close();
      listeners.clear();
      closers.clear();
      await listener.stop();
    },
  };
}

/** Keeps the backlog bounded: events older than `maxAgeHours` are dropped. */
export async function pruneChangeEvents(prisma: PrismaClient, maxAgeHours = 24): Promise<number> {
  const { count } = await prisma.changeEvent.deleteMany({ where: { created_at: { lt: new Date(Date.now() - maxAgeHours * 3600_000) } } });
  return count;
}
