// Reads a request body as JSON with a hard size limit: the declared length is
// refused before reading, and a body that streams past the limit is cut off.
import type { IncomingMessage } from 'node:http';
import { DomainError, validationFailed } from '../services/errors.ts';

const tooLarge = (limit: number) =>
  new DomainError('PAYLOAD_TOO_LARGE', `request body is larger than ${limit} bytes`);

export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw tooLarge(limit);
    }
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw validationFailed('request body is not valid JSON');
  }
}
