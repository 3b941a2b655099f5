// `npm start`: configuration, then either Probot's GitHub App setup flow (no
// APP_ID yet) or the app itself. SIGINT/SIGTERM stop it cleanly.
import './runtime-flags.ts';
import 'dotenv/config';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from 'probot';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { prepareDatabase, startApp } from './server.ts';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, projectRoot);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const log = createLogger(config.logLevel);

  if (!config.github.appId) {
    // the database is made ready now, so the first real start is quick
    const database = await prepareDatabase(config, log);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => void database.stop().finally(() => process.exit(0)));
    }
    log.info('no APP_ID: starting the GitHub App setup flow from app.yml; open the printed URL to register the app, then start again');
    process.env.NO_SMEE_SETUP ??= 'true';
    await run(() => {}, { log });
    return;
  }

  const app = await startApp({ config, log });
  log.info({ url: app.url }, 'scrum4me-app is running');
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    app
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`scrum4me-app failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
