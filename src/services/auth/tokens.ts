// Bearer tokens: minted once, shown once, stored only as a SHA-256 hash.
// Tokens carry 256 random bits, so a fast hash is enough (no password KDF
// needed), and the `s4m_` prefix lets secret scanners recognise a leak.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PrismaClient } from '../../db/client.ts';
import type { Queryable } from '../../db/queryable.ts';
import { authenticateStatement, revokeTokenSql, touchTokenSql } from '../../db/sql/api-tokens.ts';
import { tokensChangedChannel, type TokenCache } from './token-cache.ts';
import { notFound, unauthenticated, validationFailed } from '../errors.ts';

export const tokenPrefix = 's4m_';
const displayedPrefixLength = tokenPrefix.length + 6;
/** last_used_at is written at most this often per token, to keep auth read-only on hot paths */
const lastUsedResolutionMs = 60_000;

export interface AuthContext {
  tokenId: string;
  userId: string;
  userName: string;
  admin: boolean;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function generateToken(): string {
  return tokenPrefix + randomBytes(32).toString('base64url');
}

export function parseBearer(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

export const userNameSchemaMessage = 'user must be 1-100 characters: letters, digits, ".", "_", "-" or "@"';
const userNamePattern = /^[A-Za-z0-9._@-]{1,100}$/;

export interface CreatedToken {
  token: string;
  token_id: string;
  user: string;
}

export async function createToken(
  prisma: PrismaClient,
  input: { user: string; name?: string | undefined; admin?: boolean | undefined },
  token: string = generateToken(),
): Promise<CreatedToken> {
  if (!userNamePattern.test(input.user)) throw validationFailed(userNameSchemaMessage);
  const user = await prisma.user.upsert({ where: { name: input.user }, create: { name: input.user }, update: {} });
  const row = await prisma.apiToken.create({
    data: {
      user_id: user.id,
      name: input.name ?? null,
      admin: input.admin ?? false,
      prefix: token.slice(0, displayedPrefixLength),
      token_hash: hashToken(token),
    },
  });
  return { token, token_id: row.id, user: user.name };
}

export async function revokeToken(prisma: PrismaClient, tokenId: string): Promise<void> {
  // revoked and announced in one statement: every replica's token cache forgets it
  const revoked = await prisma.$queryRawUnsafe<{ id: string }[]>(revokeTokenSql, tokenId, tokensChangedChannel);
  if (revoked.length === 0) {
    const exists = await prisma.apiToken.findUnique({ where: { id: tokenId }, select: { id: true } });
    if (!exists) throw notFound('token', tokenId);
  }
}

export type BootstrapTokenState = 'created' | 'present' | 'revoked';

/**
 * Makes SCRUM4ME_ADMIN_TOKEN an admin token of user "admin", once: idempotent
 * across restarts and replicas. A revocation is final: a token revoked through
 * the API stays revoked whatever the environment still says (the caller warns);
 * a new value mints a new token.
 */
export async function ensureBootstrapAdminToken(prisma: PrismaClient, token: string): Promise<{ state: BootstrapTokenState; tokenId: string }> {
  const hash = hashToken(token);
  const existing = await prisma.apiToken.findUnique({ where: { token_hash: hash }, select: { id: true, revoked_at: true } });
  if (existing) return { state: existing.revoked_at ? 'revoked' : 'present', tokenId: existing.id };
  try {
    const created = await createToken(prisma, { user: 'admin', name: 'bootstrap (SCRUM4ME_ADMIN_TOKEN)', admin: true }, token);
    return { state: 'created', tokenId: created.token_id };
  } catch (error) {
    // another replica created it at the same moment
    const raced = await prisma.apiToken.findUnique({ where: { token_hash: hash }, select: { id: true, revoked_at: true } });
    if (raced) return { state: raced.revoked_at ? 'revoked' : 'present', tokenId: raced.id };
    throw error;
  }
}

/** Resolves a bearer token to its user; UNAUTHENTICATED for missing, unknown or revoked tokens. */
export async function authenticate(pool: Queryable, authorization: string | undefined, cache?: TokenCache): Promise<AuthContext> {
  const token = parseBearer(authorization);
  if (!token || token.length > 512) throw unauthenticated();
  const hash = hashToken(token);
  const cached = cache?.get(hash);
  if (cached) return cached;
  // one round trip on the app's pool
  const { rows } = await pool.query<{ id: string; admin: boolean; revoked: boolean; use_is_stale: boolean; token_hash: string; user_id: string; user_name: string }>({
    ...authenticateStatement,
    values: [hash, lastUsedResolutionMs / 1000],
  });
  const row = rows[0];
  if (!row || row.revoked || !timingSafeEqual(Buffer.from(row.token_hash), Buffer.from(hash))) {
    throw unauthenticated('unknown or revoked token');
  }
  if (row.use_is_stale) await pool.query(touchTokenSql, [row.id]);
  const auth: AuthContext = { tokenId: row.id, userId: row.user_id, userName: row.user_name, admin: row.admin };
  cache?.set(hash, auth);
  return auth;
}

/**
 * Who may read /metrics (SPEC §7: the port also faces GitHub): a bearer
 * SCRUM4ME_METRICS_TOKEN, or an admin token. Anything else is UNAUTHENTICATED,
 * an agent token included.
 */
export async function authorizeMetricsReader(
  pool: Queryable,
  authorization: string | undefined,
  metricsToken: string | undefined,
  cache?: TokenCache,
): Promise<void> {
  const refused = () => unauthenticated('/metrics needs SCRUM4ME_METRICS_TOKEN or an admin token');
  const token = parseBearer(authorization);
  if (!token) throw refused();
  // compared as hashes: equal lengths for timingSafeEqual, and no timing hint of the configured value
  if (metricsToken && timingSafeEqual(Buffer.from(hashToken(token)), Buffer.from(hashToken(metricsToken)))) return;
  // unknown or revoked: authenticate's own UNAUTHENTICATED
  const auth = await authenticate(pool, authorization, cache);
  if (!auth.admin) throw refused();
}
