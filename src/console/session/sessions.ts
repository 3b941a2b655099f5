// Console sessions: a random id in an HttpOnly cookie, only its SHA-256 in
// PostgreSQL (so any replica resumes it, and a stolen database row is not a
// session). The CSRF token is derived from the id, so nothing else is stored.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { PrismaClient } from '../../db/client.ts';
import type { Queryable } from '../../db/queryable.ts';
import { pruneConsoleSessions, resumeConsoleSession } from '../../db/sql/console-sessions.ts';
import { readCookie } from '../http.ts';

export const sessionCookie = 'scrum4me_session';
export const loginCookie = 'scrum4me_login';
const idPattern = /^[A-Za-z0-9_-]{43}$/;

export interface ConsoleSession {
  id: string;
  tokenId: string;
  userName: string;
  /** the value every state-changing form of this session must carry */
  csrf: string;
}

const hashId = (id: string) => createHash('sha256').update(id, 'utf8').digest('hex');
const csrfFor = (id: string) => createHmac('sha256', id).update('scrum4me console csrf').digest('base64url');

export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Starts a session for an admin token; answers the cookie value (the only copy of the id). */
export async function startSession(db: { prisma: PrismaClient; pool: Queryable }, tokenId: string, idleMinutes: number): Promise<string> {
  await pruneConsoleSessions(db.pool, idleMinutes);
  const id = randomSecret();
  await db.prisma.consoleSession.create({ data: { id_hash: hashId(id), token_id: tokenId } });
  return id;
}

/** The request's session, or null (no cookie, unknown, idle, or its token revoked or no longer admin). */
export async function resumeSession(pool: Queryable, req: IncomingMessage, idleMinutes: number): Promise<ConsoleSession | null> {
  const id = readCookie(req, sessionCookie);
  if (!id || !idPattern.test(id)) return null;
  const [row] = await resumeConsoleSession(pool, hashId(id), idleMinutes);
  return row ? { id: row.id, tokenId: row.token_id, userName: row.user_name, csrf: csrfFor(id) } : null;
}

export async function endSession(prisma: PrismaClient, sessionId: string): Promise<void> {
  await prisma.consoleSession.deleteMany({ where: { id: sessionId } });
}

export function sameSecret(expected: string, given: string | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
