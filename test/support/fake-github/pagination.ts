// `per_page`/`page` slicing with a Link header, the way GitHub paginates lists.
import type { RouteContext } from './router.ts';

export interface Page<T> {
  items: T[];
  headers: Record<string, string>;
}

export function paginate<T>(ctx: RouteContext, all: readonly T[], defaultPerPage = 30, maxPerPage = 100): Page<T> {
  const perPage = Math.min(Math.max(Number(ctx.query.get('per_page')) || defaultPerPage, 1), maxPerPage);
  const page = Math.max(Number(ctx.query.get('page')) || 1, 1);
  const lastPage = Math.max(Math.ceil(all.length / perPage), 1);
  const items = all.slice((page - 1) * perPage, page * perPage);
  return { items, headers: linkHeader(ctx, page, lastPage, perPage) };
}

/** GitHub sends `next`/`last` while there are later pages and `prev`/`first` after the first. */
export function linkHeader(ctx: RouteContext, page: number, lastPage: number, perPage: number): Record<string, string> {
  const link = (target: number, rel: string): string => {
    const url = new URL(ctx.requestUrl);
    url.searchParams.set('per_page', String(perPage));
    url.searchParams.set('page', String(target));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const parts: string[] = [];
  if (page > 1) parts.push(link(page - 1, 'prev'));
  if (page < lastPage) parts.push(link(page + 1, 'next'), link(lastPage, 'last'));
  if (page > 1) parts.push(link(1, 'first'));
  return parts.length > 0 ? { link: parts.join(', ') } : {};
}
