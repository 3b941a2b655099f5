// The failed-delivery healer against GitHub's app hook delivery API (nock replays
// GitHub; Probot's Octokit as shipped, retry and throttling on): it asks again
// for exactly the deliveries that failed, were never processed and were not
// redelivered already, reads no page further back than its last look, and
// records what it asked for so the next look asks nothing twice.
import nock from 'nock';
import { Probot, ProbotOctokit } from 'probot';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { createLogger } from '../../src/logger.ts';
import { maxRedeliveriesPerLook, redeliverFailedWebhooks } from '../../src/services/webhooks/redeliver-failed.ts';
import { probotGitHubAccess, type GitHubAccess } from '../../src/services/github/access.ts';
import { createMetrics } from '../../src/metrics.ts';
import { TestOctokit, testPrivateKey } from '../support/app.ts';

const api = 'https://api.github.com';
let database: TestDatabase;
/** The app's own GitHub access (app JWT through Probot); `unpaced`: without Probot's write pacing (only where many writes are not the subject) */
const github = (options: { unpaced?: boolean } = {}): GitHubAccess =>
  probotGitHubAccess(
    new Probot({ appId: 1, privateKey: testPrivateKey(), log: createLogger('silent'), Octokit: options.unpaced ? TestOctokit : ProbotOctokit }),
    createMetrics(),
  );
const services = (options: { unpaced?: boolean } = {}) => ({ prisma: database.db.prisma, github: github(options), log: createLogger('silent') });

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});
beforeEach(async () => {
  await database.reset();
});
afterEach(() => {
  nock.cleanAll();
});

const now = new Date('2026-12-03T12:00:00Z');
const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();

interface Item {
  id: number;
  guid: string;
  status_code: number;
  minutesAgo: number;
  redelivery?: boolean;
  event?: string;
  action?: string | null;
}
/** One delivery as GET /app/hook/deliveries lists it. */
const delivery = (item: Item) => ({
  id: item.id,
  guid: item.guid,
  delivered_at: ago(item.minutesAgo),
  redelivery: item.redelivery ?? false,
  duration: 0.2,
  status: item.status_code === 0 ? 'timed out' : item.status_code < 300 ? 'OK' : 'Internal Server Error',
  status_code: item.status_code,
  event: item.event ?? 'pull_request',
  action: item.action === undefined ? 'closed' : item.action,
  installation_id: 4242,
  repository_id: 77,
});
const next = (cursor: string) => ({ link: `<${api}/app/hook/deliveries?per_page=100&cursor=${cursor}>; rel="next"` });

/** Records each POST …/attempts the healer makes, answering 202. */
function attempts(answer: (id: string) => [number, unknown, Record<string, string>?] = () => [202, {}]) {
  const asked: string[] = [];
  const scope = nock(api)
    .persist()
    .post(/^\/app\/hook\/deliveries\/\d+\/attempts$/)
    .reply((uri) => {
      const id = uri.split('/')[4]!;
      asked.push(id);
      const [status, body, headers] = answer(id);
      return [status, body, headers ?? {}];
    });
  return { asked, scope };
}

