// Starts a real app instance (HTTP server, Probot, real PostgreSQL) for tests.
import { generateKeyPairSync } from 'node:crypto';
import { Writable } from 'node:stream';
import path from 'node:path';
import { ProbotOctokit } from 'probot';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { startApp, type AppInstance } from '../../src/server.ts';
import { createTestDatabase } from './database.ts';

export const projectRoot = path.resolve(import.meta.dirname, '..', '..');
export const webhookSecret = 'test-webhook-secret';
export const adminToken = 'test-admin-token-0123456789abcdef';

let cachedKey: string | undefined;
/** A real RSA key, so Probot can sign app JWTs. */
export function testPrivateKey(): string {
  cachedKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return cachedKey;
}

/** The environment of an app started as its own process (`src/main.ts` or a test entry) against a fake GitHub. */
export function appProcessEnv(options: { databaseUrl: string; gheHost: string; port: number; webhookSecret: string }): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    APP_ID: '1',
    PRIVATE_KEY: testPrivateKey(),
    WEBHOOK_SECRET: options.webhookSecret,
    PORT: String(options.port),
    HOST: '127.0.0.1',
    DATABASE_URL: options.databaseUrl,
    GHE_HOST: options.gheHost,
    GHE_PROTOCOL: 'http',
    SCRUM4ME_ADMIN_TOKEN: adminToken,
    LOG_LEVEL: 'warn',
  };
}

/**
 * Probot's Octokit without retries or throttling. Not the default: GitHub
 * behaviour is tested with Probot's Octokit as shipped (write pacing per
 * installation, plugin-retry, plugin-throttling), which is how the app runs.
 * Only for a test that opts out with `octokit: 'unpaced'`, saying why.
 */
export const TestOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  retry: { enabled: false },
  throttle: { ...(options.throttle as object), enabled: false },
}));

/**
 * Files that run without Probot's plugins without asking, and why: written when tests
 * ran unpaced, they depend on GitHub calls failing at once. Each should pass
 * `octokit: 'unpaced'` itself, or (better) mock what plugin-retry re-reads; until
 * then they are listed here, the only opt-outs that do not say so in their own file.
 */
const unpacedFiles: Record<string, string> = {
  // its background check refreshes call GitHub unmocked; plugin-retry retries those reads
  // (1 + 4 + 9 s) and holds the worker that the merge-method lookups wait for
  'test/webhooks/pull-request.test.ts': 'unmocked background reads retried',
  // mocks one 502 for a read that plugin-retry reads again (the retry finds no mock)
  'test/services/pull-requests/reconcile.test.ts': 'one-shot 502 mock on a retried read',
  // write pacing: one installation's closes, comments and revert PRs 1-3 s apart outlast its wait
  'test/cascade/cascade-e2e.test.ts': 'write pacing',
};

function octokitFor(choice: TestAppOptions['octokit']): 'shipped' | 'unpaced' {
  if (choice) return choice;
  const file = expect.getState().testPath;
  return file && unpacedFiles[path.relative(projectRoot, file)] ? 'unpaced' : 'shipped';
}

/** fetch's error for a kept-alive connection the server closed under a new request. */
function isResetBeforeAnswer(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } }).cause;
  return error instanceof TypeError && (cause?.code === 'ECONNRESET' || cause?.code === 'UND_ERR_SOCKET');
}

export interface TestAppOptions {
  env?: Record<string, string>;
  reuseDatabaseUrl?: string;
  /**
   * 'shipped' (default): Probot's Octokit as in production. 'unpaced': without
   * retries or pacing (TestOctokit), for files that make many GitHub writes
   * whose subject is not pacing; each such file says why it opts out.
   */
  octokit?: 'shipped' | 'unpaced';
}

export interface TestApp extends AppInstance {
  logs: string[];
  call(method: string, route: string, options?: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> }): // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers loosely
  Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.reuseDatabaseUrl ? undefined : await createTestDatabase();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const config = loadConfig(
    {
      APP_ID: '1',
      PRIVATE_KEY: testPrivateKey(),
      WEBHOOK_SECRET: webhookSecret,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: options.reuseDatabaseUrl ?? database!.url,
      SCRUM4ME_ADMIN_TOKEN: adminToken,
      LOG_LEVEL: 'info',
      ...options.env,
    },
    projectRoot,
  );
  const app = await startApp({ config, log: createLogger(config.logLevel, sink), Octokit: octokitFor(options.octokit) === 'unpaced' ? TestOctokit : ProbotOctokit });
  return {
    ...app,
    logs,
    async call(method, route, { token = adminToken, body, raw, headers = {} } = {}) {
      const send = () =>
        fetch(`${app.url}${route}`, {
          method,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}),
            ...headers,
          },
          body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
        });
      let response: Response;
      try {
        response = await send();
      } catch (error) {
        // The app, the fake GitHub (synchronous git) and this client share one event loop:
        // after a long enough block the server closes a kept-alive connection (its 5 s idle
        // timeout) just as the client reuses it, before reading the request. Sent again once.
        if (!isResetBeforeAnswer(error)) throw error;
        response = await send();
      }
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON (metrics)
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async close() {
      await app.stop();
      await database?.drop();
    },
  };
}
