// The app's pino logger. Credentials are redacted wherever they could appear:
// request headers logged by Probot's pino-http and any field named like a token.
import { pino, type Logger } from 'pino';

export type { Logger };

export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  // the console's session cookie, in pino-http's response lines
  'res.headers["set-cookie"]',
  'req.headers["x-hub-signature"]',
  'req.headers["x-hub-signature-256"]',
  'headers.authorization',
  'token',
  '*.token',
  'privateKey',
  '*.privateKey',
  'password',
  '*.password',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name: 'scrum4me',
      level,
      redact: { paths: redactedPaths, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination ?? pino.destination(1),
  );
}
