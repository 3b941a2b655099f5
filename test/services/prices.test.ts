// Prices (SPEC §11): the prices file validated at start, stored as the table in
// force only when it differs, GET|PUT /api/v1/admin/prices, and the first
// matching glob choosing a model's price.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { choosePrice, loadPriceBook } from '../../src/services/prices/price-book.ts';
import { projectRoot, startTestApp, type TestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { seedUser } from '../support/seed.ts';

const sonnet = { model: 'claude-sonnet-*', input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 };
const anyClaude = { model: 'claude-*', input: 1, output: 5, cache_read: 0.1, cache_write: 1.25 };

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'scrum4me-prices-'));
});
afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function pricesFile(name: string, content: unknown): Promise<string> {
  const file = path.join(workDir, name);
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function configProblems(file: string): string[] {
  try {
    loadConfig({ SCRUM4ME_PRICES_FILE: file }, projectRoot);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('SCRUM4ME_PRICES_FILE', () => {
  it('is read and validated at start', async () => {
    const file = await pricesFile('good.json', { prices: [sonnet, anyClaude] });
    expect(loadConfig({ SCRUM4ME_PRICES_FILE: file }, projectRoot).pricesFile).toEqual({ path: file, entries: [sonnet, anyClaude] });
    expect(loadConfig({}, projectRoot).pricesFile).toBeUndefined();
  });

  it('stops the app naming the file, the entry and its field', async () => {
    const file = await pricesFile('bad.json', { prices: [sonnet, { ...anyClaude, input: -1 }, { ...anyClaude, output: 0.1234567 }] });
    const problems = configProblems(file);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(new RegExp(`^SCRUM4ME_PRICES_FILE: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: prices\\.1\\.input: `));
    expect(problems[1]).toContain('prices.2.output: at most 6 decimals');
    expect(configProblems(await pricesFile('extra.json', { prices: [{ ...sonnet, currency: 'EUR' }] }))[0]).toContain('prices.0');
    expect(configProblems(await pricesFile('not-json.json', '{"prices": ['))[0]).toMatch(/^SCRUM4ME_PRICES_FILE: cannot read .*not-json\.json as JSON/);
    expect(configProblems(path.join(workDir, 'missing.json'))[0]).toMatch(/^SCRUM4ME_PRICES_FILE: cannot read .*missing\.json/);
  });

  it('replaces the stored table at start when it differs, and adds nothing when it does not', async () => {
    const database: TestDatabase = await createTestDatabase();
    const tables = async () => (await database.db.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM price_tables')).rows[0]!.n;
    const start = async (file: string) => (await startTestApp({ reuseDatabaseUrl: database.url, env: { SCRUM4ME_PRICES_FILE: file } })).close();
    try {
      const first = await pricesFile('start-1.json', { prices: [sonnet] });
      await start(first);
      expect(await tables()).toBe('1');
      // the same table, written differently: still one
      await start(await pricesFile('start-1b.json', `{ "prices": [ { "cache_write": 3.75, "cache_read": 0.3, "output": 15, "input": 3.0, "model": "claude-sonnet-*" } ] }`));
      expect(await tables()).toBe('1');
      await start(await pricesFile('start-2.json', { prices: [sonnet, anyClaude] }));
      expect(await tables()).toBe('2');
      await start(first);
      expect(await tables()).toBe('3');
      const book = await loadPriceBook(database.db.pool);
      expect(book.entries.map((e) => [e.model, e.input, e.output, e.cache_read, e.cache_write])).toEqual([['claude-sonnet-*', '3.000000', '15.000000', '0.300000', '3.750000']]);
    } finally {
      await database.drop();
    }
  });
});

describe('choosePrice', () => {
  it('takes the first entry whose glob matches, and no model or no match is unpriced', () => {
    const matcher = (glob: string) => (model: string) => new RegExp(`^${glob.replace('*', '.*')}$`).test(model);
    const book = {
      tableId: '7',
      entries: [
        { position: 0, model: 'claude-sonnet-*', input: '3', output: '15', cache_read: '0.3', cache_write: '3.75', matches: matcher('claude-sonnet-*') },
        { position: 1, model: 'claude-*', input: '1', output: '5', cache_read: '0.1', cache_write: '1.25', matches: matcher('claude-*') },
      ],
    };
    expect(choosePrice(book, 'claude-sonnet-4')).toEqual({ tableId: '7', position: 0 });
    expect(choosePrice(book, 'claude-haiku-4')).toEqual({ tableId: '7', position: 1 });
    expect(choosePrice(book, 'gpt-4o')).toEqual({ tableId: '7', position: null });
    expect(choosePrice(book, null)).toEqual({ tableId: '7', position: null });
    expect(choosePrice({ tableId: null, entries: [] }, 'claude-sonnet-4')).toEqual({ tableId: null, position: null });
  });
});

describe('GET|PUT /api/v1/admin/prices', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers an empty table before any is stored, then the table PUT stored, in order', async () => {
    expect(await app.call('GET', '/api/v1/admin/prices')).toMatchObject({ status: 200, body: { prices: [] } });
    const put = await app.call('PUT', '/api/v1/admin/prices', { body: { prices: [sonnet, anyClaude, { model: '**', input: 0.000001, output: 999999.999999, cache_read: 0, cache_write: 0 }] } });
    expect(put.status).toBe(200);
    const expected = [sonnet, anyClaude, { model: '**', input: 0.000001, output: 999999.999999, cache_read: 0, cache_write: 0 }];
    expect(put.body).toEqual({ prices: expected });
    expect((await app.call('GET', '/api/v1/admin/prices')).body).toEqual({ prices: expected });
    // globs are matched as picomatch matches them, first entry first
    const book = await loadPriceBook(app.db.pool);
    expect(choosePrice(book, 'claude-sonnet-4-5')).toMatchObject({ position: 0 });
    expect(choosePrice(book, 'claude-opus-4')).toMatchObject({ position: 1 });
    expect(choosePrice(book, 'openrouter/gpt-4o')).toMatchObject({ position: 2 });
  });

  it('refuses a bad entry with 400 naming it, and changes nothing', async () => {
    await app.call('PUT', '/api/v1/admin/prices', { body: { prices: [sonnet] } });
    const before = (await app.db.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM price_tables')).rows[0]!.n;
    for (const [prices, field] of [
      [[sonnet, { ...anyClaude, cache_read: 'cheap' }], 'prices.1.cache_read'],
      [[{ ...sonnet, model: '' }], 'prices.0.model'],
      [[sonnet, sonnet, { ...sonnet, input: 1_000_001 }], 'prices.2.input'],
      [[{ ...sonnet, output: 1e-7 }], 'prices.0.output'],
      [[{ ...sonnet, model: 'a\u0000b' }], 'prices.0.model'],
    ] as const) {
      const response = await app.call('PUT', '/api/v1/admin/prices', { body: { prices } });
      expect(response.status, field).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
      expect(response.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
      expect(response.body.error.message).toContain(field);
    }
    expect((await app.call('GET', '/api/v1/admin/prices')).body).toEqual({ prices: [sonnet] });
    expect((await app.db.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM price_tables')).rows[0]!.n).toBe(before);
  });

  it('is for admin tokens only', async () => {
    const user = await seedUser(app.db.prisma);
    expect((await app.call('GET', '/api/v1/admin/prices', { token: user.token })).status).toBe(403);
    expect((await app.call('PUT', '/api/v1/admin/prices', { token: user.token, body: { prices: [] } })).status).toBe(403);
  });
});
