// GET|PUT /api/v1/admin/prices: the price table in force (SPEC §11).
import { route, type Route } from '../http/router.ts';
import type { AppServices } from '../services/app-services.ts';
import { priceTableBody } from '../services/prices/price-schema.ts';
import { getPrices, replacePrices } from '../services/prices/prices.ts';

export function adminPriceRoutes(services: AppServices): Route[] {
  return [
    route({
      method: 'GET',
      path: '/api/v1/admin/prices',
      access: 'admin',
      handle: async () => ({ status: 200, body: await getPrices(services.prisma) }),
    }),
    route({
      method: 'PUT',
      path: '/api/v1/admin/prices',
      access: 'admin',
      body: priceTableBody,
      handle: async ({ body, log }) => {
        const table = await replacePrices(services.prisma, services.pool, body);
        log.info({ entries: table.prices.length }, 'price table replaced');
        return { status: 200, body: table };
      },
    }),
  ];
}
