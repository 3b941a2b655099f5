// Keeps open PBI boards live. One channel per PBI that has a board open in
// this process, whatever the number of browsers: a change re-reads the board
// once, renders its fragments with the page's own components, and sends each
// browser only the fragments whose HTML changed.
//
// What makes a board change: a job status event of one of its tasks, or a
// cascade event, on the app's event hub; and a row of its PRs, check runs,
// cascades or undo steps, announced by a trigger (migration
// 20261203060400_console_sessions) on channel `scrum4me_console`, from any replica.
import { listenWithReconnect, type Listener } from '../../db/listener.ts';
import type { Logger } from '../../logger.ts';
import type { EventHub, StreamedEvent } from '../../services/events/event-hub.ts';
import type { Fragment } from '../views/board.tsx';

export const boardChangesChannel = 'scrum4me_console';
/** changes that arrive together (a cascade's many rows) cost one re-read */
const coalesceMs = 40;

export interface BoardClient {
  send(fragments: Fragment[]): void;
  close(): void;
}

export interface BoardFeed {
  /** adds a browser to the PBI's channel and sends it the board as it is now; rejects when the PBI does not exist */
  subscribe(pbiId: string, client: BoardClient): Promise<() => void>;
  /** the newest event seq this process has seen (the SSE id of what it sends) */
  lastSeq(): bigint;
}

interface Channel {
  pbiId: string;
  clients: Set<BoardClient>;
  /** fragment id → the HTML every client of the channel has */
  current: Map<string, string>;
  taskIds: string[];
  ready: Promise<void>;
  timer: NodeJS.Timeout | undefined;
  refreshing: boolean;
  again: boolean;
}

export function createBoardFeed(options: {
  hub: EventHub;
  databaseUrl: string;
  log: Logger;
  load(pbiId: string): Promise<{ fragments: Fragment[]; taskIds: string[] }>;
}): BoardFeed {
  const { hub, log } = options;
  const channels = new Map<string, Channel>();
  const pbiOfTask = new Map<string, string>();
  let seq = 0n;
  let started: Promise<void> | undefined;
  let listener: Listener | undefined;
  let stopped = false;

  const onEvent = (event: StreamedEvent) => {
    if (event.seq > seq) seq = event.seq;
    const payload = (event.payload ?? {}) as { pbi_id?: unknown; task_id?: unknown };
    const pbiId = typeof payload.pbi_id === 'string' ? payload.pbi_id : typeof payload.task_id === 'string' ? pbiOfTask.get(payload.task_id) : undefined;
    if (pbiId) changed(pbiId);
  };

  const start = () =>
    (started ??= (async () => {
      hub.subscribe(onEvent, () => {
        // the process is shutting down: end every board's stream
        stopped = true;
        for (const channel of channels.values()) for (const client of channel.clients) client.close();
        void listener?.stop();
      });
      listener = await listenWithReconnect({
        databaseUrl: options.databaseUrl,
        channel: boardChangesChannel,
        log,
        onNotification: (pbiId) => {
          if (pbiId) changed(pbiId);
        },
        // announcements were lost while the connection was down: every board re-reads
        onLost: () => {
          for (const pbiId of channels.keys()) changed(pbiId);
        },
      });
    })());

  const changed = (pbiId: string) => {
    const channel = channels.get(pbiId);
    if (!channel || channel.timer) return;
    channel.timer = setTimeout(() => {
      channel.timer = undefined;
      void refresh(channel);
    }, coalesceMs);
  };

  const index = (channel: Channel, taskIds: string[]) => {
    for (const taskId of channel.taskIds) pbiOfTask.delete(taskId);
    channel.taskIds = taskIds;
    for (const taskId of taskIds) pbiOfTask.set(taskId, channel.pbiId);
  };

  const refresh = async (channel: Channel) => {
    if (channel.refreshing) {
      channel.again = true;
      return;
    }
    channel.refreshing = true;
    try {
      const { fragments, taskIds } = await options.load(channel.pbiId);
      index(channel, taskIds);
      const differ = fragments.filter((f) => channel.current.get(f.id) !== f.html);
      for (const fragment of differ) channel.current.set(fragment.id, fragment.html);
      if (differ.length > 0) for (const client of channel.clients) client.send(differ);
    } catch (err) {
      log.warn({ err, pbiId: channel.pbiId }, 'console: board not refreshed');
    } finally {
      channel.refreshing = false;
      if (channel.again) {
        channel.again = false;
        changed(channel.pbiId);
      }
    }
  };

  const open = (pbiId: string): Channel => {
    const existing = channels.get(pbiId);
    if (existing) return existing;
    const channel: Channel = { pbiId, clients: new Set(), current: new Map(), taskIds: [], ready: Promise.resolve(), timer: undefined, refreshing: false, again: false };
    channel.ready = options.load(pbiId).then(({ fragments, taskIds }) => {
      index(channel, taskIds);
      for (const fragment of fragments) channel.current.set(fragment.id, fragment.html);
    });
    channels.set(pbiId, channel);
    return channel;
  };

  const close = (channel: Channel) => {
    if (channel.clients.size > 0 || channels.get(channel.pbiId) !== channel) return;
    channels.delete(channel.pbiId);
    if (channel.timer) clearTimeout(channel.timer);
    for (const taskId of channel.taskIds) pbiOfTask.delete(taskId);
  };

  return {
    async subscribe(pbiId, client) {
      if (stopped) throw new Error('the console feed has stopped');
      await start();
      const channel = open(pbiId);
      try {
        await channel.ready;
      } catch (error) {
        close(channel);
        throw error;
      }
      channel.clients.add(client);
      // what it shows may be older than this (a page rendered a while ago, a reconnect): send all of it
      client.send([...channel.current].map(([id, html]) => ({ id, html })));
      return () => {
        channel.clients.delete(client);
        close(channel);
      };
    },
    lastSeq: () => seq,
  };
}
