// The console's HTTP basics: security headers on every answer, HTML and
// redirects, cookies, and bounded form bodies (urlencoded or multipart).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { DomainError } from '../services/errors.ts';

/** No inline script or style anywhere: everything the pages load comes from /console/assets. */
export const contentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function securityHeaders(): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
  };
}

export function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, {
    ...securityHeaders(),
    'content-type': 'text/html; charset=utf-8',
    // pages carry live data and a CSRF token: never cached
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(html);
}

/** 303: the browser follows with a GET, so a reload never re-posts a form. */
export function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { ...securityHeaders(), location, 'cache-control': 'no-store', ...headers });
  res.end();
}

/** HTTPS directly (TLS socket) or behind a proxy that says so. */
export function isHttps(req: IncomingMessage): boolean {
  if ((req.socket as TLSSocket).encrypted) return true;
  const forwarded = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface CookieOptions {
  path: string;
  secure: boolean;
  /** seconds; 0 deletes the cookie; absent: until the browser closes */
  maxAge?: number;
}

export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  return [
    `${name}=${value}`,
    `Path=${options.path}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(options.secure ? ['Secure'] : []),
    ...(options.maxAge !== undefined ? [`Max-Age=${options.maxAge}`] : []),
  ].join('; ');
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new DomainError('PAYLOAD_TOO_LARGE', `the form is over ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A posted form's fields; an uploaded file's text under its field name. */
export type Form = Map<string, string>;

export async function readForm(req: IncomingMessage, maxBytes: number): Promise<Form> {
  const type = req.headers['content-type'] ?? '';
  const body = await readBody(req, maxBytes);
  const form: Form = new Map();
  if (type.startsWith('multipart/form-data')) {
    // the platform's multipart parser (undici's Response#formData), not a hand-written one
    let data: FormData;
    try {
      data = await new Response(new Uint8Array(body), { headers: { 'content-type': type } }).formData();
    } catch {
      throw new DomainError('VALIDATION_FAILED', 'the form could not be read');
    }
    const entries: [string, FormDataEntryValue][] = [];
    data.forEach((value, key) => entries.push([key, value]));
    for (const [key, value] of entries) form.set(key, typeof value === 'string' ? value : await value.text());
    return form;
  }
  for (const [key, value] of new URLSearchParams(body.toString('utf8'))) form.set(key, value);
  return form;
}
