// Sign-in and sign-out. Only an admin token opens a session; it is checked by
// the API's own token service (authenticate), and never echoed or logged.
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../../logger.ts';
import type { AppServices } from '../../services/app-services.ts';
import { authenticate } from '../../services/auth/tokens.ts';
import { DomainError } from '../../services/errors.ts';
import type { ConsoleContext, PageResult } from '../context.ts';
import { isHttps, readCookie, readForm, serializeCookie } from '../http.ts';
import { endSession, loginCookie, randomSecret, resumeSession, sameSecret, sessionCookie, startSession } from '../session/sessions.ts';
import type { Flash } from '../views/components.tsx';
import { renderDocument } from '../views/layout.tsx';
import { LoginPage } from '../views/login.tsx';

const loginPath = '/console/login';

/** Where to go after signing in: a console page, never another site (nor the sign-in itself). */
export function safeNext(next: string | null | undefined): string {
  if (!next || !/^\/console(\/[^\\]*)?(\?[^\\]*)?$/.test(next) || next.startsWith('//')) return '/console';
  if (next.startsWith(loginPath) || next.startsWith('/console/logout') || next.startsWith('/console/events')) return '/console';
  return next;
}

export function loginRedirect(next: string): PageResult {
  const target = safeNext(next);
  return { redirect: target === '/console' ? loginPath : `${loginPath}?next=${encodeURIComponent(target)}` };
}

export interface PublicRoute {
  method: 'GET' | 'POST';
  path: string;
  handle(req: IncomingMessage, query: URLSearchParams): Promise<PageResult>;
}

export function loginRoutes(services: AppServices, log: Logger): PublicRoute[] {
  const idle = services.config.consoleIdleMinutes;
  // the sign-in form's own CSRF token: a cookie and a field that must match (no session yet)
  const form = (req: IncomingMessage, status: number, next: string, flash?: Flash): PageResult => {
    const csrf = randomSecret();
    return {
      status,
      html: renderDocument(<LoginPage csrf={csrf} next={next} {...(flash ? { flash } : {})} />),
      headers: { 'set-cookie': serializeCookie(loginCookie, csrf, { path: loginPath, secure: isHttps(req) }) },
    };
  };
  return [
    {
      method: 'GET',
      path: loginPath,
      handle: async (req, query) => {
        const next = safeNext(query.get('next'));
        if (await resumeSession(services.pool, req, idle)) return { redirect: next };
        const flash: Flash | undefined = query.get('notice') === 'signed-out' ? { kind: 'notice', text: 'Signed out.' } : undefined;
        return form(req, 200, next, flash);
      },
    },
    {
      method: 'POST',
      path: loginPath,
      handle: async (req) => {
        const fields = await readForm(req, 16 * 1024);
        const next = safeNext(fields.get('next'));
        const expected = readCookie(req, loginCookie);
        if (!expected || !sameSecret(expected, fields.get('_csrf'))) {
          log.warn('console sign-in refused: missing or wrong CSRF token');
          return form(req, 403, next, { kind: 'error', text: 'The sign-in form expired. Please try again.' });
        }
        const token = (fields.get('token') ?? '').trim();
        let auth;
        try {
          auth = await authenticate(services.pool, `Bearer ${token}`, services.tokenCache);
        } catch (error) {
          if (!(error instanceof DomainError) || error.code !== 'UNAUTHENTICATED') throw error;
          log.info('console sign-in refused: unknown or revoked token');
          return form(req, 401, next, { kind: 'error', text: 'That token is unknown or revoked.' });
        }
        if (!auth.admin) {
          log.info({ user: auth.userName, tokenId: auth.tokenId }, 'console sign-in refused: not an admin token');
          return form(req, 403, next, { kind: 'error', text: `That is an agent token of ${auth.userName}: the console needs an admin token.` });
        }
        const id = await startSession(services, auth.tokenId, idle);
        log.info({ user: auth.userName, tokenId: auth.tokenId }, 'console sign-in');
        const secure = isHttps(req);
        return {
          redirect: next,
          headers: {
            'set-cookie': [
              serializeCookie(sessionCookie, id, { path: '/console', secure }),
              serializeCookie(loginCookie, '', { path: loginPath, secure, maxAge: 0 }),
            ],
          },
        };
      },
    },
  ];
}

export const logoutRoute = {
  method: 'POST' as const,
  path: '/console/logout',
  handle: async (ctx: ConsoleContext): Promise<PageResult> => {
    await endSession(ctx.services.prisma, ctx.session.id);
    ctx.log.info({ user: ctx.session.userName, tokenId: ctx.session.tokenId }, 'console sign-out');
    return {
      redirect: `${loginPath}?notice=signed-out`,
      headers: { 'set-cookie': serializeCookie(sessionCookie, '', { path: '/console', secure: isHttps(ctx.req), maxAge: 0 }) },
    };
  },
};
