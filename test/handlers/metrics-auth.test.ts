// GET /metrics faces the same port as GitHub's webhooks (SPEC §7): only a bearer
// SCRUM4ME_METRICS_TOKEN or an admin token reads it; anything else is a 401
// with the error envelope, and no metric in the body.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { projectRoot, startTestApp, type TestApp } from '../support/app.ts';
import { seedUser } from '../support/seed.ts';

const metricsToken = 'metrics-reader-0123456789abcdef';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ env: { SCRUM4ME_METRICS_TOKEN: metricsToken } });
});
afterAll(async () => {
  await app?.close();
});

const readMetrics = (headers: Record<string, string>) => fetch(`${app.url}/metrics`, { headers });

describe('GET /metrics', () => {
  it('answers SCRUM4ME_METRICS_TOKEN and an admin token with the Prometheus text', async () => {
    for (const token of [metricsToken, 'test-admin-token-0123456789abcdef']) {
      const response = await readMetrics({ authorization: `Bearer ${token}` });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await response.text()).toContain('scrum4me_http_requests_total');
    }
  });

  it('refuses no token, a malformed header, an unknown token, an agent token and a revoked admin token with 401 UNAUTHENTICATED', async () => {
    const agent = await seedUser(app.db.prisma);
    const admin = await app.call('POST', '/api/v1/admin/tokens', { body: { user: 'ops', admin: true } });
    expect(admin.status).toBe(201);
    expect((await app.call('DELETE', `/api/v1/admin/tokens/${admin.body.token_id}`)).status).toBe(200);
    const refused: [string, Record<string, string>][] = [
      ['no token', {}],
      ['malformed', { authorization: metricsToken }],
      ['basic', { authorization: `Basic ${Buffer.from(`x:${metricsToken}`).toString('base64')}` }],
      ['unknown', { authorization: 'Bearer s4m_not-a-token-at-all-0123456789' }],
      ['metrics token with a suffix', { authorization: `Bearer ${metricsToken}x` }],
      ['agent token', { authorization: `Bearer ${agent.token}` }],
      ['revoked admin token', { authorization: `Bearer ${admin.body.token}` }],
    ];
    for (const [what, headers] of refused) {
      const response = await readMetrics(headers);
      expect(response.status, what).toBe(401);
      expect(response.headers.get('content-type'), what).toMatch(/^application\/json/);
      const text = await response.text();
      expect(text, what).not.toContain('scrum4me_');
      expect(JSON.parse(text), what).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
    }
  });

  it('without SCRUM4ME_METRICS_TOKEN configured, only an admin token reads it', async () => {
    const plain = await startTestApp();
    try {
      expect((await fetch(`${plain.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).status).toBe(401);
      expect((await fetch(`${plain.url}/metrics`)).status).toBe(401);
      expect((await plain.call('GET', '/metrics')).status).toBe(200);
    } finally {
      await plain.close();
    }
  });
});

describe('SCRUM4ME_METRICS_TOKEN', () => {
  it('is validated at start: at least 24 characters', () => {
    const load = (value: string) => loadConfig({ SCRUM4ME_METRICS_TOKEN: value }, projectRoot);
    expect(() => load('short')).toThrow(ConfigError);
    expect(() => load('short')).toThrow(/SCRUM4ME_METRICS_TOKEN must be at least 24 characters/);
    expect(load(metricsToken).metricsToken).toBe(metricsToken);
    expect(load('').metricsToken).toBeUndefined();
  });
});
