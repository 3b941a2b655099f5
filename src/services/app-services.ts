// What every handler gets: the shared handles the services work with.
import type pg from 'pg';
import type { Config } from '../config.ts';
import type { PrismaClient } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { GitHubAccess } from './github/access.ts';
import type { TokenCache } from './auth/token-cache.ts';

export interface AppServices {
  config: Config;
  prisma: PrismaClient;
  pool: pg.Pool;
  /** GitHub as the narrow port (github/port.ts), as the app or an installation; never a raw Octokit */
  github: GitHubAccess;
  log: Logger;
  metrics: Metrics;
  /** authenticated tokens, forgotten on revocation (absent: every call looks its token up) */
  tokenCache?: TokenCache | undefined;
  /** database reachable and every migration applied */
  readiness(): Promise<{ ready: boolean; problems: string[] }>;
}
