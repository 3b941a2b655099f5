// `scrum4me` database migrations from the command line:
//   node dist/src/db/migrate-cli.js apply         apply pending migrations
//   node dist/src/db/migrate-cli.js status        list applied and pending migrations
//   node dist/src/db/migrate-cli.js diff <name>   write a migration for prisma/schema.prisma
// The database is DATABASE_URL (environment or .env) or, when unset, the embedded
// PostgreSQL in SCRUM4ME_DATA_DIR (default .data/), started for the command only.
import path from 'node:path';
import dotenv from 'dotenv';
import { startEmbeddedPostgres, type DbLogger, type EmbeddedPostgresServer } from './embedded-postgres.ts';
import { chooseDataDir } from './data-dir.ts';

/** This is a command-line tool: its output is for the person who ran it. */
const say = (line: string) => process.stdout.write(`${line}\n`);
import { applyMigrations, diffMigration, migrationStatus, projectRoot, redactUrl } from './migrations.ts';

const USAGE = `usage: migrate-cli <command>
  apply         apply the pending migrations in prisma/migrations
  status        list applied and pending migrations (exit 1 if any is pending or failed)
  diff <name>   write prisma/migrations/<timestamp>_<name>/migration.sql for the changes
                in prisma/schema.prisma since the last migration
Database: DATABASE_URL, else the embedded PostgreSQL in SCRUM4ME_DATA_DIR (default .data/).`;

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

function consoleLogger(debug: boolean): DbLogger {
  const line = (obj: object, msg?: string) => (Object.keys(obj).length ? `${msg ?? ''} ${JSON.stringify(obj)}` : (msg ?? ''));
  return {
    info: (obj, msg) => console.error(line(obj, msg)),
    warn: (obj, msg) => console.error(`warning: ${line(obj, msg)}`),
    error: (obj, msg) => console.error(`error: ${line(obj, msg)}`),
    debug: (obj, msg) => {
      if (debug) console.error(line(obj, msg));
    },
  };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    say(USAGE);
    return command === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (!['apply', 'status', 'diff'].includes(command) || (command === 'diff' ? args.length !== 1 : args.length !== 0)) {
    console.error(USAGE);
    return EXIT_USAGE;
  }

  const root = projectRoot();
  dotenv.config({ path: path.join(root, '.env'), quiet: true });
  const log = consoleLogger(process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace');

  let embedded: EmbeddedPostgresServer | undefined;
  const stopEmbedded = async () => {
    const running = embedded;
    embedded = undefined;
    await running?.stop();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`${signal}: stopping`);
      void stopEmbedded().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }

  try {
    let url = process.env.DATABASE_URL;
    if (url) {
      console.error(`database: ${redactUrl(url)}`);
    } else {
      const configured = Boolean(process.env.SCRUM4ME_DATA_DIR?.trim());
      // the folder `npm start` uses (as root, a default folder closed to user postgres moves)
      const { dataDir } = await chooseDataDir({ dataDir: path.resolve(root, process.env.SCRUM4ME_DATA_DIR?.trim() || '.data'), configured });
      console.error(`database: embedded PostgreSQL in ${dataDir}`);
      embedded = await startEmbeddedPostgres({ dataDir, log });
      url = embedded.url;
    }

    switch (command) {
      case 'apply': {
        const { applied } = await applyMigrations(url, { log });
        say(applied.length ? `applied ${applied.length}: ${applied.join(', ')}` : 'no pending migrations');
        return EXIT_OK;
      }
      case 'status': {
        const status = await migrationStatus(url);
        for (const name of status.applied) say(`applied  ${name}`);
        for (const name of status.failed) say(`FAILED   ${name}`);
        for (const name of status.pending) say(`pending  ${name}`);
        return status.pending.length || status.failed.length ? EXIT_FAILED : EXIT_OK;
      }
      default: {
        const migration = await diffMigration(url, args[0] ?? '', { log });
        say(migration ? `wrote ${path.relative(root, migration.dir)}/migration.sql` : 'prisma/schema.prisma has no changes since the last migration');
        return EXIT_OK;
      }
    }
  } catch (err) {
    console.error(`migrate ${command} failed: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_FAILED;
  } finally {
    await stopEmbedded().catch((err: unknown) => console.error(`could not stop the embedded PostgreSQL: ${String(err)}`));
  }
}

// process.exit: nothing (pg pools, the wasm engine's timers) may keep a one-shot command alive.
process.exit(await main(process.argv.slice(2)));
