// The claimers' wake-up (SPEC §4 long-poll): a NOTIFY on its own channel whose
// payload is the user whose queue grew. Why hand-written: Prisma cannot NOTIFY;
// it is sent in the enqueuing transaction, so claimers wake only once the jobs
// they would claim have committed.

/** Claimers LISTEN here (src/services/jobs/claim-waiter.ts). */
export const jobsQueuedChannel = 'scrum4me_jobs_queued';

/** $1: the user id. */
export const signalJobsQueuedSql = `SELECT pg_notify('${jobsQueuedChannel}', $1::text)`;
