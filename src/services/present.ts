// API values are lower case (SPEC §4); the database keeps Prisma's enums.
export const lower = <T extends string>(value: T): Lowercase<T> => value.toLowerCase() as Lowercase<T>;
export const lowerOrNull = <T extends string>(value: T | null | undefined): Lowercase<T> | null =>
  value == null ? null : lower(value);
export const iso = (value: Date | null | undefined): string | null => (value ? value.toISOString() : null);
/**
 * A BIGINT count (the jobs' token columns) for JSON, where a bigint cannot go:
 * a number, exact because the API accepts at most 2^53-1 (see tokenCount in
 * src/handlers/schema-kit.ts).
 */
export const countOrNull = (value: bigint | number | null | undefined): number | null => (value == null ? null : Number(value));
