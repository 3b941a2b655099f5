#!/usr/bin/env node
// The scrum4me CLI; the code is compiled to dist/ by `npm install` (prepare) or `npm run build`.
import('../dist/src/cli/entry.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('scrum4me: not built yet; run `npm run build` in the project first\n');
  } else {
    process.stderr.write(`scrum4me: ${error && error.message ? error.message : error}\n`);
  }
  process.exit(1);
});
