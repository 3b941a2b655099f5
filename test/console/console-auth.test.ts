// The console's door: sign-in with an admin token only, a session in
// PostgreSQL, CSRF on every form, the strict CSP, nothing of a token shown or
// logged. One Chromium for the file.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { adminToken, projectRoot, startTestApp, type TestApp } from '../support/app.ts';
import { consoleContext, expectAccessible, launchChromium, signIn } from './browser.ts';
import { cookieOf, getPage, httpSignIn, postForm } from './http-session.ts';

let app: TestApp;
let browser: Browser;
let agentToken: string;

beforeAll(async () => {
  [app, browser] = await Promise.all([startTestApp({ env: { SCRUM4ME_CONSOLE_IDLE_MINUTES: '5' } }), launchChromium()]);
  agentToken = (await app.call('POST', '/api/v1/admin/tokens', { body: { user: 'agent-ann' } })).body.token;
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('sign-in', () => {
  it('takes an admin token in a password field labelled "Token", and "Sign out" ends the session', async () => {
    const context = await consoleContext(browser);
    const page = await context.newPage();
    await page.goto(`${app.url}/console/login`);
    const field = page.getByLabel('Token');
    expect(await field.getAttribute('type')).toBe('password');
    await expectAccessible(page);
    await signIn(page, app);
    expect(new URL(page.url()).pathname).toBe('/console');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Products');
    expect(await page.getByText('signed in as').textContent()).toContain('admin');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/console\/login/);
    expect(await page.getByText('Signed out.').count()).toBe(1);
    // the session is gone from the database, and the pages need a new sign-in
    expect(await app.db.prisma.consoleSession.count()).toBe(0);
    await page.goto(`${app.url}/console/jobs`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    expect(context.cspViolations).toEqual([]);
    await context.close();
  });

  it('refuses an agent token and an unknown token with a message, and opens no session', async () => {
    const context = await consoleContext(browser);
    const page = await context.newPage();
    await page.goto(`${app.url}/console/login`);
    await page.getByLabel('Token').fill(agentToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('agent token of agent-ann: the console needs an admin token');
    // the token is never put back into the page
    expect(await page.content()).not.toContain(agentToken);
    expect(await page.getByLabel('Token').inputValue()).toBe('');

    await page.getByLabel('Token').fill('s4m_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('unknown or revoked');
    expect(await app.db.prisma.consoleSession.count()).toBe(0);
    await context.close();

    const refused = await httpSignIn(app, agentToken);
    expect(refused.response.status).toBe(403);
    expect(refused.session).toBeUndefined();
    expect((await httpSignIn(app, 'nope')).response.status).toBe(401);
  });

  it('sends a page without a session to the sign-in, and back to it after', async () => {
    const context = await consoleContext(browser);
    const page = await context.newPage();
    await page.goto(`${app.url}/console/tokens`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/console/tokens');
    await page.getByLabel('Token').fill(adminToken);
    await page.getByLabel('Token').press('Enter');
    await page.waitForURL((url) => url.pathname === '/console/tokens');
    await context.close();

    // plain HTTP: a redirect, never a page; the event stream answers 401
    const anonymous = await fetch(`${app.url}/console/jobs?status=done`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/console/login?next=%2Fconsole%2Fjobs%3Fstatus%3Ddone');
    expect((await fetch(`${app.url}/console/events?activity=1`)).status).toBe(401);
    // never to another site
    const away = await fetch(`${app.url}/console/login?next=//evil.example/x`, { redirect: 'manual' });
    expect(await away.text()).toContain('name="next" value="/console"');
  });
});

describe('the session', () => {
  it('lives in an HttpOnly, SameSite=Strict cookie on /console, Secure over HTTPS, and only its hash is stored', async () => {
    const plain = await httpSignIn(app);
    expect(plain.response.status).toBe(303);
    const cookie = cookieOf(plain.response, 'scrum4me_session')!;
    expect(cookie).toMatch(/^scrum4me_session=[A-Za-z0-9_-]{43}; Path=\/console; HttpOnly; SameSite=Strict$/);
    const behindProxy = await httpSignIn(app, adminToken, { 'x-forwarded-proto': 'https' });
    expect(cookieOf(behindProxy.response, 'scrum4me_session')).toMatch(/; Path=\/console; HttpOnly; SameSite=Strict; Secure$/);

    const rows = await app.db.prisma.consoleSession.findMany();
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows) {
      expect(row.id_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.id_hash).not.toBe(plain.session);
    }
    expect((await getPage(app, '/console/jobs', plain.cookie)).response.status).toBe(200);
  });

  it('ends after the idle time, and when its token is revoked', async () => {
    const idle = await httpSignIn(app);
    expect((await getPage(app, '/console', idle.cookie)).response.status).toBe(200);
    // six minutes without a request (the limit is five)
    await app.db.prisma.consoleSession.updateMany({ data: { last_seen_at: new Date(Date.now() - 6 * 60_000) } });
    const expired = await getPage(app, '/console', idle.cookie);
    expect(expired.response.status).toBe(303);
    expect(expired.response.headers.get('location')).toBe('/console/login');

    const spare = (await app.call('POST', '/api/v1/admin/tokens', { body: { user: 'op', admin: true } })).body;
    const session = await httpSignIn(app, spare.token);
    expect((await getPage(app, '/console', session.cookie)).response.status).toBe(200);
    expect((await app.call('DELETE', `/api/v1/admin/tokens/${spare.token_id}`)).status).toBe(200);
    expect((await getPage(app, '/console', session.cookie)).response.status).toBe(303);
  });
});

describe('CSRF', () => {
  it('refuses a state-changing form without its CSRF token or with a wrong one (403), and changes nothing', async () => {
    const { cookie } = await httpSignIn(app);
    const tokensBefore = await app.db.prisma.apiToken.count();
    const without = await postForm(app, '/console/tokens', cookie, { user: 'mallory' });
    expect(without.status).toBe(403);
    expect(await without.text()).toContain('no valid CSRF token');
    const wrong = await postForm(app, '/console/tokens', cookie, { user: 'mallory', _csrf: 'x'.repeat(43) });
    expect(wrong.status).toBe(403);
    // another session's token does not fit this one
    const other = await httpSignIn(app);
    const otherCsrf = (await getPage(app, '/console/tokens', other.cookie)).csrf!;
    expect((await postForm(app, '/console/tokens', cookie, { user: 'mallory', _csrf: otherCsrf })).status).toBe(403);
    expect((await postForm(app, '/console/logout', cookie, {})).status).toBe(403);
    expect(await app.db.prisma.apiToken.count()).toBe(tokensBefore);

    // with its own token the same form works
    const own = (await getPage(app, '/console/tokens', cookie)).csrf!;
    const minted = await postForm(app, '/console/tokens', cookie, { user: 'mallory', _csrf: own });
    expect(minted.status).toBe(201);
    expect(await app.db.prisma.apiToken.count()).toBe(tokensBefore + 1);

    // the sign-in form has its own: without it nothing is signed in
    const login = await fetch(`${app.url}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: adminToken }),
    });
    expect(login.status).toBe(403);
    expect(cookieOf(login, 'scrum4me_session')).toBeUndefined();
  });
});

describe('set-up', () => {
  it('validates SCRUM4ME_CONSOLE_IDLE_MINUTES at start (1 to 10080, default 60)', () => {
    expect(loadConfig({}, projectRoot).consoleIdleMinutes).toBe(60);
    expect(loadConfig({ SCRUM4ME_CONSOLE_IDLE_MINUTES: '15' }, projectRoot).consoleIdleMinutes).toBe(15);
    for (const bad of ['0', '10081', 'soon', '1.5']) {
      expect(() => loadConfig({ SCRUM4ME_CONSOLE_IDLE_MINUTES: bad }, projectRoot)).toThrow(
        `SCRUM4ME_CONSOLE_IDLE_MINUTES must be an integer from 1 to 10080, got "${bad}"`,
      );
    }
  });

  it('fails, saying what to install, when there is no browser (never skips)', async () => {
    await expect(launchChromium('/nonexistent/chromium')).rejects.toThrow(
      "No Chromium at /nonexistent/chromium: the console's browser tests need one. Install Debian's package (`apt-get install -y chromium`",
    );
  });
});

describe('headers and secrets', () => {
  it('sends the strict Content-Security-Policy (no inline script) and frame-ancestors none on pages, assets and redirects', async () => {
    const { cookie } = await httpSignIn(app);
    const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    const page = await getPage(app, '/console', cookie);
    expect(page.response.headers.get('content-security-policy')).toBe(csp);
    expect(page.response.headers.get('x-frame-options')).toBe('DENY');
    expect(page.response.headers.get('cache-control')).toBe('no-store');
    expect(page.html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect((await fetch(`${app.url}/console/login`)).headers.get('content-security-policy')).toBe(csp);
    expect((await fetch(`${app.url}/console`, { redirect: 'manual' })).headers.get('content-security-policy')).toBe(csp);

    // assets: hashed names, cached for a year
    const assets = [...page.html.matchAll(/(?:href|src)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual([expect.stringMatching(/^\/console\/assets\/console\.[0-9a-f]{12}\.css$/), expect.stringMatching(/^\/console\/assets\/console\.[0-9a-f]{12}\.js$/)]);
    for (const asset of assets) {
      const response = await fetch(`${app.url}${asset}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    expect((await fetch(`${app.url}/console/assets/console.css`)).status).toBe(404);
  });

  it('never renders or logs a token or a session id', async () => {
    const { cookie, session } = await httpSignIn(app);
    const csrf = (await getPage(app, '/console/tokens', cookie)).csrf!;
    const minted = await postForm(app, '/console/tokens', cookie, { user: 'bot', name: 'ci', _csrf: csrf });
    const mintedHtml = await minted.text();
    const token = /id="minted-token"[^>]*value="(s4m_[^"]+)"/.exec(mintedHtml)?.[1] ?? /value="(s4m_[^"]+)"[^>]*id="minted-token"/.exec(mintedHtml)?.[1];
    expect(token, 'the minted token is shown once').toMatch(/^s4m_/);
    expect(minted.headers.get('cache-control')).toBe('no-store');
    // every page afterwards: the prefix only
    for (const path of ['/console', '/console/tokens', '/console/jobs', '/console/activity']) {
      const { html } = await getPage(app, path, cookie);
      expect(html).not.toContain(token!);
      expect(html).not.toContain(adminToken);
      expect(html).not.toContain(session!);
    }
    const logs = app.logs.join('');
    expect(logs).toContain('console sign-in');
    expect(logs).not.toContain(adminToken);
    expect(logs).not.toContain(agentToken);
    expect(logs).not.toContain(token!);
    expect(logs).not.toContain(session!);
  });
});
