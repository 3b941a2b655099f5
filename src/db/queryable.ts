// What hand-written SQL on hot paths needs: the app's pg.Pool, or one client of it inside a transaction.
import type pg from 'pg';

export type Queryable = Pick<pg.Pool, 'query'>;
