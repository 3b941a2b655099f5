// GET /api/v1/admin/tokens: every user's tokens as operators manage them.
// Only what identifies a token is shown (its prefix), never the token or its hash.
import type { PrismaClient } from '../../db/client.ts';
import { iso } from '../present.ts';

export interface TokenListItem {
  token_id: string;
  user: string;
  prefix: string;
  name: string | null;
  admin: boolean;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** By user name, then oldest token first; revoked tokens too (marked). */
export async function listTokens(prisma: PrismaClient): Promise<TokenListItem[]> {
  const rows = await prisma.apiToken.findMany({
    select: { id: true, prefix: true, name: true, admin: true, created_at: true, last_used_at: true, revoked_at: true, user: { select: { name: true } } },
    orderBy: [{ user: { name: 'asc' } }, { created_at: 'asc' }, { id: 'asc' }],
  });
  return rows.map((row) => ({
    token_id: row.id,
    user: row.user.name,
    prefix: row.prefix,
    name: row.name,
    admin: row.admin,
    created_at: iso(row.created_at)!,
    last_used_at: iso(row.last_used_at),
    revoked_at: iso(row.revoked_at),
  }));
}
