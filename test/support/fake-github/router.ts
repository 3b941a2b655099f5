// Route table of the fake GitHub: octokit-style templates, GitHub-shaped errors, request body reading.
import type { FakeState, RepoRecord } from './state.ts';
import type { Urls } from './shapes/accounts.ts';

const DOCS = 'https://docs.github.com/rest';

/** An answer other than success, with the body GitHub gives it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }

  body(): Record<string, unknown> {
    return { message: this.message, ...this.extra, documentation_url: DOCS, status: String(this.status) };
  }
}

export const notFound = (): HttpError => new HttpError(404, 'Not Found');

export function validationFailed(errors: Array<Record<string, unknown>>): HttpError {
  return new HttpError(422, 'Validation Failed', { errors });
}

export interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  urls: Urls;
  /** The request URL as the client sent it (with `/api/v3` when used), for Link headers. */
  requestUrl: URL;
  state: FakeState;
  token: string | null;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type RouteHandler = (ctx: RouteContext) => RouteResult;

export interface Route {
  method: string;
  /** As octokit names it: `GET /repos/{owner}/{repo}/git/ref/{ref}`. */
  name: string;
  pattern: RegExp;
  params: string[];
  handler: RouteHandler;
}

/**
 * `{name}` matches one path segment, `{name*}` one or more (refs and branch names
 * contain slashes when the client does not percent-encode them).
 */
export function route(method: string, template: string, handler: RouteHandler): Route {
  const params: string[] = [];
  const source = template.replace(/[.]/g, '\\.').replace(/\{(\w+)(\*?)\}/g, (_all, name: string, many: string) => {
    params.push(name);
    return many ? '(.+)' : '([^/]+)';
  });
  return {
    method,
    name: `${method} ${template.replace(/\*\}/g, '}')}`,
    pattern: new RegExp(`^${source}$`),
    params,
    handler,
  };
}

export function findRoute(routes: readonly Route[], method: string, path: string) {
  for (const candidate of routes) {
    if (candidate.method !== method) continue;
    const match = candidate.pattern.exec(path);
    if (!match) continue;
    const params: Record<string, string> = {};
    candidate.params.forEach((name, index) => {
      params[name] = decodeURIComponent(match[index + 1] ?? '');
    });
    return { route: candidate, params };
  }
  return null;
}

export function requireRepo(ctx: RouteContext): RepoRecord {
  const repo = ctx.state.repo(ctx.params.owner ?? '', ctx.params.repo ?? '');
  if (!repo) throw notFound();
  return repo;
}

export function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw new HttpError(422, `Invalid request.\n\n"${field}" wasn't supplied.`);
  }
  return value;
}

export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new HttpError(422, `Invalid request.\n\nFor '${field}', ${JSON.stringify(value)} is not a string.`);
  return value;
}

export function optionalBoolean(body: Record<string, unknown>, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new HttpError(422, `Invalid request.\n\nFor '${field}', ${JSON.stringify(value)} is not a boolean.`);
  return value;
}
