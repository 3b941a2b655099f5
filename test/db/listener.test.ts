import { describe, expect, it } from 'vitest';
import { listenWithReconnect } from '../../src/db/listener.ts';
import { createLogger } from '../../src/logger.ts';
import { createTestDatabase } from '../support/database.ts';

describe('listenWithReconnect', () => {
  it('reports a lost connection and hears notifications again once reconnected', async () => {
    const database = await createTestDatabase();
    const heard: string[] = [];
    let lost = 0;
    const listener = await listenWithReconnect({
      databaseUrl: database.url,
      channel: 'test_channel',
      log: createLogger('silent'),
      onNotification: (payload) => heard.push(payload ?? ''),
      onLost: () => lost++,
    });
    const waitFor = async (probe: () => boolean) => {
      for (let i = 0; i < 100 && !probe(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(probe()).toBe(true);
    };
    try {
      await database.db.pool.query(`SELECT pg_notify('test_channel', 'one')`);
      await waitFor(() => heard.includes('one'));
      // the server drops the listening connection
      await database.db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN test_channel%' AND pid <> pg_backend_pid()`);
      await waitFor(() => lost === 1);
      // after the reconnect (about a second), notifications arrive again
      await waitFor(() => {
        void database.db.pool.query(`SELECT pg_notify('test_channel', 'two')`);
        return heard.includes('two');
      });
    } finally {
      await listener.stop();
      await database.drop();
    }
  });
});
