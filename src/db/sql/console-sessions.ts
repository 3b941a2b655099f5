// The operator console's sessions (console_sessions). Resuming is one
// statement on every console request: it finds the session by the hash of the
// cookie's id, checks that it is not idle and that its token is still an
// unrevoked admin token, and marks it seen, so a revoked token or an idle
// session ends at once on every replica.
import { runStatement, type SqlClient, type Statement } from './run-statement.ts';

export interface ResumedSession {
  id: string;
  token_id: string;
  user_name: string;
}

export const resumeConsoleSessionStatement: Statement = {
  name: 'resume-console-session',
  text: `
    UPDATE console_sessions s
       SET last_seen_at = now()
      FROM api_tokens t
      JOIN users u ON u.id = t.user_id
     WHERE s.id_hash = $1
       AND t.id = s.token_id
       AND t.admin
       AND t.revoked_at IS NULL
       AND s.last_seen_at > now() - make_interval(mins => $2::int)
    RETURNING s.id, s.token_id, u.name AS user_name`,
};

export function resumeConsoleSession(db: SqlClient, idHash: string, idleMinutes: number): Promise<ResumedSession[]> {
  return runStatement<ResumedSession>(db, resumeConsoleSessionStatement, [idHash, idleMinutes]);
}

/** Sessions idle past the limit are gone for good (run at each sign-in: no background job needed). */
export const pruneConsoleSessionsStatement: Statement = {
  name: 'prune-console-sessions',
  text: `DELETE FROM console_sessions WHERE last_seen_at <= now() - make_interval(mins => $1::int)`,
};

export function pruneConsoleSessions(db: SqlClient, idleMinutes: number): Promise<unknown[]> {
  return runStatement(db, pruneConsoleSessionsStatement, [idleMinutes]);
}
