import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Route } from '../../src/http/router.ts';
import { buildOpenApiDocument, openApiPath, undocumentedRoutes } from '../../src/openapi/document.ts';
import { inputJsonSchema } from '../../src/openapi/json-schema.ts';
import { projectRoot, startTestApp, type TestApp } from '../support/app.ts';

// The route table of the running app, as src/index.ts hands it to the router:
// whatever routes anyone adds there, this list has them.
const served = vi.hoisted(() => ({ routes: [] as Route[] }));
vi.mock('../../src/http/router.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/http/router.ts')>();
  return {
    ...real,
    createRouter: (options: Parameters<typeof real.createRouter>[0]) => {
      served.routes.push(...options.routes);
      return real.createRouter(options);
    },
  };
});

const committedFile = path.join(projectRoot, 'docs', 'openapi.json');
const regenerate = 'run `npm run openapi` and commit docs/openapi.json';

let app: TestApp;
let routes: Route[];
let committed: { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>> };
beforeAll(async () => {
  app = await startTestApp();
  routes = [...served.routes];
  committed = JSON.parse(readFileSync(committedFile, 'utf8'));
});
afterAll(async () => {
  await app?.close();
});

const openApiPathOf = (p: string) => p.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('docs/openapi.json', () => {
  it('has every route the running app serves', () => {
    expect(served.routes.length).toBeGreaterThan(15);
    const missing = routes.filter((r) => !committed.paths[openApiPathOf(r.path)]?.[r.method.toLowerCase()]).map((r) => `${r.method} ${r.path}`);
    expect(missing, `docs/openapi.json lacks these routes: ${regenerate}`).toEqual([]);
  });

  it('documents no route the app does not serve (besides /mcp)', () => {
    const servedOperations = new Set(routes.map((r) => `${r.method.toLowerCase()} ${openApiPathOf(r.path)}`));
    const documented = Object.entries(committed.paths).flatMap(([p, item]) => Object.keys(item).map((method) => `${method} ${p}`));
    expect(documented.filter((op) => !servedOperations.has(op))).toEqual(['post /mcp']);
  });

  it('is exactly the document the routes give (no drift)', () => {
    expect(committed, `docs/openapi.json is out of date: ${regenerate}`).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument(routes))));
  });

  it('describes every route in src/openapi/operations.ts (answers and errors, not only the request)', () => {
    expect(undocumentedRoutes(routes), 'add these routes to src/openapi/operations.ts').toEqual([]);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(committed));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('gives each request body the JSON Schema of the zod schema the route validates with', () => {
    const withBody = routes.filter((r) => r.body);
    expect(withBody.length).toBeGreaterThan(5);
    for (const r of withBody) {
      const documented = committed.paths[openApiPathOf(r.path)]![r.method.toLowerCase()]!.requestBody!.content['application/json']!.schema;
      expect(documented, `${r.method} ${r.path}`).toEqual(JSON.parse(JSON.stringify(inputJsonSchema(r.body!))));
    }
  });

  it('shows case-insensitive enums with their lower-case values', () => {
    const status = committed.paths['/api/v1/jobs/{id}/status']!.post!.requestBody!.content['application/json']!.schema as { properties: { status: unknown } };
    expect(status.properties.status).toMatchObject({ type: 'string', enum: ['running', 'done', 'failed'] });
  });
});

describe('GET /api/v1/openapi.json', () => {
  it('serves the committed document, without a token', async () => {
    expect(routes.some((r) => r.method === 'GET' && r.path === openApiPath)).toBe(true);
    const response = await fetch(`${app.url}${openApiPath}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(await response.json()).toEqual(committed);
  });
});
