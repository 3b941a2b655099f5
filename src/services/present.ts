// API values are lower case (SPEC §4); the database keeps Prisma's enums.
export const lower = <T extends string>(value: T): Lowercase<T> => value.toLowerCase() as Lowercase<T>;
export const lowerOrNull = <T extends string>(value: T | null | undefined): Lowercase<T> | null =>
  value == null ? null : lower(value);
export const iso = (value: Date | null | undefined): string | null => (value ? value.toISOString() : null);
