// The token cache saves a lookup per API call; a revoked token must still be
// refused at once here and as soon as the NOTIFY arrives on other replicas,
// and never accepted from the cache while revocations could be missed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { until } from '../cascade/support.ts';
import { createTokenCache } from '../../src/services/auth/token-cache.ts';

const auth = (tokenId: string) => ({ tokenId, userId: 'u', userName: 'user', admin: false });

describe('createTokenCache', () => {
  it('answers nothing until enabled, forgets by token id, expires entries and drops the oldest when full', async () => {
    const cache = createTokenCache({ ttlMs: 50, maxEntries: 2 });
    cache.set('h1', auth('t1'));
    expect(cache.get('h1')).toBeUndefined();
    cache.enable();
    cache.set('h1', auth('t1'));
    cache.set('h2', auth('t2'));
    expect(cache.get('h1')?.tokenId).toBe('t1');
    cache.forget('t1');
    expect(cache.get('h1')).toBeUndefined();
    cache.set('h3', auth('t3'));
    cache.set('h4', auth('t4'));
    expect([cache.get('h2'), cache.get('h3'), cache.get('h4')].map((a) => a?.tokenId)).toEqual([undefined, 't3', 't4']);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(cache.get('h4')).toBeUndefined();
    cache.set('h5', auth('t5'));
    cache.disable();
    expect(cache.get('h5')).toBeUndefined();
  });
});

describe('token cache across replicas', { timeout: 60_000 }, () => {
  let first: TestApp;
  let second: TestApp;
  beforeAll(async () => {
    first = await startTestApp();
    second = await startTestApp({ reuseDatabaseUrl: first.db.url });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  const claim = (app: TestApp, token: string) => app.call('POST', '/api/v1/jobs/claim', { token, body: { wait_seconds: 0 } });

  it('refuses a token revoked on one replica on the other one too, after the NOTIFY and without a restart', async () => {
    const minted = await first.call('POST', '/api/v1/admin/tokens', { body: { user: 'cache-user' } });
    expect((await claim(second, minted.body.token)).status).toBe(204); // cached on the second replica now
    expect((await first.call('DELETE', `/api/v1/admin/tokens/${minted.body.token_id}`)).status).toBe(200);
    expect((await claim(first, minted.body.token)).status).toBe(401); // the revoking replica: at once
    await until('the second replica to refuse the revoked token', async () => (await claim(second, minted.body.token)).status === 401, 5_000);
  });

  it('stops trusting the cache when its LISTEN connection is lost: a revocation missed meanwhile still counts', async () => {
    const minted = await first.call('POST', '/api/v1/admin/tokens', { body: { user: 'cache-user-2' } });
    expect((await claim(second, minted.body.token)).status).toBe(204);
    // kill every tokens-changed listener, then revoke behind their back (no NOTIFY at all)
    await first.db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN scrum4me_tokens_changed%'`);
    await first.db.pool.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1', [minted.body.token_id]);
    await until('the revoked token to be refused', async () => (await claim(second, minted.body.token)).status === 401, 5_000);
    // and the cache comes back once listening again: a fresh token still works
    const fresh = await first.call('POST', '/api/v1/admin/tokens', { body: { user: 'cache-user-2' } });
    await until('a fresh token to be served again', async () => (await claim(second, fresh.body.token)).status === 204, 5_000);
  });
});
