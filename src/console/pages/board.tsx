// The PBI board (/console/pbis/{id}) and its actions: enqueue a task's job for
// a user, reopen the PBI after its cascade. Same services as the operator API.
import type { AppServices } from '../../services/app-services.ts';
import { listTokens } from '../../services/auth/list-tokens.ts';
import { reopenPbi } from '../../services/cascade/reopen.ts';
import { latestEventSeq } from '../../services/events/recent-events.ts';
import { enqueueJobs } from '../../services/jobs/enqueue.ts';
import { getPbiBoardExtras } from '../../services/pbis/board-extras.ts';
import { getPbiView } from '../../services/pbis/pbi-view.ts';
import { enqueueJobsBody } from '../../handlers/admin-work.ts';
import { parseInput } from '../../http/validation.ts';
import { noticeFrom, param, type ConsoleContext, type ConsoleRoute, type PageResult } from '../context.ts';
import { showError } from '../errors.ts';
import { BoardPage, boardFragments, type BoardData, type Fragment } from '../views/board.tsx';
import type { Flash } from '../views/components.tsx';
import { renderDocument } from '../views/layout.tsx';

type Services = Pick<AppServices, 'prisma'>;

export async function loadBoard(services: Services, pbiId: string): Promise<BoardData> {
  const [view, extras] = await Promise.all([getPbiView(services.prisma, pbiId), getPbiBoardExtras(services.prisma, pbiId)]);
  return { view, extras, product: extras.product };
}

/** The board's live fragments, and the tasks whose job events concern it. */
export async function loadBoardFragments(services: Services, pbiId: string): Promise<{ fragments: Fragment[]; taskIds: string[] }> {
  const data = await loadBoard(services, pbiId);
  return { fragments: boardFragments(data), taskIds: data.view.stories.flatMap((s) => s.tasks.map((t) => t.id)) };
}

const boardNotices = {
  enqueued: (q: URLSearchParams) => `Job ${q.get('job') ?? ''} queued for ${q.get('user') ?? 'the user'}.`,
  reopened: (q: URLSearchParams) => (q.get('cascade') ? `PBI reopened: cascade ${q.get('cascade')} is closed, new work can be queued.` : 'Nothing to reopen: the PBI has no open cascade.'),
  reconciled: (q: URLSearchParams) =>
    `Pull requests reconciled: ${q.get('open') ?? '?'} open on GitHub, ${q.get('updated') ?? '?'} updated, ${q.get('adopted') ?? '?'} adopted, ${q.get('failed') ?? '?'} failed.`,
};

async function boardPage(ctx: ConsoleContext, pbiId: string, status = 200, flash?: Flash): Promise<PageResult> {
  // the stream position first: whatever changes after it reaches the page live
  const after = await latestEventSeq(ctx.services.prisma);
  const [data, tokens] = await Promise.all([loadBoard(ctx.services, pbiId), listTokens(ctx.services.prisma)]);
  const users = [...new Set(tokens.filter((t) => !t.revoked_at).map((t) => t.user))];
  const shown = flash ?? noticeFrom(ctx.query, boardNotices);
  return {
    status,
    html: renderDocument(<BoardPage viewer={ctx.viewer} data={data} users={users} liveAfter={String(after)} {...(shown ? { flash: shown } : {})} />),
  };
}

const boardUrl = (pbiId: string) => `/console/pbis/${encodeURIComponent(pbiId)}`;

export const boardRoutes: ConsoleRoute[] = [
  {
    method: 'GET',
    path: '/console/pbis/:id',
    handle: (ctx) => boardPage(ctx, param(ctx, 'id')),
  },
  {
    method: 'POST',
    path: '/console/pbis/:id/enqueue',
    handle: async (ctx) => {
      const pbiId = param(ctx, 'id');
      try {
        // the API's request schema, then the API's service (its rules: the cascade check, the PBI lock)
        const input = parseInput(enqueueJobsBody, { user: ctx.form.get('user') ?? '', task_ids: [ctx.form.get('task_id') ?? ''] }, 'body');
        const [job] = await enqueueJobs(ctx.services.prisma, input);
        ctx.log.info({ pbiId, jobId: job?.id, user: input.user }, 'console: job queued');
        return { redirect: `${boardUrl(pbiId)}?${new URLSearchParams({ notice: 'enqueued', job: job?.id ?? '', user: input.user })}` };
      } catch (error) {
        const shown = showError(error);
        if (shown.internal) throw error;
        return boardPage(ctx, pbiId, shown.status, { ...shown.flash, text: `Not queued: ${shown.flash.text}` });
      }
    },
  },
  {
    method: 'POST',
    path: '/console/pbis/:id/reopen',
    handle: async (ctx) => {
      const pbiId = param(ctx, 'id');
      try {
        const result = await reopenPbi(ctx.services.prisma, pbiId);
        ctx.log.info(result, 'console: PBI reopened');
        return { redirect: `${boardUrl(pbiId)}?${new URLSearchParams({ notice: 'reopened', cascade: result.reopened_cascade_id ?? '' })}` };
      } catch (error) {
        const shown = showError(error);
        if (shown.internal || shown.status === 404) throw error;
        return boardPage(ctx, pbiId, shown.status, { ...shown.flash, text: `Not reopened: ${shown.flash.text}` });
      }
    },
  },
];
