// Tokens (/console/tokens): list, mint (shown once, on the answer to the form
// only), revoke. The same services and request schema as the operator API.
import { createTokenBody } from '../../handlers/admin-tokens.ts';
import { parseInput } from '../../http/validation.ts';
import { listTokens } from '../../services/auth/list-tokens.ts';
import { createToken, revokeToken } from '../../services/auth/tokens.ts';
import { noticeFrom, param, type ConsoleContext, type ConsoleRoute, type PageResult } from '../context.ts';
import { showError } from '../errors.ts';
import type { Flash } from '../views/components.tsx';
import { renderDocument } from '../views/layout.tsx';
import { TokensPage, type MintedToken } from '../views/tokens.tsx';

async function tokensPage(ctx: ConsoleContext, options: { status?: number; minted?: MintedToken; flash?: Flash } = {}): Promise<PageResult> {
  const tokens = await listTokens(ctx.services.prisma);
  const flash = options.flash ?? noticeFrom(ctx.query, { revoked: 'Token revoked: it no longer works anywhere.' });
  return {
    status: options.status ?? 200,
    html: renderDocument(<TokensPage viewer={ctx.viewer} tokens={tokens} {...(options.minted ? { minted: options.minted } : {})} {...(flash ? { flash } : {})} />),
  };
}

export const tokenRoutes: ConsoleRoute[] = [
  { method: 'GET', path: '/console/tokens', handle: (ctx) => tokensPage(ctx) },
  {
    method: 'POST',
    path: '/console/tokens',
    handle: async (ctx) => {
      try {
        const name = ctx.form.get('name')?.trim();
        const input = parseInput(createTokenBody, { user: ctx.form.get('user') ?? '', ...(name ? { name } : {}), admin: ctx.form.get('admin') === 'on' }, 'body');
        const created = await createToken(ctx.services.prisma, input);
        ctx.log.info({ tokenId: created.token_id, user: created.user, admin: input.admin ?? false, by: ctx.session.userName }, 'console: token created');
        // answered, not redirected: the token exists only in this one page (no-store)
        return tokensPage(ctx, { status: 201, minted: created });
      } catch (error) {
        const shown = showError(error);
        if (shown.internal) throw error;
        return tokensPage(ctx, { status: shown.status, flash: { ...shown.flash, text: `No token minted: ${shown.flash.text}` } });
      }
    },
  },
  {
    method: 'POST',
    path: '/console/tokens/:id/revoke',
    handle: async (ctx) => {
      const tokenId = param(ctx, 'id');
      await revokeToken(ctx.services.prisma, tokenId);
      // this replica forgets it now; the others when the revocation's NOTIFY arrives
      ctx.services.tokenCache?.forget(tokenId);
      ctx.log.info({ tokenId, by: ctx.session.userName }, 'console: token revoked');
      // revoking the session's own token ends the session: the redirect lands on the sign-in
      return { redirect: '/console/tokens?notice=revoked' };
    },
  },
];
