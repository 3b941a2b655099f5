// The lock a cascade step is undone under (SPEC §6: two processes never run one
// step at once). Why hand-written: it is a session-level advisory lock held on
// one dedicated connection for as long as the step acts on GitHub, which neither
// Prisma nor a transaction gives: a row lock (SELECT … FOR UPDATE) would block
// the step's own progress writes, which are committed one by one on other
// connections so that a crash keeps them. Two-key form, so its keys never meet
// the one-key locks of the PBI (pbi-lock.ts) or of the background worker.
// If the connection drops, PostgreSQL releases the lock: the step checks the
// connection before each write (cascadeStepLockAliveSql) and stops when it is gone.

/** $1: the step id. One row: `locked` true when this session now holds it. */
export const tryCascadeStepLockSql = `SELECT pg_try_advisory_lock(hashtext('scrum4me:cascade-step'), hashtext($1::text)) AS locked`;

/** $1: the step id. */
export const releaseCascadeStepLockSql = `SELECT pg_advisory_unlock(hashtext('scrum4me:cascade-step'), hashtext($1::text)) AS released`;

/** $1: the step id. True while this session holds the step's lock. */
export const cascadeStepLockAliveSql = `
  SELECT EXISTS (
    SELECT 1 FROM pg_locks
     WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
       AND classid = hashtext('scrum4me:cascade-step')::oid AND objid = hashtext($1::text)::oid AND objsubid = 2
  ) AS held`;
