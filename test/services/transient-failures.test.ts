// Which failures are worth retrying later: GitHub's transient ones (5xx, rate
// limits, the request layer's timeouts and network errors) and a database out
// of reach; never a bug (a TypeError) or a database's refusal (a Prisma error).
import { RequestError } from '@octokit/request-error';
import { describe, expect, it, vi } from 'vitest';
import type { JobHelpers } from 'graphile-worker';
import { durableTask, isPermanentFailure } from '../../src/services/background/task-failures.ts';
import { isTransientGitHubError } from '../../src/services/github/access.ts';
import { GitHubRequestAborted } from '../../src/services/github/request-timeout.ts';
import { isDatabaseUnreachable } from '../../src/db/unreachable.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';

const request = { method: 'GET' as const, url: 'https://api.github.com/repos/a/b', headers: {} };
const githubAnswer = (status: number, message = 'x', headers: Record<string, string> = {}) =>
  new RequestError(message, status, { request, response: { status, url: request.url, headers, data: {} } });
/** how @octokit/request wraps a fetch that never got an answer (a refused or reset connection) */
const networkFailure = () => Object.assign(new RequestError('connect ECONNREFUSED 127.0.0.1:1', 500, { request }), { cause: new TypeError('fetch failed') });
const prismaRefusal = () => new Prisma.PrismaClientKnownRequestError('Unique constraint failed', { code: 'P2002', clientVersion: '7' });
const droppedConnection = () => Object.assign(new Error('Connection terminated unexpectedly'), {});
const prismaCannotReach = () => new Prisma.PrismaClientKnownRequestError("Can't reach database server", { code: 'P1001', clientVersion: '7' });

describe('isTransientGitHubError', () => {
  it.each([
    ['a 502', githubAnswer(502), true],
    ['a 500 for a dropped connection', networkFailure(), true],
    ['a deadline that passed (GitHubRequestAborted, status 500)', new GitHubRequestAborted(true, 'GitHub did not answer'), true],
    ['a caller that cancelled', new GitHubRequestAborted(false, 'cancelled'), true],
    ['an AbortSignal.timeout before the request layer', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), true],
    ["fetch's own network failure", new TypeError('fetch failed'), true],
    ['a 429', githubAnswer(429), true],
    ['a 403 rate limit', githubAnswer(403, 'API rate limit exceeded'), true],
    ['a 403 refusal', githubAnswer(403, 'Resource not accessible by integration'), false],
    ['a 404', githubAnswer(404), false],
    ['a 422', githubAnswer(422), false],
    ['a TypeError (a bug)', new TypeError("Cannot read properties of undefined (reading 'sha')"), false],
    ['a Prisma refusal', prismaRefusal(), false],
    ['a database out of reach (not GitHub)', prismaCannotReach(), false],
    ['a plain Error', new Error('something else'), false],
    ['not an error at all', 'boom', false],
  ])('%s → %s', (_name, error, transient) => {
    expect(isTransientGitHubError(error)).toBe(transient);
  });
});

describe('isPermanentFailure (background tasks)', () => {
  it.each([
    ['a TypeError', new TypeError('x is not a function'), true],
    ['a Prisma refusal', prismaRefusal(), true],
    ['a 404 from GitHub', githubAnswer(404), true],
    ['a dropped database connection', droppedConnection(), false],
    ['Prisma cannot reach the database', prismaCannotReach(), false],
    ['a 503 from GitHub', githubAnswer(503), false],
    ['a GitHub deadline', new GitHubRequestAborted(true, 'late'), false],
  ])('%s → %s', (_name, error, permanent) => {
    expect(isPermanentFailure(error)).toBe(permanent);
  });

  it('the database check is its own: a GitHub network failure is not the database', () => {
    expect(isDatabaseUnreachable(networkFailure())).toBe(false);
    expect(isDatabaseUnreachable(droppedConnection())).toBe(true);
  });
});

describe('durableTask', () => {
  const run = async (error: unknown) => {
    const log = { warn: vi.fn() };
    const task = durableTask({ log } as never, { task: 'refresh_story_check' }, async () => {
      throw error;
    });
    const helpers = { job: { max_attempts: 5 }, addJob: vi.fn() } as unknown as JobHelpers;
    const outcome = await Promise.resolve(task({}, helpers)).then(
      () => 'dropped',
      () => 'retried',
    );
    return { outcome, logged: log.warn.mock.calls.length };
  };

  it('drops a bug (a TypeError) with a warning instead of retrying it', async () => {
    expect(await run(new TypeError("Cannot read properties of undefined (reading 'id')"))).toEqual({ outcome: 'dropped', logged: 1 });
  });

  it('retries a dropped database connection (graphile-worker backs off)', async () => {
    expect(await run(droppedConnection())).toEqual({ outcome: 'retried', logged: 0 });
  });
});
