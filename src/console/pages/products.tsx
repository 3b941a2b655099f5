// Products (/console), a product (/console/products/{id}), its backlog import
// and its reconcile: through the same services as the operator API.
import { backlogBody } from '../../handlers/admin-products.ts';
import { parseInput } from '../../http/validation.ts';
import { importBacklog } from '../../services/backlog/import-backlog.ts';
import { validationFailed } from '../../services/errors.ts';
import { listProductPbis } from '../../services/products/list-pbis.ts';
import { listProductOverviews } from '../../services/products/product-overview.ts';
import { getProduct } from '../../services/products/products.ts';
import { reconcileProductPullRequests } from '../../services/pull-requests/reconcile.ts';
import { noticeFrom, param, type ConsoleContext, type ConsoleRoute, type PageResult } from '../context.ts';
import { showError } from '../errors.ts';
import type { Flash } from '../views/components.tsx';
import { renderDocument } from '../views/layout.tsx';
import { ProductPage } from '../views/product.tsx';
import { ProductsPage } from '../views/products.tsx';

const productNotices = {
  imported: (q: URLSearchParams) => `Backlog imported: ${q.get('pbis') ?? '?'} PBI(s), ${q.get('stories') ?? '?'} stories, ${q.get('tasks') ?? '?'} tasks.`,
  reconciled: (q: URLSearchParams) =>
    `Pull requests reconciled: ${q.get('open') ?? '?'} open on GitHub, ${q.get('updated') ?? '?'} updated, ${q.get('adopted') ?? '?'} adopted, ${q.get('failed') ?? '?'} failed.`,
};

async function productPage(ctx: ConsoleContext, productId: string, status = 200, flash?: Flash): Promise<PageResult> {
  const [product, pbis] = await Promise.all([getProduct(ctx.services.prisma, productId), listProductPbis(ctx.services, productId)]);
  const shown = flash ?? noticeFrom(ctx.query, productNotices);
  return {
    status,
    html: renderDocument(
      <ProductPage viewer={ctx.viewer} product={product} pbis={pbis.pbis} apiBaseUrl={ctx.services.config.github.baseUrl} {...(shown ? { flash: shown } : {})} />,
    ),
  };
}

/** Where a form may send the browser back to: a console page only. */
export function returnTo(ctx: ConsoleContext, fallback: string): string {
  const target = ctx.form.get('return_to');
  return target && /^\/console\/[A-Za-z0-9/_-]*$/.test(target) ? target : fallback;
}

export const productRoutes: ConsoleRoute[] = [
  {
    method: 'GET',
    path: '/console',
    handle: async (ctx) => {
      const products = await listProductOverviews(ctx.services.prisma);
      const flash = noticeFrom(ctx.query, productNotices);
      return { html: renderDocument(<ProductsPage viewer={ctx.viewer} products={products} apiBaseUrl={ctx.services.config.github.baseUrl} {...(flash ? { flash } : {})} />) };
    },
  },
  {
    method: 'GET',
    path: '/console/products/:id',
    handle: (ctx) => productPage(ctx, param(ctx, 'id')),
  },
  {
    method: 'POST',
    path: '/console/products/:id/backlog',
    handle: async (ctx) => {
      const productId = param(ctx, 'id');
      try {
        let json: unknown;
        try {
          json = JSON.parse(ctx.form.get('backlog') ?? '');
        } catch (error) {
          throw validationFailed(`the file is not JSON: ${(error as Error).message}`, [{ path: 'file', message: 'not valid JSON' }]);
        }
        // the API's own schema and service: the same rules, and errors naming the same fields
        const imported = await importBacklog(ctx.services.prisma, productId, parseInput(backlogBody, json, 'body'));
        const stories = imported.pbis.flatMap((p) => p.stories);
        const counts = new URLSearchParams({
          notice: 'imported',
          pbis: String(imported.pbis.length),
          stories: String(stories.length),
          tasks: String(stories.reduce((n, s) => n + s.tasks.length, 0)),
        });
        ctx.log.info({ productId, pbis: imported.pbis.length }, 'console: backlog imported');
        return { redirect: `/console/products/${encodeURIComponent(productId)}?${counts}` };
      } catch (error) {
        const shown = showError(error);
        if (shown.internal || shown.status === 404) throw error;
        return productPage(ctx, productId, shown.status, { ...shown.flash, text: `Nothing was imported. ${shown.flash.text}` });
      }
    },
  },
  {
    method: 'POST',
    path: '/console/products/:id/reconcile',
    handle: async (ctx) => {
      const productId = param(ctx, 'id');
      const back = returnTo(ctx, `/console/products/${encodeURIComponent(productId)}`);
      try {
        const summary = await reconcileProductPullRequests(ctx.services, productId);
        const counts = new URLSearchParams({
          notice: 'reconciled',
          open: String(summary.open_on_github),
          updated: String(summary.updated.length),
          adopted: String(summary.adopted.length),
          failed: String(summary.failed.length),
        });
        return { redirect: `${back}?${counts}` };
      } catch (error) {
        const shown = showError(error);
        if (shown.status === 404) throw error;
        if (shown.internal) ctx.log.warn({ err: error, productId }, 'console: reconcile failed');
        const text = shown.internal ? 'GitHub could not be read for this product; try again later.' : shown.flash.text;
        return productPage(ctx, productId, shown.internal ? 502 : shown.status, { kind: 'error', text: `Reconcile failed: ${text}` });
      }
    },
  },
];
