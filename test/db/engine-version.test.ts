// The wasm schema engine that applies our migrations must be the build of the
// Prisma release we generate the client with (issue 13 item 7): another build
// may plan a different migration for the same schema than `prisma migrate` would.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

describe('migration engine', () => {
  it('is the schema-engine build of the installed Prisma release', () => {
    const prisma = require('prisma/package.json') as { version: string };
    const engines = require('@prisma/engines-version/package.json') as { prisma: { enginesVersion: string } };
    // its exports hide package.json: read it beside the module migrations.ts loads
    const glue = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const wasm = JSON.parse(readFileSync(path.join(path.dirname(glue), 'package.json'), 'utf8')) as { version: string };
    // e.g. 7.10.0-4.0edf323e…: the Prisma version, a build number, the engines commit
    expect(wasm.version.startsWith(`${prisma.version}-`)).toBe(true);
    expect(wasm.version.endsWith(`.${engines.prisma.enginesVersion}`)).toBe(true);
  });
});