describe('redeliverFailedWebhooks', () => {
  it('asks again for each failed, unprocessed, not yet redelivered delivery once, oldest first, and stops paging at its horizon', async () => {
    await database.db.prisma.webhookDelivery.create({ data: { id: 'g-processed', event: 'pull_request', action: 'closed' } });
    await database.db.prisma.webhookRedelivery.create({ data: { guid: 'g-asked', delivery_id: 90n, event: 'pull_request', status_code: 502 } });
    const pages = nock(api)
      .get('/app/hook/deliveries')
      .query({ per_page: '100' })
      .reply(
        200,
        [
          delivery({ id: 110, guid: 'g-ok', status_code: 200, minutesAgo: 5 }),
          delivery({ id: 109, guid: 'g-fail-1', status_code: 502, minutesAgo: 10 }),
          delivery({ id: 108, guid: 'g-processed', status_code: 500, minutesAgo: 20 }),
          delivery({ id: 107, guid: 'g-asked', status_code: 0, minutesAgo: 30 }),
          delivery({ id: 106, guid: 'g-healed', status_code: 200, minutesAgo: 40, redelivery: true }),
          delivery({ id: 105, guid: 'g-healed', status_code: 500, minutesAgo: 50 }),
        ],
        next('page2'),
      )
      .get('/app/hook/deliveries')
      .query({ per_page: '100', cursor: 'page2' })
      .reply(
        200,
        [
          delivery({ id: 104, guid: 'g-fail-2', status_code: 0, minutesAgo: 24 * 60, event: 'installation', action: 'created' }),
          delivery({ id: 103, guid: 'g-fail-1', status_code: 503, minutesAgo: 25 * 60 }),
          delivery({ id: 102, guid: 'g-too-old', status_code: 500, minutesAgo: 80 * 60 }),
        ],
        next('page3'),
      );
    const posts = attempts();

    const summary = await redeliverFailedWebhooks(services(), now);
    expect(pages.isDone()).toBe(true);
    // g-fail-2 (its only attempt) and g-fail-1 (its newest attempt, 109); nothing else
    expect(posts.asked).toEqual(['104', '109']);
    expect(summary.redelivered.map((r) => r.guid)).toEqual(['g-fail-2', 'g-fail-1']);
    expect(summary.seen).toBe(8);
    const records = await database.db.prisma.webhookRedelivery.findMany({ orderBy: { guid: 'asc' } });
    expect(records.map((r) => [r.guid, Number(r.delivery_id), r.event, r.status_code])).toEqual([
      ['g-asked', 90, 'pull_request', 502],
      ['g-fail-1', 109, 'pull_request', 502],
      ['g-fail-2', 104, 'installation', 0],
    ]);
    expect(await database.db.prisma.hookDeliveryScan.findUnique({ where: { id: 'app' } })).toMatchObject({ scanned_at: now });

    // the next look, 5 minutes later: only since the last look (with a 10-minute overlap), and nothing asked twice
    nock.cleanAll();
    const later = new Date(now.getTime() + 5 * 60_000);
    const second = nock(api)
      .get('/app/hook/deliveries')
      .query({ per_page: '100' })
      .reply(
        200,
        [
          delivery({ id: 112, guid: 'g-fail-1', status_code: 500, minutesAgo: -4, redelivery: true }),
          delivery({ id: 111, guid: 'g-new', status_code: 500, minutesAgo: -3 }),
          delivery({ id: 110, guid: 'g-ok', status_code: 200, minutesAgo: 5 }),
          delivery({ id: 109, guid: 'g-fail-1', status_code: 502, minutesAgo: 10 }),
          delivery({ id: 108, guid: 'g-processed', status_code: 500, minutesAgo: 20 }),
        ],
        next('page2'),
      );
    const again = attempts();
    const summary2 = await redeliverFailedWebhooks(services(), later);
    expect(second.isDone()).toBe(true);
    expect(again.asked).toEqual(['111']);
    expect(summary2.since).toEqual(new Date(now.getTime() - 10 * 60_000));
  });

  it('records a delivery GitHub refuses to redeliver (422) and never asks for it again', async () => {
    const list = () =>
      nock(api)
        .get('/app/hook/deliveries')
        .query({ per_page: '100' })
        .reply(200, [delivery({ id: 201, guid: 'g-refused', status_code: 500, minutesAgo: 3 })]);
    list();
    const posts = attempts(() => [422, { message: 'Validation Failed' }]);
    const summary = await redeliverFailedWebhooks(services(), now);
    expect(posts.asked).toEqual(['201']);
    expect(summary.refused).toEqual([{ guid: 'g-refused', deliveryId: 201, status: 422 }]);
    expect(await database.db.prisma.webhookRedelivery.count({ where: { guid: 'g-refused' } })).toBe(1);

    nock.cleanAll();
    list();
    const again = attempts();
    await redeliverFailedWebhooks(services(), new Date(now.getTime() + 60_000));
    expect(again.asked).toEqual([]);
  });

  it('stops at a rate limit: what it asked for is recorded, the rest and its look wait for the next run', async () => {
    nock(api)
      .get('/app/hook/deliveries')
      .query({ per_page: '100' })
      .reply(200, [
        delivery({ id: 303, guid: 'g-c', status_code: 500, minutesAgo: 1 }),
        delivery({ id: 302, guid: 'g-b', status_code: 500, minutesAgo: 2 }),
        delivery({ id: 301, guid: 'g-a', status_code: 500, minutesAgo: 3 }),
      ]);
    const limited = { 'retry-after': '60', 'x-ratelimit-remaining': '4000' };
    const posts = attempts((id) => (id === '302' ? [403, { message: 'You have exceeded a secondary rate limit.' }, limited] : [202, {}]));
    const failure = await redeliverFailedWebhooks(services(), now).then(
      () => null,
      (error: unknown) => error as { status?: number },
    );
    expect(failure?.status).toBe(403);
    expect(posts.asked).toEqual(['301', '302']);
    expect((await database.db.prisma.webhookRedelivery.findMany()).map((r) => r.guid)).toEqual(['g-a']);
    expect(await database.db.prisma.hookDeliveryScan.count()).toBe(0);
  });

  it(`asks for at most ${maxRedeliveriesPerLook} per look and keeps the look open for the rest`, async () => {
    const many = Array.from({ length: maxRedeliveriesPerLook + 5 }, (_, i) => delivery({ id: 1000 - i, guid: `g-${i}`, status_code: 500, minutesAgo: i + 1 }));
    const list = () => nock(api).get('/app/hook/deliveries').query({ per_page: '100' }).reply(200, many);
    list();
    const posts = attempts();
    // unpaced: 55 writes 1 s apart would only slow the test down
    const first = await redeliverFailedWebhooks(services({ unpaced: true }), now);
    expect(posts.asked).toHaveLength(maxRedeliveriesPerLook);
    expect(first.truncated).toBe(true);
    expect(await database.db.prisma.hookDeliveryScan.count()).toBe(0);

    nock.cleanAll();
    list();
    const rest = attempts();
    const second = await redeliverFailedWebhooks(services({ unpaced: true }), now);
    expect(rest.asked).toHaveLength(5);
    expect(new Set([...posts.asked, ...rest.asked]).size).toBe(maxRedeliveriesPerLook + 5);
    expect(second.truncated).toBe(false);
    expect(await database.db.prisma.hookDeliveryScan.count()).toBe(1);
  });
});
