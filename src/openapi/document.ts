// The OpenAPI 3.1 document of the HTTP API, built from the route table: each
// route's own zod schemas for path, query and body (the ones the router
// validates with), its answers from ./operations.ts, and its errors from its
// access level and ./operations.ts. zod-openapi renders the schemas.
import { z } from 'zod';
import { createDocument, type oas31, type ZodObjectInput, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { errorResponse } from '../http/error-response.ts';
import type { Route } from '../http/router.ts';
import { DomainError, type ErrorCode } from '../services/errors.ts';
import { appVersion } from './app-info.ts';
import { openApiVersion, schemaOverride } from './json-schema.ts';
import { errorMeanings, operations, type OperationDoc } from './operations.ts';
import { errorBody } from './responses.ts';

export const openApiPath = '/api/v1/openapi.json';

const allCodes = Object.keys(errorMeanings) as ErrorCode[];
const errorSchema = errorBody(allCodes).meta({ id: 'Error', description: 'The error envelope of every failure (SPEC §4)' });

const routeKey = (r: Pick<Route, 'method' | 'path'>) => `${r.method} ${r.path}`;
/** find-my-way's `:id` as OpenAPI's `{id}` */
const openApiPathOf = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
const pathParamNames = (path: string) => [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);

/** Routes the document can only describe from their schemas (test/openapi insists there are none). */
export function undocumentedRoutes(routes: readonly Route[]): string[] {
  return routes.map(routeKey).filter((key) => !operations[key]);
}

export function buildOpenApiDocument(routes: readonly Route[]): oas31.OpenAPIObject {
  const paths: ZodOpenApiPathsObject = {};
  const sorted = [...routes].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  for (const r of sorted) {
    const path = openApiPathOf(r.path);
    paths[path] = { ...paths[path], [r.method.toLowerCase()]: operationOf(r, operations[routeKey(r)] ?? bareDoc(r)) };
  }
  paths['/mcp'] = { post: mcpOperation() };
  return createDocument(
    {
      openapi: openApiVersion,
      info: {
        title: 'scrum4me-app API',
        version: appVersion(),
        description: [
          'The Scrum4Me GitHub App hands backlog jobs to AI coding agents and does their GitHub work.',
          '',
          '- Auth: `Authorization: Bearer <token>`. Agent routes take any token of a user and only see that user\'s jobs; operator routes (`/api/v1/admin/…`) need an admin token.',
          '- Enumerated values are lower case in every answer; inputs accept lower or upper case. Ids are strings; timestamps ISO-8601 or null.',
          '- Every failure answers `{"error": {"code", "message", "details"?}}` with the status of its code.',
          '- Answers may gain fields over time: ignore the ones you do not know.',
          '- MCP clients: the agent routes are also MCP tools at `POST /mcp` (Streamable HTTP). See docs/agents.md.',
        ].join('\n'),
      },
      servers: [{ url: '/' }],
      tags: [
        { name: 'agent', description: 'The agent API (SPEC §4): claim jobs and report on them' },
        { name: 'operator', description: 'The operator API (SPEC §5): tokens, products, backlog, jobs, PBIs' },
        { name: 'events', description: 'Live changes' },
        { name: 'health', description: 'Probes, metrics and this document' },
      ],
      paths,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token from POST /api/v1/admin/tokens (or SCRUM4ME_ADMIN_TOKEN)' } } },
    },
    { override: schemaOverride },
  );
}

function operationOf(r: Route, doc: OperationDoc): ZodOpenApiOperationObject {
  const names = pathParamNames(r.path);
  const pathParams = (r.params ?? (names.length > 0 ? z.object(Object.fromEntries(names.map((n) => [n, z.string()]))) : undefined)) as
    | ZodObjectInput
    | undefined;
  const operation: ZodOpenApiOperationObject = {
    operationId: doc.operationId,
    summary: doc.summary,
    tags: doc.tags,
    security: r.access === 'public' ? [] : [{ bearer: [] }],
    responses: { ...successResponses(doc), ...errorResponses(r, doc) },
  };
  const description = [doc.description, r.access === 'admin' ? 'Needs an admin token.' : undefined].filter(Boolean).join(' ');
  if (description) operation.description = description;
  if (pathParams || r.query) {
    operation.requestParams = { ...(pathParams ? { path: pathParams } : {}), ...(r.query ? { query: r.query as ZodObjectInput } : {}) };
  }
  if (r.body) {
    // the router reads an empty body as {}: the body is optional when {} passes
    operation.requestBody = { required: !r.body.safeParse({}).success, content: { 'application/json': { schema: r.body } } };
  }
  return operation;
}

function successResponses(doc: OperationDoc): ZodOpenApiResponsesObject {
  const responses: ZodOpenApiResponsesObject = {};
  for (const [status, success] of Object.entries(doc.responses)) {
    responses[status as `2${string}`] = {
      description: success.description,
      ...(success.schema || success.contentType
        ? { content: { [success.contentType ?? 'application/json']: success.schema ? { schema: success.schema } : {} } }
        : {}),
    };
  }
  return responses;
}

/** Codes every route of its kind can answer, then the route's own, grouped by HTTP status. */
function errorResponses(r: Route, doc: OperationDoc): ZodOpenApiResponsesObject {
  const readsBody = r.method !== 'GET';
  const codes = new Set<ErrorCode>([
    ...(r.access === 'public' ? [] : (['UNAUTHENTICATED'] as const)),
    ...(r.access === 'admin' ? (['PERMISSION_DENIED'] as const) : []),
    ...(readsBody || r.params || r.query ? (['VALIDATION_FAILED'] as const) : []),
    ...(readsBody ? (['PAYLOAD_TOO_LARGE'] as const) : []),
    ...doc.errors,
    'INTERNAL',
  ]);
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = errorResponse(new DomainError(code, '')).status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: ZodOpenApiResponsesObject = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[`${status}` as `4${string}`] = {
      description: group.map((code) => `${code}: ${errorMeanings[code]}`).join('. '),
      content: { 'application/json': { schema: errorSchema } },
    };
  }
  return responses;
}

