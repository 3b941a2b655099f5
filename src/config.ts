// Configuration from the environment (and .env), validated once at start.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { describePriceIssues, priceTableBody, type PriceEntryInput } from './services/prices/price-schema.ts';

const optionalString = z.string().trim().min(1).optional().catch(undefined);
const integer = (name: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be an integer from ${min} to ${max}, got "${value}"` });
        return z.NEVER;
      }
      return parsed;
    });

const envSchema = z.object({
  APP_ID: z
    .string()
    .trim()
    .regex(/^\d+$/, 'APP_ID must be the numeric id of the GitHub App')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  PRIVATE_KEY: optionalString,
  PRIVATE_KEY_PATH: optionalString,
  WEBHOOK_SECRET: optionalString,
  PORT: integer('PORT', 0, 65535, 3000),
  HOST: z.string().trim().min(1).default('localhost'),
  GHE_HOST: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9.-]+(:\d+)?$/, 'GHE_HOST must be a host name (optionally with :port), without protocol or path')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  GHE_PROTOCOL: z.enum(['http', 'https']).default('https'),
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// or postgresql:// URL')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  SCRUM4ME_DATA_DIR: optionalString,
  SCRUM4ME_ADMIN_TOKEN: z
    .string()
    .trim()
    .min(24, 'SCRUM4ME_ADMIN_TOKEN must be at least 24 characters (use `openssl rand -hex 24`)')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  SCRUM4ME_METRICS_TOKEN: z
    .string()
    .trim()
    .min(24, 'SCRUM4ME_METRICS_TOKEN must be at least 24 characters (use `openssl rand -hex 24`)')
    .max(512, 'SCRUM4ME_METRICS_TOKEN must be at most 512 characters')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  SCRUM4ME_CLAIM_TIMEOUT_SECONDS: integer('SCRUM4ME_CLAIM_TIMEOUT_SECONDS', 10, 7 * 24 * 3600, 1800),
  SCRUM4ME_GITHUB_TIMEOUT_MS: integer('SCRUM4ME_GITHUB_TIMEOUT_MS', 100, 10 * 60 * 1000, 20_000),
  SCRUM4ME_MAX_BODY_BYTES: integer('SCRUM4ME_MAX_BODY_BYTES', 1024, 64 * 1024 * 1024, 1024 * 1024),
  SCRUM4ME_CONSOLE_IDLE_MINUTES: integer('SCRUM4ME_CONSOLE_IDLE_MINUTES', 1, 7 * 24 * 60, 60),
  SCRUM4ME_WORKER_DEAD_AFTER_SECONDS: integer('SCRUM4ME_WORKER_DEAD_AFTER_SECONDS', 5, 24 * 3600, 30),
  SCRUM4ME_PRICES_FILE: optionalString,
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

export interface Config {
  github: {
    appId: number | undefined;
    privateKey: string | undefined;
    webhookSecret: string | undefined;
    /** REST API base URL; GitHub Enterprise Server when GHE_HOST is set */
    baseUrl: string | undefined;
    /** a GitHub call that has not answered after this long is aborted (and counts as a 5xx) */
    requestTimeoutMs: number;
  };
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  /** SCRUM4ME_DATA_DIR was set: the data folder is used exactly there (the default may move, see src/db/data-dir.ts) */
  dataDirConfigured: boolean;
  adminToken: string | undefined;
  /** a bearer token that may read /metrics (an admin token may too) */
  metricsToken: string | undefined;
  claimTimeoutSeconds: number;
  maxBodyBytes: number;
  /** a console session with no request for this long is signed out */
  consoleIdleMinutes: number;
  /** a background worker with no heartbeat (and a job held) for this long is dead: its jobs are released (src/services/background/liveness.ts) */
  workerDeadAfterSeconds: number;
  /** SCRUM4ME_PRICES_FILE, read and validated: its table replaces the stored one at start when they differ */
  pricesFile: { path: string; entries: PriceEntryInput[] } | undefined;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the configuration; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv, projectRoot: string): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  let privateKey = e.PRIVATE_KEY?.replace(/\\n/g, '\n');
  if (!privateKey && e.PRIVATE_KEY_PATH) {
    try {
      privateKey = readFileSync(path.resolve(projectRoot, e.PRIVATE_KEY_PATH), 'utf8');
    } catch {
      problems.push(`PRIVATE_KEY_PATH: cannot read ${e.PRIVATE_KEY_PATH}`);
    }
  }
  if (privateKey && !privateKey.includes('-----BEGIN')) {
    // Probot accepts a base64-encoded key on one line
    const decoded = Buffer.from(privateKey, 'base64').toString('utf8');
    if (decoded.includes('-----BEGIN')) privateKey = decoded;
    else problems.push('PRIVATE_KEY: not a PEM private key (nor base64 of one)');
  }
  const pricesFile = e.SCRUM4ME_PRICES_FILE ? readPricesFile(path.resolve(projectRoot, e.SCRUM4ME_PRICES_FILE), problems) : undefined;
  if (e.APP_ID && !privateKey) problems.push('PRIVATE_KEY or PRIVATE_KEY_PATH: required when APP_ID is set');
  if (e.APP_ID && !e.WEBHOOK_SECRET) problems.push('WEBHOOK_SECRET: required when APP_ID is set');
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    github: {
      appId: e.APP_ID ? Number(e.APP_ID) : undefined,
      privateKey,
      webhookSecret: e.WEBHOOK_SECRET,
      baseUrl: e.GHE_HOST ? `${e.GHE_PROTOCOL}://${e.GHE_HOST}/api/v3` : undefined,
      requestTimeoutMs: e.SCRUM4ME_GITHUB_TIMEOUT_MS,
    },
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(projectRoot, e.SCRUM4ME_DATA_DIR ?? '.data'),
    dataDirConfigured: e.SCRUM4ME_DATA_DIR !== undefined,
    adminToken: e.SCRUM4ME_ADMIN_TOKEN,
    metricsToken: e.SCRUM4ME_METRICS_TOKEN,
    claimTimeoutSeconds: e.SCRUM4ME_CLAIM_TIMEOUT_SECONDS,
    maxBodyBytes: e.SCRUM4ME_MAX_BODY_BYTES,
    consoleIdleMinutes: e.SCRUM4ME_CONSOLE_IDLE_MINUTES,
    workerDeadAfterSeconds: e.SCRUM4ME_WORKER_DEAD_AFTER_SECONDS,
    pricesFile,
    logLevel: e.LOG_LEVEL,
  };
}

/** The prices file (SPEC §11): a bad entry is a problem naming the file, the entry's index and its field. */
function readPricesFile(file: string, problems: string[]): Config['pricesFile'] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    problems.push(`SCRUM4ME_PRICES_FILE: cannot read ${file} as JSON (${(error as Error).message})`);
    return undefined;
  }
  const parsed = priceTableBody.safeParse(json);
  if (!parsed.success) {
    problems.push(...describePriceIssues(parsed.error).map((issue) => `SCRUM4ME_PRICES_FILE: ${file}: ${issue}`));
    return undefined;
  }
  return { path: file, entries: parsed.data.prices };
}
