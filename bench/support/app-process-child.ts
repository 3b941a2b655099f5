// The app's own process for ./app-process.ts: startApp on the given database
// (already migrated: prepareDatabase finds nothing to apply), then answers the
// harness's questions about its memory and CPU over IPC.
import '../../src/runtime-flags.ts'; // as in the app's entry (src/main.ts)
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.ts';
import { projectRoot } from '../../src/db/migrations.ts';
import { createLogger } from '../../src/logger.ts';
import { startApp } from '../../src/server.ts';
import type { AppAnswer, AppProcessOptions, AppRequest } from './app-process.ts';
import { unpacedOctokit } from './stub-github.ts';

const options = JSON.parse(process.env.SCRUM4ME_BENCH_APP ?? '{}') as AppProcessOptions;
const mb = (bytes: number) => bytes / (1024 * 1024);

try {
  const config = loadConfig(
    {
      APP_ID: '1',
      PRIVATE_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      WEBHOOK_SECRET: 'bench-webhook-secret',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: options.databaseUrl,
      SCRUM4ME_ADMIN_TOKEN: options.adminToken,
      LOG_LEVEL: 'warn',
      ...(options.claimTimeoutSeconds ? { SCRUM4ME_CLAIM_TIMEOUT_SECONDS: String(options.claimTimeoutSeconds) } : {}),
      ...(options.githubHost ? { GHE_HOST: options.githubHost, GHE_PROTOCOL: 'http' } : {}),
    },
    projectRoot(),
  );
  const app = await startApp({ config, log: createLogger(config.logLevel, pino.destination(2)), ...(options.unpaced ? { Octokit: unpacedOctokit } : {}) });
  let sampler: { timer: NodeJS.Timeout; peak: number } | null = null;
  process.on('message', (request: AppRequest) => {
    const answer = (value?: unknown) => process.send?.({ id: request.id, value } satisfies AppAnswer);
    const fail = (error: unknown) => process.send?.({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies AppAnswer);
    switch (request.type) {
      case 'rss':
        return answer(mb(process.memoryUsage.rss()));
      case 'memory': {
        (globalThis as { gc?: () => void }).gc?.();
        const m = process.memoryUsage();
        return answer(`rss ${mb(m.rss).toFixed(0)} MB (V8 heap used ${mb(m.heapUsed).toFixed(0)} of ${mb(m.heapTotal).toFixed(0)} MB, external ${mb(m.external).toFixed(0)} MB, array buffers ${mb(m.arrayBuffers).toFixed(0)} MB)`);
      }
      case 'cpu': {
        const cpu = process.cpuUsage();
        return answer((cpu.user + cpu.system) / 1000);
      }
      case 'sample-start': {
        if (sampler) clearInterval(sampler.timer);
        const state = { peak: mb(process.memoryUsage.rss()), timer: setInterval(() => (state.peak = Math.max(state.peak, mb(process.memoryUsage.rss()))), 50) };
        sampler = state;
        return answer();
      }
      case 'sample-stop': {
        if (!sampler) return answer(mb(process.memoryUsage.rss()));
        clearInterval(sampler.timer);
        const peak = Math.max(sampler.peak, mb(process.memoryUsage.rss()));
        sampler = null;
        return answer(peak);
      }
      case 'heap-snapshot':
        try {
          fs.mkdirSync(path.dirname(path.resolve(request.file)), { recursive: true });
          return answer(v8.writeHeapSnapshot(path.resolve(request.file)));
        } catch (error) {
          return fail(error);
        }
      case 'stop':
        app.stop().then(
          () => {
            answer();
            process.exit(0);
          },
          (error: unknown) => {
            fail(error);
            process.exit(1);
          },
        );
    }
  });
  process.on('disconnect', () => {
    void app.stop().finally(() => process.exit(0));
  });
  process.send?.({ ready: app.url });
} catch (error) {
  process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
}