function bareDoc(r: Route): OperationDoc {
  return {
    operationId: `${r.method.toLowerCase()}${r.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: `${r.method} ${r.path}`,
    tags: r.path.startsWith('/api/v1/admin/') ? ['operator'] : ['agent'],
    responses: { 200: { description: 'Success' } },
    errors: [],
  };
}

/** /mcp is no route of the route table (a raw handler), but clients should find it here. */
function mcpOperation(): ZodOpenApiOperationObject {
  return {
    operationId: 'mcp',
    summary: 'MCP over Streamable HTTP (stateless)',
    description:
      'The agent routes as MCP tools: wait_for_job, update_job_status, verify_task_against_plan, get_git_token, update_idea_grill_md, update_idea_plan_md, get_job. ' +
      'Send each JSON-RPC message with POST (Accept: application/json, text/event-stream); answers are JSON. GET and DELETE answer 405: there are no sessions. ' +
      'Tool failures are results with isError whose text starts with the error code.',
    tags: ['agent'],
    security: [{ bearer: [] }],
    requestBody: { required: true, content: { 'application/json': { schema: z.looseObject({ jsonrpc: z.literal('2.0'), method: z.string() }) } } },
    responses: {
      '200': { description: 'The JSON-RPC answer', content: { 'application/json': {} } },
      '202': { description: 'A notification was accepted' },
      '401': {
        description: 'UNAUTHENTICATED, with WWW-Authenticate: Bearer',
        content: { 'application/json': { schema: errorSchema } },
      },
      '405': { description: 'Only POST' },
      '413': { description: 'The body is over the limit' },
    },
  };
}
