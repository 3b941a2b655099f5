// The operator console (SPEC §10) on the app's own port under /console:
// server-rendered pages, a session from an admin token, CSRF on every form,
// a strict Content-Security-Policy, and a live event stream. Mounted in
// src/index.ts with Probot's addHandler; it answers only /console paths.
import type { IncomingMessage, ServerResponse } from 'node:http';
import FindMyWay from 'find-my-way';
import type { AppServices } from '../services/app-services.ts';
import type { EventHub } from '../services/events/event-hub.ts';
import { sendAsset } from './assets.ts';
import type { ConsoleContext, ConsoleRoute, PageResult } from './context.ts';
import { showError } from './errors.ts';
import { readForm, redirect, sendHtml, type Form } from './http.ts';
import { createBoardFeed } from './live/board-feed.ts';
import { liveRoutes } from './live/events-route.ts';
import { activityRoutes } from './pages/activity.tsx';
import { boardRoutes, loadBoardFragments } from './pages/board.tsx';
import { jobRoutes } from './pages/jobs.tsx';
import { loginRedirect, loginRoutes, logoutRoute, type PublicRoute } from './pages/login.tsx';
import { productRoutes } from './pages/products.tsx';
import { tokenRoutes } from './pages/tokens.tsx';
import { resumeSession, sameSecret, type ConsoleSession } from './session/sessions.ts';
import { ErrorPage } from './views/error-page.tsx';
import { renderDocument, type Viewer } from './views/layout.tsx';

export interface ConsoleDependencies {
  eventHub: EventHub;
}

type Found = { kind: 'page'; route: ConsoleRoute } | { kind: 'public'; route: PublicRoute };

export function consoleHandler(services: AppServices, deps: ConsoleDependencies) {
  const log = services.log.child({ area: 'console' });
  const feed = createBoardFeed({
    hub: deps.eventHub,
    databaseUrl: services.pool.options.connectionString ?? services.config.databaseUrl ?? '',
    log,
    load: (pbiId) => loadBoardFragments(services, pbiId),
  });
  const router = FindMyWay({ ignoreTrailingSlash: true, caseSensitive: true, maxParamLength: 200 });
  for (const route of [logoutRoute, ...productRoutes, ...boardRoutes, ...jobRoutes, ...tokenRoutes, ...activityRoutes, ...liveRoutes]) {
    router.on(route.method, route.path, () => undefined, { kind: 'page', route } satisfies Found);
  }
  for (const route of loginRoutes(services, log)) router.on(route.method, route.path, () => undefined, { kind: 'public', route } satisfies Found);

  const idleMinutes = services.config.consoleIdleMinutes;
  const viewerOf = (session: ConsoleSession): Viewer => ({ userName: session.userName, csrf: session.csrf });

  return async function handleConsole(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = req.url ?? '/';
    const pathname = url.split('?', 1)[0] ?? '/';
    if (pathname !== '/console' && !pathname.startsWith('/console/')) return false;
    if (req.method === 'GET' && pathname.startsWith('/console/assets/')) {
      if (!sendAsset(res, pathname.slice('/console/assets/'.length))) sendHtml(res, 404, 'not found');
      return true;
    }
    const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
    let viewer: Viewer | null = null;
    try {
      const match = req.method === 'GET' || req.method === 'POST' ? router.find(req.method, pathname) : null;
      const found = match?.store as Found | undefined;
      if (found?.kind === 'public') {
        send(res, await found.route.handle(req, query));
        return true;
      }
      const session = await resumeSession(services.pool, req, idleMinutes);
      if (!session) {
        if (pathname === '/console/events') sendHtml(res, 401, 'sign in first');
        else send(res, loginRedirect(req.method === 'GET' ? url : pathname));
        return true;
      }
      viewer = viewerOf(session);
      if (!match || !found) {
        sendHtml(res, 404, renderDocument(<ErrorPage viewer={viewer} title="Not found" message={`Nothing is at ${pathname}.`} />));
        return true;
      }
      let form: Form = new Map();
      if (req.method === 'POST') {
        form = await readForm(req, services.config.maxBodyBytes);
        if (!sameSecret(session.csrf, form.get('_csrf'))) {
          log.warn({ path: pathname }, 'console form refused: missing or wrong CSRF token');
          const message = 'This form has no valid CSRF token (is it from an old page?). Reload the page and try again.';
          sendHtml(res, 403, renderDocument(<ErrorPage viewer={viewer} title="Form refused" message={message} />));
          return true;
        }
      }
      const params = match.params as Record<string, string | undefined>;
      const ctx: ConsoleContext = { req, res, params, query, form, session, viewer, services, hub: deps.eventHub, feed, log };
      send(res, await found.route.handle(ctx));
    } catch (error) {
      const shown = showError(error);
      if (shown.internal) log.error({ err: error, path: pathname }, 'console page failed');
      if (res.headersSent) res.end();
      else {
        const title = shown.status === 404 ? 'Not found' : 'Could not do that';
        sendHtml(res, shown.status, renderDocument(<ErrorPage viewer={viewer} title={title} message={shown.flash.text} />), shown.headers);
      }
    }
    return true;
  };
}

function send(res: ServerResponse, result: PageResult): void {
  if ('handled' in result) return;
  if ('redirect' in result) redirect(res, result.redirect, result.headers);
  else sendHtml(res, result.status ?? 200, result.html, result.headers);
}
