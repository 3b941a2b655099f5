// Activity (/console/activity): the newest events, then live ones.
import { latestEventSeq, recentEvents } from '../../services/events/recent-events.ts';
import type { ConsoleRoute } from '../context.ts';
import { ActivityPage } from '../views/activity.tsx';
import { renderDocument } from '../views/layout.tsx';

export const activityPageSize = 100;

export const activityRoutes: ConsoleRoute[] = [
  {
    method: 'GET',
    path: '/console/activity',
    handle: async (ctx) => {
      const events = await recentEvents(ctx.services.prisma, activityPageSize);
      const after = events[0]?.seq ?? (await latestEventSeq(ctx.services.prisma));
      return { html: renderDocument(<ActivityPage viewer={ctx.viewer} events={events} liveAfter={String(after)} />) };
    },
  },
];
