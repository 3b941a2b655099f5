// The app's name and version as the interfaces announce them (OpenAPI info, MCP serverInfo).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../db/migrations.ts';

let version: string | undefined;

/** package.json's version, read once. */
export function appVersion(): string {
  version ??= (JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
