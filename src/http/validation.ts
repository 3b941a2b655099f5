// zod at the boundary: a failed parse becomes VALIDATION_FAILED naming each field.
import type { z } from 'zod';
import { validationFailed } from '../services/errors.ts';

export interface FieldIssue {
  path: string;
  message: string;
}

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'params' | 'query'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues: FieldIssue[] = result.error.issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.join('.') : where,
    message: issue.message,
  }));
  const first = issues[0];
  const summary = first ? `${first.path}: ${first.message}` : 'invalid input';
  throw validationFailed(`invalid ${where}: ${summary}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`, issues);
}
