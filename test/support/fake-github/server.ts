// The fake GitHub's HTTP server: routing at `/` and `/api/v3`, call log, latency and faults.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Faults } from './faults.ts';
import { findRoute, HttpError, type Route, type RouteResult } from './router.ts';
import type { FakeState } from './state.ts';
import type { Urls } from './shapes/accounts.ts';

export interface CallRecord {
  method: string;
  /** Without `/api/v3` and without the query string. */
  path: string;
  /** The octokit route it matched (`POST /repos/{owner}/{repo}/git/refs`), null when none did. */
  route: string | null;
  query: Record<string, string>;
  /** 0 when the fake never answered (a hang). */
  status: number;
  requestBody: unknown;
  responseBody: unknown;
  /** The token of the Authorization header (installation token or JWT), null without one. */
  token: string | null;
  /** Answered (or not) by an injected fault. */
  faulted: boolean;
  /** Came in under `/api/v3`, as a GitHub Enterprise Server client sends it. */
  enterprise: boolean;
  /** When the request arrived, in epoch milliseconds (fractional, `performance.timeOrigin + performance.now()`). */
  startedAt: number;
  /** When the answer was sent, same clock; 0 while unanswered (a hang). */
  finishedAt: number;
}

const GHE_PREFIX = '/api/v3';

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    throw new HttpError(400, 'Problems parsing JSON');
  }
}

const nowMs = (): number => performance.timeOrigin + performance.now();

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class FakeHttpServer {
  readonly faults = new Faults();
  readonly calls: CallRecord[] = [];
  latencyMs = 0;
  private server: Server | null = null;
  private requestCount = 0;

  constructor(
    private readonly state: FakeState,
    private readonly routes: readonly Route[],
  ) {}

  async listen(): Promise<string> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) {
          response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ message: String(error) }));
        }
      });
    });
    // Clients (undici, 4 s idle) must always be the side that closes a kept-alive
    // connection: with Node's 5 s server default, a loaded event loop let a client
    // reuse a socket the server was closing (ECONNRESET in tests under load).
    server.keepAliveTimeout = 60_000;
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const origin = `http://${request.headers.host ?? '127.0.0.1'}`;
    const requestUrl = new URL(request.url ?? '/', origin);
    const enterprise = requestUrl.pathname === GHE_PREFIX || requestUrl.pathname.startsWith(`${GHE_PREFIX}/`);
    const path = (enterprise ? requestUrl.pathname.slice(GHE_PREFIX.length) : requestUrl.pathname) || '/';
    const method = (request.method ?? 'GET').toUpperCase();
    const urls: Urls = { api: enterprise ? `${origin}${GHE_PREFIX}` : origin, html: origin };
    const token = /^(?:token|bearer)\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? null;
    const match = findRoute(this.routes, method, path);
    const record: CallRecord = {
      method,
      path,
      route: match?.route.name ?? null,
      query: Object.fromEntries(requestUrl.searchParams),
      status: 0,
      requestBody: undefined,
      responseBody: undefined,
      token,
      faulted: false,
      enterprise,
      startedAt: nowMs(),
      finishedAt: 0,
    };
    this.calls.push(record);

    let body: Record<string, unknown> = {};
    try {
      body = await readJson(request);
    } catch (error) {
      this.send(response, record, this.errorResult(error));
      return;
    }
    record.requestBody = Object.keys(body).length > 0 ? body : undefined;
    if (this.latencyMs > 0) await sleep(this.latencyMs);

    const fault = this.faults.take(method, path, record.route);
    if (fault) record.faulted = true;
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault && !fault.afterEffect) {
      if (fault.hang) return;
      if (fault.status !== undefined) {
        this.send(response, record, this.faultResult(fault.status, fault.headers, fault.body));
        return;
      }
    }

    let result: RouteResult;
    if (!match) {
      result = this.errorResult(new HttpError(404, 'Not Found'));
    } else {
      try {
        result = match.route.handler({
          params: match.params,
          query: requestUrl.searchParams,
          body,
          urls,
          requestUrl,
          state: this.state,
          token,
        });
      } catch (error) {
        result = this.errorResult(error);
      }
    }

    if (fault?.afterEffect) {
      if (fault.hang) return;
      if (fault.status !== undefined) result = this.faultResult(fault.status, fault.headers, fault.body);
    }
    this.send(response, record, result);
  }

  private faultResult(status: number, headers: Record<string, string> = {}, body?: unknown): RouteResult {
    return { status, headers, body: body ?? new HttpError(status, status >= 500 ? 'Server Error' : 'Injected fault').body() };
  }

  private errorResult(error: unknown): RouteResult {
    if (error instanceof HttpError) return { status: error.status, body: error.body(), headers: error.headers };
    return { status: 500, body: { message: error instanceof Error ? error.message : String(error) } };
  }

  private send(response: ServerResponse, record: CallRecord, result: RouteResult): void {
    this.requestCount += 1;
    const headers: Record<string, string> = {
      'x-github-request-id': `FAKE:${this.requestCount}`,
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(Math.max(5000 - this.requestCount, 1)),
      'x-ratelimit-used': String(Math.min(this.requestCount, 4999)),
      'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 3600),
      'x-ratelimit-resource': 'core',
      ...result.headers,
    };
    record.status = result.status;
    record.responseBody = result.body;
    record.finishedAt = nowMs();
    if (result.status === 204 || result.body === undefined) {
      response.writeHead(result.status, headers);
      response.end();
      return;
    }
    response.writeHead(result.status, { ...headers, 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify(result.body));
  }
}
