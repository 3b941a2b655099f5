// SCRUM4ME_ADMIN_TOKEN across restarts: it bootstraps an admin token once; a
// revocation of it is final (a restart with the same value must not undo it),
// and a new value mints a new token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/services/auth/tokens.ts';
import { adminToken, startTestApp, type TestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

async function withApp<T>(token: string, run: (app: TestApp) => Promise<T>): Promise<T> {
  const app = await startTestApp({ reuseDatabaseUrl: database.url, env: { SCRUM4ME_ADMIN_TOKEN: token } });
  try {
    return await run(app);
  } finally {
    await app.close();
  }
}

describe('the bootstrap admin token (SCRUM4ME_ADMIN_TOKEN)', () => {
  it('stays revoked across restarts with the same value; a new value mints a working one', async () => {
    const bootstrap = await database.db.prisma.apiToken.findUnique({ where: { token_hash: hashToken(adminToken) } });
    expect(bootstrap).toBeNull();

    const tokenId = await withApp(adminToken, async (app) => {
      const row = await app.db.prisma.apiToken.findUniqueOrThrow({ where: { token_hash: hashToken(adminToken) } });
      expect(row).toMatchObject({ admin: true, revoked_at: null });
      expect((await app.call('GET', '/api/v1/admin/products')).status).toBe(200);
      const revoked = await app.call('DELETE', `/api/v1/admin/tokens/${row.id}`);
      expect(revoked.status).toBe(200);
      expect((await app.call('GET', '/api/v1/admin/products')).status).toBe(401);
      return row.id;
    });

    // a restart with the same environment
    await withApp(adminToken, async (app) => {
      const answer = await app.call('GET', '/api/v1/admin/products');
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe('UNAUTHENTICATED');
      const row = await app.db.prisma.apiToken.findUniqueOrThrow({ where: { id: tokenId } });
      expect(row.revoked_at).not.toBeNull();
      const warnings = app.logs.filter((line) => line.includes('SCRUM4ME_ADMIN_TOKEN'));
      expect(warnings.length, app.logs.join('')).toBe(1);
      expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40, tokenId });
      // the line names the token's id, never the token
      expect(app.logs.join('')).not.toContain(adminToken);
    });

    // a new value
    const rotated = 'rotated-admin-token-0123456789abcdef';
    await withApp(rotated, async (app) => {
      expect((await app.call('GET', '/api/v1/admin/products', { token: rotated })).status).toBe(200);
      expect((await app.call('GET', '/api/v1/admin/products')).status).toBe(401);
      const rows = await app.db.prisma.apiToken.findMany({ where: { user: { name: 'admin' } }, orderBy: { created_at: 'asc' } });
      expect(rows.map((r) => ({ revoked: r.revoked_at !== null, admin: r.admin }))).toEqual([
        { revoked: true, admin: true },
        { revoked: false, admin: true },
      ]);
      expect(app.logs.filter((line) => line.includes('is revoked'))).toEqual([]);
    });

    // and once more with it: nothing new is minted
    await withApp(rotated, async (app) => {
      expect((await app.call('GET', '/api/v1/admin/products', { token: rotated })).status).toBe(200);
      expect(await app.db.prisma.apiToken.count({ where: { user: { name: 'admin' } } })).toBe(2);
    });
  });
});
