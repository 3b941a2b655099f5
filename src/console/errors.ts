// How the console shows a refused action or a failed page: the API's own
// mapping of errors to statuses (src/http/error-response.ts), as a message on
// the page; a bug is a bare "something went wrong" (the log has the rest).
import { errorResponse } from '../http/error-response.ts';
import type { Flash } from './views/components.tsx';

export interface ShownError {
  status: number;
  flash: Flash;
  headers: Record<string, string>;
  /** a bug, not a refusal: log it */
  internal: boolean;
}

export function showError(error: unknown): ShownError {
  const answer = errorResponse(error);
  const internal = answer.status >= 500 && answer.body.error.code === 'INTERNAL';
  const details = Array.isArray(answer.body.error.details) ? (answer.body.error.details as { path: string; message: string }[]) : undefined;
  return {
    status: answer.status,
    // retry-after of a 503 (GitHub or the database away)
    headers: 'headers' in answer ? (answer.headers as Record<string, string>) : {},
    internal,
    flash: {
      kind: 'error',
      text: internal ? 'Something went wrong on our side; the app log has the details.' : answer.body.error.message,
      ...(details ? { details } : {}),
    },
  };
}
