// GET /api/v1/openapi.json: the document of the routes the app serves.
import { route, type Route } from '../http/router.ts';
import { buildOpenApiDocument, openApiPath } from './document.ts';

/**
 * `routes` is read on the first request, so the list it returns may include
 * this route itself: `routes.push(...openApiRoutes(() => routes))`.
 */
export function openApiRoutes(routes: () => readonly Route[]): Route[] {
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;
  return [
    route({
      method: 'GET',
      path: openApiPath,
      access: 'public',
      handle: async () => {
        document ??= buildOpenApiDocument(routes());
        return { status: 200, body: document };
      },
    }),
  ];
}
