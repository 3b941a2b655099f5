// GET /console/events: the console's own event stream (session, not bearer),
// on the app's event hub. `?board=<pbi id>`: the board's changed fragments as
// `fragments` events; `?activity=1`: each change event as an `activity` list
// item. Both resume after `Last-Event-ID` (or `?after=`, for the first connect).
import { createSession } from 'better-sse';
import { latestEventSeq, eventsAfter, type RecentEvent } from '../../services/events/recent-events.ts';
import type { StreamedEvent } from '../../services/events/event-hub.ts';
import type { ConsoleContext, ConsoleRoute, PageResult } from '../context.ts';
import { securityHeaders } from '../http.ts';
import { renderActivityItem } from '../views/activity.tsx';
import type { Fragment } from '../views/board.tsx';

const heartbeatMs = 15_000;
/** what a browser waits before it reconnects (well inside the 2 s a board promises) */
const retryMs = 1000;
const backlogLimit = 500;

function resumeFrom(ctx: ConsoleContext): bigint | null {
  const header = ctx.req.headers['last-event-id'];
  const given = typeof header === 'string' && header ? header : ctx.query.get('after');
  return given && /^\d{1,19}$/.test(given) ? BigInt(given) : null;
}

async function openStream(ctx: ConsoleContext) {
  const session = await createSession(ctx.req, ctx.res, { keepAlive: heartbeatMs, retry: retryMs, headers: securityHeaders() });
  return session;
}

async function boardStream(ctx: ConsoleContext, pbiId: string): Promise<PageResult> {
  const after = resumeFrom(ctx) ?? 0n;
  const stream: { session?: Awaited<ReturnType<typeof openStream>>; pending: Fragment[][] } = { pending: [] };
  const id = () => String(ctx.feed.lastSeq() > after ? ctx.feed.lastSeq() : after);
  // subscribing reads the board: a PBI that does not exist is a 404 before any stream starts
  const unsubscribe = await ctx.feed.subscribe(pbiId, {
    send: (fragments) => {
      if (!stream.session) stream.pending.push(fragments);
      else if (stream.session.isConnected) stream.session.push(fragments, 'fragments', id());
    },
    close: () => ctx.res.end(),
  });
  ctx.req.on('close', unsubscribe);
  stream.session = await openStream(ctx);
  for (const fragments of stream.pending) stream.session.push(fragments, 'fragments', id());
  return { handled: true };
}

async function activityStream(ctx: ConsoleContext): Promise<PageResult> {
  const { hub, services } = ctx;
  // subscribe before reading what was missed, so nothing falls between the two
  const early: StreamedEvent[] = [];
  let live: ((event: StreamedEvent) => void) | null = null;
  const unsubscribe = hub.subscribe(
    (event) => (live ? live(event) : early.push(event)),
    () => ctx.res.end(),
  );
  ctx.req.on('close', unsubscribe);
  const after = resumeFrom(ctx) ?? (await latestEventSeq(services.prisma));
  const session = await openStream(ctx);
  let lastSent = after;
  const send = (event: RecentEvent) => {
    if (event.seq <= lastSent || !session.isConnected) return;
    lastSent = event.seq;
    session.push(renderActivityItem(event), 'activity', String(event.seq));
  };
  for (const event of await eventsAfter(services.prisma, after, backlogLimit)) send(event);
  for (const event of early) send({ ...event, at: new Date() });
  live = (event) => send({ ...event, at: new Date() });
  return { handled: true };
}

export const liveRoutes: ConsoleRoute[] = [
  {
    method: 'GET',
    path: '/console/events',
    handle: async (ctx) => {
      const board = ctx.query.get('board');
      if (board) return boardStream(ctx, board);
      return activityStream(ctx);
    },
  },
];
