// The console's stylesheet and script, served by the console itself under
// names that carry a hash of their content: cached for a year, and a new
// version is a new name, so a deploy never mixes old and new.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../db/migrations.ts';
import { securityHeaders } from './http.ts';

interface Asset {
  name: string;
  type: string;
  body: Buffer;
}

// beside this module when run from src/, in the project's src/ when run from dist/
function assetDir(): string {
  const here = fileURLToPath(new URL('./assets/', import.meta.url));
  return existsSync(here) ? here : path.join(projectRoot(), 'src', 'console', 'assets');
}

function load(file: string, type: string): Asset {
  const body = readFileSync(path.join(assetDir(), file));
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  const ext = path.extname(file);
  return { name: `${path.basename(file, ext)}.${hash}${ext}`, type, body };
}

const stylesheet = load('console.css', 'text/css; charset=utf-8');
const script = load('console.js', 'text/javascript; charset=utf-8');
const byName = new Map([stylesheet, script].map((asset) => [asset.name, asset]));

export const assetUrls = {
  stylesheet: `/console/assets/${stylesheet.name}`,
  script: `/console/assets/${script.name}`,
};

/** true when `name` is one of ours (and it was sent) */
export function sendAsset(res: ServerResponse, name: string): boolean {
  const asset = byName.get(name);
  if (!asset) return false;
  res.writeHead(200, {
    ...securityHeaders(),
    'content-type': asset.type,
    'content-length': String(asset.body.length),
    'cache-control': 'public, max-age=31536000, immutable',
  });
  res.end(asset.body);
  return true;
}
