// V8 settings of the app process; imported first by every entry point.
// Prisma's query compiler is WebAssembly. V8's optimising compiler (TurboFan)
// would add ~50 MB of machine code for it while it is under 1 % of the CPU
// profile (Prisma caches query plans), so it stays on the baseline compiler.
// The flag must be set before the first query compiles the module.
import v8 from 'node:v8';

v8.setFlagsFromString('--liftoff-only');
