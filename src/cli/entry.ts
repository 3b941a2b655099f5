// Process entry of the scrum4me CLI (bin/scrum4me.js loads the compiled copy).
import { runCli } from './main.ts';

process.exitCode = await runCli(process.argv);
