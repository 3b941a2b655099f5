// `npm run openapi`: writes docs/openapi.json, the document GET /api/v1/openapi.json
// serves, from the app's route table. `npm run openapi -- --check` only
// compares and exits 1 when the committed file is out of date.
// test/openapi fails when the committed file and the running app's routes differ.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { projectRoot } from '../src/db/migrations.ts';
import type { AgentJobDeps } from '../src/handlers/agent-jobs.ts';
import type { Route } from '../src/http/router.ts';
import { buildOpenApiDocument } from '../src/openapi/document.ts';
import { buildRoutes } from '../src/routes.ts';
import type { AppServices } from '../src/services/app-services.ts';
import type { EventHub } from '../src/services/events/event-hub.ts';

/**
 * The app's route table (src/routes.ts). Building routes only captures their
 * dependencies, and a document never runs a handler, so none are needed.
 */
function appRoutes(): Route[] {
  return buildRoutes({} as AppServices, { agent: {} as AgentJobDeps, eventHub: {} as EventHub });
}

const openApiFile = path.join(projectRoot(), 'docs', 'openapi.json');

function renderOpenApiFile(routes: readonly Route[]): string {
  return `${JSON.stringify(buildOpenApiDocument(routes), null, 2)}\n`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  const text = renderOpenApiFile(appRoutes());
  if (values.check) {
    const committed = await readFile(openApiFile, 'utf8').catch(() => '');
    const same = committed !== '' && isDeepStrictEqual(JSON.parse(committed), JSON.parse(text));
    console.log(same ? `${path.relative(process.cwd(), openApiFile)} is up to date` : `${openApiFile} is out of date: run npm run openapi`);
    return same ? 0 : 1;
  }
  await writeFile(openApiFile, text);
  console.log(`wrote ${path.relative(process.cwd(), openApiFile)}`);
  return 0;
}

process.exitCode = await main();
