// GET /api/v1/events: the change stream as Server-Sent Events (better-sse).
// A token sees its own user's events (an admin token: everybody's);
// Last-Event-ID resumes from the bounded backlog, then live events follow.
import { createSession } from 'better-sse';
import { route, type Route } from '../http/router.ts';
import type { AppServices } from '../services/app-services.ts';
import type { EventHub, StreamedEvent } from '../services/events/event-hub.ts';

const heartbeatMs = 15_000;
const backlogLimit = 1000;
const maxSeq = 2n ** 63n - 1n;

export function eventRoutes(_services: AppServices, hub: EventHub): Route[] {
  return [
    route({
      method: 'GET',
      path: '/api/v1/events',
      access: 'agent',
      handle: async ({ req, res, auth }) => {
        const userId = auth.admin ? null : auth.userId;
        const visible = (event: StreamedEvent) => userId === null || event.userId === userId;
        // subscribe before reading the backlog, so nothing falls between the two
        const early: StreamedEvent[] = [];
        let live: ((event: StreamedEvent) => void) | null = null;
        const unsubscribe = hub.subscribe(
          (event) => {
            if (!visible(event)) return;
            if (live) live(event);
            else early.push(event);
          },
          () => res.end(),
        );
        req.on('close', unsubscribe);
        const session = await createSession(req, res, { keepAlive: heartbeatMs, retry: 2000 });
        let lastSent = -1n;
        const send = (event: StreamedEvent) => {
          if (event.seq <= lastSent || !session.isConnected) return;
          lastSent = event.seq;
          session.push(event.payload, event.type, String(event.seq));
        };
        const header = req.headers['last-event-id'];
        // a seq is a BIGINT: an id past its range names no event (and would fail the backlog query)
        const lastEventId = typeof header === 'string' && /^\d{1,19}$/.test(header) && BigInt(header) <= maxSeq ? BigInt(header) : null;
        if (lastEventId !== null) {
          for (const event of await hub.backlog(lastEventId, userId, backlogLimit)) send(event);
        }
        for (const event of early) send(event);
        live = send;
        return { handled: true };
      },
    }),
  ];
}
