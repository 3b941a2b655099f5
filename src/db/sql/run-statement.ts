// Runs one hand-written statement of this folder on the app's pg pool (named:
// planned once per connection) or through Prisma (where a service only has
// Prisma). Statements cast what they return to text, int or bool, so both give
// the same row shapes.
import type { Queryable } from '../queryable.ts';
import type { PrismaClient } from '../client.ts';

export interface Statement {
  /** the prepared statement's name on pg connections */
  name: string;
  text: string;
}

export type SqlClient = Queryable | Pick<PrismaClient, '$queryRawUnsafe'>;

export async function runStatement<Row>(db: SqlClient, statement: Statement, values: unknown[]): Promise<Row[]> {
  if ('query' in db) {
    const result = await db.query({ name: statement.name, text: statement.text, values });
    return result.rows as Row[];
  }
  return db.$queryRawUnsafe<Row[]>(statement.text, ...values);
}
