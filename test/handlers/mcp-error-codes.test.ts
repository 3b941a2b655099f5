// MCP tool results map errors as the HTTP API does (one mapper): the text starts
// with the SPEC code; the 503 codes carry when to come back.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { callTool } from '../../src/handlers/mcp/handler.ts';
import type { AgentTool } from '../../src/handlers/mcp/tools.ts';
import { errorResponse } from '../../src/http/error-response.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { DomainError } from '../../src/services/errors.ts';
import { githubFailure } from '../../src/services/github/access.ts';
import { GitHubAccessLost } from '../../src/services/installations/github-access.ts';

const services = { log: createLogger('silent'), metrics: createMetrics() };
const ctx = { auth: { userId: 'u', tokenId: 't', admin: false } as never, signal: new AbortController().signal };

function failingTool(error: unknown): AgentTool {
  return {
    name: 'update_job_status',
    title: 'Report job status',
    description: '',
    input: z.object({}),
    run: async () => {
      throw error;
    },
  };
}

/** What pg throws when the server refuses the connection. */
const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 5432 });
/** What Prisma's pg adapter throws for the same. */
const prismaUnreachable = Object.assign(new Error("Can't reach database server at 127.0.0.1:5432"), {
  code: 'P1001',
  meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 } } },
});
/** A raw query whose session the server ended (a restart): P2010 with 57P01 inside. */
const adminShutdown = Object.assign(new Error('Raw query failed. Code: `57P01`. Message: `terminating connection due to administrator command`'), {
  code: 'P2010',
  meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { kind: 'postgres', code: '57P01', severity: 'FATAL' } } },
});

describe('MCP error results', () => {
  const cases: { name: string; error: unknown; code: string; status: number; retryAfter?: number }[] = [
    { name: 'GitHub rate-limited the push check', error: new DomainError('GITHUB_UNAVAILABLE', 'rate limit', undefined, { retryAfterSeconds: 42 }), code: 'GITHUB_UNAVAILABLE', status: 503, retryAfter: 42 },
    { name: 'GitHub did not answer (no retry-after said)', error: githubFailure(Object.assign(new Error('Bad Gateway'), { status: 502 }), 'checking'), code: 'GITHUB_UNAVAILABLE', status: 503, retryAfter: 5 },
    { name: 'the installation lost the repository', error: new GitHubAccessLost('the installation cannot reach acme/x'), code: 'APP_NOT_INSTALLED', status: 422 },
    { name: 'pg: connection refused', error: refused, code: 'UNAVAILABLE', status: 503, retryAfter: 5 },
    { name: "Prisma: can't reach the database", error: prismaUnreachable, code: 'UNAVAILABLE', status: 503, retryAfter: 5 },
    { name: 'the server ended the session (57P01)', error: adminShutdown, code: 'UNAVAILABLE', status: 503, retryAfter: 5 },
    { name: 'pg-pool: no connection in time', error: new Error('timeout exceeded when trying to connect'), code: 'UNAVAILABLE', status: 503, retryAfter: 5 },
    { name: 'a bug', error: new TypeError("Cannot read properties of undefined (reading 'x')"), code: 'INTERNAL', status: 500 },
  ];
  for (const { name, error, code, status, retryAfter } of cases) {
    it(`${name}: ${code} over HTTP (${status}) and over MCP`, async () => {
      const http = errorResponse(error);
      expect(http.status).toBe(status);
      expect(http.body.error.code).toBe(code);
      expect(http.headers).toEqual(retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) });
      const result = await callTool(services, failingTool(error), ctx, {});
      expect(result.isError).toBe(true);
      expect((result.content as { type: string; text: string }[])[0]!.text.startsWith(`${code}: `)).toBe(true);
      expect(result.structuredContent).toEqual({ ...http.body, ...(retryAfter === undefined ? {} : { retry_after_seconds: retryAfter }) });
      // nothing of the cause in the answer
      expect(JSON.stringify(result)).not.toMatch(/ECONNREFUSED|57P01|127\.0\.0\.1|reading 'x'/);
    });
  }

  it('a GitHub call that failed on the network is not taken for the database', () => {
    const fetchFailed = Object.assign(new Error('connect ECONNREFUSED 140.82.112.6:443'), { status: 500, request: { method: 'GET', url: 'https://api.github.com/repos/a/b' }, cause: refused });
    expect(errorResponse(fetchFailed).body.error.code).toBe('INTERNAL');
  });
});
