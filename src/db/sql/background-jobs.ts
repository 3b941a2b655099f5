// Adding graphile-worker jobs from our own SQL. Why hand-written: a job added in
// the statement or transaction of the change it follows commits (or rolls back)
// with it, which graphile-worker's addJob (its own connection) cannot give; the
// hot statements (a status call, a pull_request delivery) add theirs without a
// round trip of their own. This is the one place our SQL names add_job: every
// job, whichever statement adds it, goes through addJobSql.

/** add_job's arguments, each an SQL expression (a parameter, a column, a literal); unset: graphile-worker's default. */
export interface AddJobSql {
  task: string;
  /** json */
  payload: string;
  queueName?: string | undefined;
  runAt?: string | undefined;
  maxAttempts?: string | undefined;
  jobKey?: string | undefined;
  jobKeyMode?: string | undefined;
}

/** graphile_worker.add_job(…) as an SQL expression. */
export const addJobSql = (job: AddJobSql): string => {
  const named = [
    ['queue_name', job.queueName],
    ['run_at', job.runAt],
    ['max_attempts', job.maxAttempts],
    ['job_key', job.jobKey],
    ['job_key_mode', job.jobKeyMode],
  ].filter((entry): entry is [string, string] => entry[1] !== undefined);
  return `graphile_worker.add_job(${[job.task, job.payload, ...named.map(([name, value]) => `${name} => ${value}`)].join(', ')})`;
};

/**
 * One job from parameters ($1 task, $2 payload json, $3 queue, $4 run_at, $5
 * max_attempts, $6 job key, $7 job key mode), for a Prisma transaction
 * (enqueueBackground), which executes it: no row is read back.
 */
export const addJobStatementSql = `SELECT ${addJobSql({
  task: '$1::text',
  payload: '$2::json',
  queueName: '$3::text',
  runAt: '$4::timestamptz',
  maxAttempts: '$5::int',
  jobKey: '$6::text',
  jobKeyMode: '$7::text',
})}`;

/** An SQL string literal. */
export const sqlLiteral = (text: string): string => `'${text.replaceAll("'", "''")}'`;
