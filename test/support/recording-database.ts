// A Prisma client on its own pool that records the SQL of every statement it
// sends: for tests of what a read costs (which statements, with what LIMIT).
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../../src/generated/prisma/client.ts';

export interface RecordingDatabase {
  prisma: PrismaClient;
  pool: pg.Pool;
  /** the SQL text of every statement sent, in order */
  statements: string[];
  close(): Promise<void>;
}

export function recordingDatabase(url: string): RecordingDatabase {
  const statements: string[] = [];
  const pool = new pg.Pool({ connectionString: url, max: 2, options: '-c TimeZone=UTC' });
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const first = args[0];
      statements.push(typeof first === 'string' ? first : String((first as { text?: string }).text));
      return query(...args);
    };
  });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    pool,
    statements,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/** Statements that read the jobs table. */
export const jobReads = (statements: string[]) => statements.filter((text) => /\bfrom\s+("public"\.)?"?jobs"?\b/i.test(text));
