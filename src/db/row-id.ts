// Ids of the rows we write ourselves (hand-written SQL) in tables whose other
// rows Prisma writes: the same generator as Prisma's @default(cuid()). Prisma's
// client bundles @bugsnag/cuid for cuid() (cuid v1, 25 characters, "c…"); we
// depend on that package directly, so a row's id never tells which client wrote
// it. Ids are opaque: nothing may be ordered by them (order has its own column).
import cuid from '@bugsnag/cuid';

/** A new id, as Prisma's @default(cuid()) makes them. */
export const newRowId = (): string => cuid();
