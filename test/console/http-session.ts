// Console sessions over plain HTTP (fetch), for the tests that look at headers,
// cookies and refusals rather than at a page.
import { adminToken, type TestApp } from '../support/app.ts';

export function cookieOf(response: Response, name: string): string | undefined {
  return response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${name}=`));
}

export const cookieValue = (setCookie: string | undefined) => setCookie?.split(';')[0]?.split('=').slice(1).join('=');

export const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];

/** Signs in as a browser would; answers the sign-in's response and the session cookie to send. */
export async function httpSignIn(app: TestApp, token = adminToken, headers: Record<string, string> = {}) {
  const form = await fetch(`${app.url}/console/login`, { headers });
  const loginCookie = cookieValue(cookieOf(form, 'scrum4me_login'));
  const csrf = csrfIn(await form.text());
  const response = await fetch(`${app.url}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `scrum4me_login=${loginCookie}`, ...headers },
    body: new URLSearchParams({ _csrf: csrf ?? '', token, next: '/console' }),
  });
  const session = cookieValue(cookieOf(response, 'scrum4me_session'));
  return { response, session, cookie: `scrum4me_session=${session}` };
}

/** A console page's HTML with the session; its CSRF token too. */
export async function getPage(app: TestApp, path: string, cookie: string) {
  const response = await fetch(`${app.url}${path}`, { headers: { cookie }, redirect: 'manual' });
  const html = await response.text();
  return { response, html, csrf: csrfIn(html) };
}

export async function postForm(app: TestApp, path: string, cookie: string, fields: Record<string, string>) {
  return fetch(`${app.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams(fields),
  });
}
