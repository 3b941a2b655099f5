// One step of a cascade is undone by one process at a time (SPEC §6). A run of
// the cascade takes one dedicated connection from the pool and, per step, a
// session advisory lock on it (src/db/sql/cascade-step-lock.ts) for as long as
// the step acts on GitHub:
//   - a second run (another replica whose worker judged this one dead, or an
//     overlapping call) does not get the lock and leaves the step alone;
//   - the step's progress is committed call by call on other connections, so a
//     crash keeps it (a row lock held in a transaction would block those writes);
//   - if the lock's connection drops, PostgreSQL releases the lock while this
//     process may still be acting; so before each write to GitHub the step checks
//     that it still holds the lock (one round trip) and stops when it does not,
//     and every write is also preceded by a read of what GitHub already has
//     (undo-branch.ts), so a run that takes over repeats no effect.
// What is left: a write already sent when the connection dropped may land after
// the next run read GitHub (a window of one request).
import type pg from 'pg';
import { cascadeStepLockAliveSql, releaseCascadeStepLockSql, tryCascadeStepLockSql } from '../../db/sql/cascade-step-lock.ts';

/** The step lock was lost (its connection dropped): stop acting; the queue retries the cascade later. */
export class StepLockLost extends Error {
  constructor(readonly stepId: string) {
    super(`lost the lock of cascade step ${stepId} (its database connection dropped); another run may take the step over`);
    this.name = 'StepLockLost';
  }
}

export interface StepLocks {
  /** Takes the step's lock if no other session holds it. */
  tryLock(stepId: string): Promise<boolean>;
  /** Throws StepLockLost unless this run still holds the step's lock: call it right before each write. */
  assertHeld(stepId: string): Promise<void>;
  unlock(stepId: string): Promise<void>;
  /** Releases every lock (by returning the connection, or by closing it when it failed). */
  close(): Promise<void>;
}

export async function openStepLocks(pool: pg.Pool): Promise<StepLocks> {
  const client = await pool.connect();
  let broken: Error | null = null;
  // a dropped connection must not crash the process: note it, and fail the next check
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  const held = new Set<string>();
  const query = async <Row extends Record<string, unknown>>(text: string, stepId: string): Promise<Row> => {
    try {
      const { rows } = await client.query<Row>(text, [stepId]);
      return rows[0]!;
    } catch (error) {
      broken ??= error as Error;
      throw error;
    }
  };
  return {
    async tryLock(stepId) {
      const { locked } = await query<{ locked: boolean }>(tryCascadeStepLockSql, stepId);
      if (locked) held.add(stepId);
      return locked;
    },
    async assertHeld(stepId) {
      if (broken || !held.has(stepId)) throw new StepLockLost(stepId);
      const alive = await query<{ held: boolean }>(cascadeStepLockAliveSql, stepId).catch(() => ({ held: false }));
      if (!alive.held) throw new StepLockLost(stepId);
    },
    async unlock(stepId) {
      if (!held.delete(stepId) || broken) return;
      await query(releaseCascadeStepLockSql, stepId).catch(() => {});
    },
    async close() {
      client.off('error', onError);
      // a connection that failed is closed, not returned: its locks are gone with it
      client.release(broken ?? (held.size > 0 ? new Error('cascade step locks still held') : undefined));
      held.clear();
    },
  };
}
