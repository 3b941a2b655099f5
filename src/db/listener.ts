// A LISTEN on its own connection that comes back by itself: when the
// connection drops it reconnects every second, and says so through onLost,
// because notifications sent in between are gone and listeners must re-check.
import pg from 'pg';
import type { Logger } from '../logger.ts';

export interface Listener {
  stop(): Promise<void>;
}

export async function listenWithReconnect(options: {
  databaseUrl: string;
  channel: string;
  log: Logger;
  onNotification(payload: string | undefined): void;
  onLost?(): void;
  /** after every successful LISTEN, the first and each one after a reconnect */
  onListening?(): void;
}): Promise<Listener> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: options.databaseUrl });
    next.on('notification', (message) => {
      if (message.channel === options.channel) options.onNotification(message.payload || undefined);
    });
    next.on('error', (err) => {
      options.log.warn({ err, channel: options.channel }, 'LISTEN connection lost; reconnecting');
      void next.end().catch(() => {});
      if (client === next) client = undefined;
      options.onLost?.();
      scheduleReconnect();
    });
    await next.connect();
    await next.query(`LISTEN ${options.channel}`);
    client = next;
    options.onListening?.();
  };
  const scheduleReconnect = () => {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      connect().catch(() => scheduleReconnect());
    }, 1000);
    retry.unref();
  };
  await connect();

  return {
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => {});
    },
  };
}
