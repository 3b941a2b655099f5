// The price table's shape (SPEC §11), one zod definition for the API (PUT
// /api/v1/admin/prices) and SCRUM4ME_PRICES_FILE: USD per million tokens, the
// first entry whose glob matches a job's model_id wins.
import picomatch from 'picomatch';
import { z } from 'zod';

/** The columns are NUMERIC(13,6): at most 1,000,000 USD per million tokens, to 1e-6. */
export const maxPricePerMillion = 1_000_000;
export const maxPriceEntries = 500;

/**
 * A price as JSON gives it, kept exact: the number's shortest decimal form
 * (what JSON.stringify writes) must have at most 6 decimals, and the database
 * stores that decimal, never a binary fraction.
 */
const price = z
  .number()
  .nonnegative()
  .max(maxPricePerMillion)
  // (the sign is nonnegative's to refuse: one problem per mistake)
  .refine((n) => /^-?\d+(\.\d{1,6})?$/.test(String(n)), 'at most 6 decimals (USD per million tokens)');

/** A picomatch glob over model ids: `*` within a path segment, `**` across `/`, `?`, `[...]`, `{a,b}`. */
export const modelGlob = z
  .string()
  .min(1)
  .max(200)
  // eslint-disable-next-line no-control-regex -- U+0000 cannot be stored in text
  .regex(/^[^\u0000]*$/, 'must not contain the NUL character (U+0000)')
  .refine((glob) => {
    try {
      picomatch.makeRe(glob);
      return true;
    } catch {
      return false;
    }
  }, 'not a glob picomatch can compile');

export const priceEntry = z.strictObject({ model: modelGlob, input: price, output: price, cache_read: price, cache_write: price });

export const priceTableBody = z.strictObject({ prices: z.array(priceEntry).max(maxPriceEntries) });

export type PriceEntryInput = z.output<typeof priceEntry>;

/** The table as the API answers it, in the order it is matched. */
export interface PriceTableView {
  prices: PriceEntryInput[];
}

/** "prices.2.input: at most 6 decimals" for each problem: a bad entry is named by its index and field. */
export function describePriceIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'prices'}: ${issue.message}`);
}
