// zod building blocks shared by the API's request schemas.
import { z } from 'zod';

/** An enum that accepts lower or upper case and yields Prisma's upper-case value. */
export function caseInsensitiveEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z
    .string()
    .transform((value) => value.toUpperCase())
    .pipe(z.enum(values as unknown as [Uppercase<T[number]>, ...Uppercase<T[number]>[]]));
}

// Each bound below is its column's: a value the database cannot hold is a 400
// naming the field, never a failed statement and a 500.

/** PostgreSQL `text` cannot hold U+0000 (the statement fails); every string the app stores starts here. */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what it refuses
export const text = () => z.string().regex(/^[^\u0000]*$/, 'must not contain the NUL character (U+0000)');

/** an INTEGER column: -2^31 … 2^31-1 */
export const int32 = z.number().int().min(-2_147_483_648).max(2_147_483_647);

/**
 * A token count, stored in a BIGINT column. BIGINT holds up to 2^63-1, but a
 * JSON number is exact only up to 2^53-1 (Number.MAX_SAFE_INTEGER): beyond it
 * two different counts parse to the same double. The bound is therefore the
 * smaller one, so every accepted count is stored and answered exactly, as a number.
 */
export const tokenCount = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const id = text().trim().min(1).max(100);
export const idParams = z.object({ id });

/** "owner/name" as GitHub allows them */
export const repoFullName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/, 'repo must be "owner/name"');

/** a git branch name GitHub would accept */
export const branchName = z
  .string()
  .trim()
  .min(1)
  .max(250)
  // git check-ref-format: no control characters, spaces, ~^:?*[\, "..", "//", "@{", leading or trailing "/" or "."
  .refine((b) => ![...b].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f), 'not a valid git branch name')
  .refine((b) => !/(^[/.]|[/.]$|\.\.|\/\/|@\{|[\s~^:?*[\\]|\.lock$)/.test(b), 'not a valid git branch name');

export const userName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._@-]{1,100}$/, 'user must be 1-100 characters: letters, digits, ".", "_", "-" or "@"');

export const jobKinds = ['TASK_IMPLEMENTATION', 'IDEA_GRILL', 'IDEA_MAKE_PLAN'] as const;
export const verifyRequiredValues = ['ALIGNED', 'ALIGNED_OR_PARTIAL', 'ANY'] as const;
