// Our HTTP API on Probot's server: a find-my-way route table, bearer auth,
// bounded JSON bodies, zod validation, the SPEC §4 error envelope, request ids
// and per-route metrics. Route handlers stay thin and call one service.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import FindMyWay from 'find-my-way';
import type { z } from 'zod';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { AuthContext } from '../services/auth/tokens.ts';
import { DomainError, permissionDenied } from '../services/errors.ts';
import { errorResponse, sendJson } from './error-response.ts';
import { readJsonBody } from './json-body.ts';
import { parseInput } from './validation.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** public: no token; agent: any token of a user; admin: an admin token */
export type Access = 'public' | 'agent' | 'admin';

export interface RouteContext<Body, Params, Query> {
  req: IncomingMessage;
  res: ServerResponse;
  body: Body;
  params: Params;
  query: Query;
  /** null only on public routes */
  auth: AuthContext;
  log: Logger;
  requestId: string;
  signal: AbortSignal;
}

/** A JSON answer, or `handled` when the route wrote the response itself (SSE, metrics). */
export type RouteResult = { status: number; body?: unknown; headers?: Record<string, string> } | { handled: true };

export interface Route<B extends z.ZodType = z.ZodType, P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType> {
  method: HttpMethod;
  path: string;
  access: Access;
  body?: B;
  params?: P;
  query?: Q;
  handle(ctx: RouteContext<z.output<B>, z.output<P>, z.output<Q>>): Promise<RouteResult>;
}

/** Keeps a route's schema types attached to its handler. */
export function route<B extends z.ZodType, P extends z.ZodType, Q extends z.ZodType>(r: Route<B, P, Q>): Route {
  return r as unknown as Route;
}

export interface RouterOptions {
  routes: Route[];
  authenticate(authorization: string | undefined): Promise<AuthContext>;
  log: Logger;
  metrics: Metrics;
  maxBodyBytes: number;
  /** paths under these prefixes get our JSON 404 instead of falling through to Probot */
  ownedPrefixes: string[];
}

type RequestWithId = IncomingMessage & { id?: string | number; log?: Logger };

export function createRouter(options: RouterOptions) {
  const router = FindMyWay({ ignoreTrailingSlash: true, caseSensitive: true, maxParamLength: 200 });
  for (const r of options.routes) {
    // the store carries the route; find() is used so unmatched paths can fall through
    router.on(r.method, r.path, () => undefined, r);
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = req.url ?? '/';
    const pathname = url.split('?', 1)[0] ?? '/';
    const found = router.find((req.method ?? 'GET') as HttpMethod, url);
    if (!found) {
      if (!options.ownedPrefixes.some((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`))) return false;
      const allowed = router.findRoute('GET', pathname) || router.findRoute('POST', pathname);
      const status = allowed ? 405 : 404;
      sendJson(res, status, {
        error: { code: 'NOT_FOUND', message: allowed ? `method ${req.method} not allowed on ${pathname}` : `no route ${pathname}` },
      });
      options.metrics.httpRequests.inc({ method: req.method ?? '', route: 'unmatched', status });
      return true;
    }
    const r = found.store as Route;
    const requestWithId = req as RequestWithId;
    const requestId = String(requestWithId.id ?? req.headers['x-request-id'] ?? randomUUID());
    const log = (requestWithId.log ?? options.log).child({ reqId: requestId, route: r.path });
    const started = process.hrtime.bigint();
    const abort = new AbortController();
    // only a client gone before the answer aborts the handler (an abort builds a DOMException)
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    let status = 500;
    try {
      const auth = r.access === 'public' ? (null as unknown as AuthContext) : await options.authenticate(req.headers.authorization);
      if (r.access === 'admin' && !auth.admin) throw permissionDenied('this route needs an admin token');
      const params = r.params ? parseInput(r.params, found.params, 'params') : found.params;
      const query = r.query ? parseInput(r.query, found.searchParams, 'query') : found.searchParams;
      let body: unknown = undefined;
      if (r.body) {
        const raw = await readJsonBody(req, options.maxBodyBytes);
        // an empty body means "no fields"; JSON null is not an object and is refused
        body = parseInput(r.body, raw === undefined ? {} : raw, 'body');
      } else if (req.method !== 'GET' && req.method !== 'HEAD') {
        await readJsonBody(req, options.maxBodyBytes);
      }
      const result = await r.handle({ req, res, body, params, query, auth, log, requestId, signal: abort.signal });
      if ('handled' in result) {
        status = res.statusCode;
      } else {
        status = result.status;
        sendJson(res, result.status, result.body, { 'x-request-id': requestId, ...result.headers });
      }
    } catch (error) {
      const { status: errorStatus, body, headers } = errorResponse(error);
      status = errorStatus;
      // a 503 (GitHub or the database away) is not a bug: a warning, with what caused it
      if (errorStatus === 503) log.warn({ err: error, code: body.error.code }, 'request answered unavailable');
      else if (errorStatus >= 500) log.error({ err: error }, 'request failed');
      else if (!(error instanceof DomainError)) log.warn({ err: error }, 'request rejected');
      if (errorStatus === 413) res.setHeader('connection', 'close');
      sendJson(res, errorStatus, body, { 'x-request-id': requestId, ...headers });
    } finally {
      const labels = { method: r.method, route: r.path, status };
      options.metrics.httpRequests.inc(labels);
      options.metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    }
    return true;
  };
}
