// POST /api/v1/admin/products, GET /api/v1/admin/products(/{id}),
// POST /api/v1/admin/products/{id}/backlog
import { z } from 'zod';
import { route, type Route } from '../http/router.ts';
import type { AppServices } from '../services/app-services.ts';
import { importBacklog } from '../services/backlog/import-backlog.ts';
import { addProduct, getProduct, listProducts } from '../services/products/products.ts';
import { branchName, caseInsensitiveEnum, idParams, repoFullName, text, verifyRequiredValues } from './schema-kit.ts';

export const addProductBody = z.strictObject({
  name: text().trim().min(1).max(200),
  repo: repoFullName,
  base_branch: branchName.optional(),
  auto_pr: z.boolean().optional(),
});

const code = text().trim().min(1).max(50).optional();
const title = text().trim().min(1).max(300);

export const backlogBody = z.strictObject({
  pbis: z
    .array(
      z.strictObject({
        code,
        title,
        stories: z
          .array(
            z.strictObject({
              code,
              title,
              tasks: z
                .array(
                  z.strictObject({
                    title,
                    plan: text().max(50_000).optional(),
                    plan_paths: z.array(text().trim().min(1).max(500)).max(500).optional(),
                    verify_only: z.boolean().optional(),
                    verify_required: caseInsensitiveEnum(verifyRequiredValues).optional(),
                  }),
                )
                .max(500),
            }),
          )
          .max(500),
      }),
    )
    .min(1)
    .max(200),
});

export function adminProductRoutes(services: AppServices): Route[] {
  return [
    route({
      method: 'POST',
      path: '/api/v1/admin/products',
      access: 'admin',
      body: addProductBody,
      handle: async ({ body, log }) => {
        const product = await addProduct(services.prisma, services.github, body);
        log.info({ productId: product.id, repo: product.repo }, 'product added');
        return { status: 201, body: product };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/admin/products',
      access: 'admin',
      handle: async () => ({ status: 200, body: { products: await listProducts(services.prisma) } }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/admin/products/:id',
      access: 'admin',
      params: idParams,
      handle: async ({ params }) => ({ status: 200, body: await getProduct(services.prisma, params.id) }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/admin/products/:id/backlog',
      access: 'admin',
      params: idParams,
      body: backlogBody,
      handle: async ({ params, body }) => ({ status: 201, body: await importBacklog(services.prisma, params.id, body) }),
    }),
  ];
}
