// POST /api/v1/admin/tokens, DELETE /api/v1/admin/tokens/{token_id}
import { z } from 'zod';
import { route, type Route } from '../http/router.ts';
import type { AppServices } from '../services/app-services.ts';
import { createToken, revokeToken } from '../services/auth/tokens.ts';
import { id, text, userName } from './schema-kit.ts';

export const createTokenBody = z.strictObject({
  user: userName,
  name: text().trim().min(1).max(100).optional(),
  admin: z.boolean().optional(),
});

export function adminTokenRoutes(services: AppServices): Route[] {
  return [
    route({
      method: 'POST',
      path: '/api/v1/admin/tokens',
      access: 'admin',
      body: createTokenBody,
      handle: async ({ body, log }) => {
        const created = await createToken(services.prisma, body);
        log.info({ tokenId: created.token_id, user: created.user, admin: body.admin ?? false }, 'token created');
        return { status: 201, body: created };
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/admin/tokens/:token_id',
      access: 'admin',
      params: z.object({ token_id: id }),
      handle: async ({ params, log }) => {
        await revokeToken(services.prisma, params.token_id);
        // this replica forgets it now; the others when the revocation's NOTIFY arrives
        services.tokenCache?.forget(params.token_id);
        log.info({ tokenId: params.token_id }, 'token revoked');
        return { status: 200, body: { token_id: params.token_id, revoked: true } };
      },
    }),
  ];
}
