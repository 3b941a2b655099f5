// The load generator, run in a child process so that its HTTP client work does
// not share the app's event loop (and its memory does not count in the app's
// RSS). The parent sends one task at a time over IPC and gets raw samples back.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One request of a fixed list (POST unless `method` says GET), sent by `concurrency` workers pulling from the list. */
export interface LoadRequest {
  path: string;
  token?: string;
  /** ignored for GET */
  body: string;
  method?: 'GET' | 'POST';
}

export type LoadTask =
  | {
      /** each token is one agent: it claims until it gets 204 */
      type: 'claim-until-empty';
      baseUrl: string;
      tokens: string[];
      body: string;
    }
  | {
      /** each token is one agent: they claim until `count` claims were answered 200 between them */
      type: 'claim-count';
      baseUrl: string;
      tokens: string[];
      body: string;
      count: number;
    }
  | {
      type: 'requests';
      baseUrl: string;
      concurrency: number;
      requests: LoadRequest[];
    };

export interface LoadResult {
  elapsedMs: number;
  /** one per request, in completion order */
  latenciesMs: number[];
  /** HTTP status → count */
  statuses: Record<string, number>;
  /** answer body bytes, summed over the run */
  bodyBytes: number;
  /** claims: the job id of every 200 answer, duplicates kept */
  claimedIds: string[];
  /** the first few transport errors or unexpected answers */
  problems: string[];
  /** the load generator's own CPU time over the run, as a share of one core */
  clientCpuShare: number;
  /** CPU time of this (the app's) process over the run, in ms: the server side's cost */
  serverCpuMs: number;
}

export interface LoadClient {
  run(task: LoadTask): Promise<LoadResult>;
  stop(): Promise<void>;
}

export function startLoadClient(): LoadClient {
  // compiled: dist/bench/support/load-worker.js; under tsx: the .ts source
  const self = fileURLToPath(import.meta.url);
  const typescript = self.endsWith('.ts');
  const workerFile = fileURLToPath(new URL(`./load-worker.${typescript ? 'ts' : 'js'}`, import.meta.url));
  const child: ChildProcess = fork(workerFile, [], {
    execArgv: typescript ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let queue: Promise<unknown> = Promise.resolve();
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });

  const runOne = (task: LoadTask) =>
    new Promise<Omit<LoadResult, 'serverCpuMs'>>((resolve, reject) => {
      if (exited) {
        reject(new Error('the load generator process has exited'));
        return;
      }
      const onMessage = (message: Omit<LoadResult, 'serverCpuMs'> | { error: string }) => {
        cleanup();
        if ('error' in message) reject(new Error(`load generator: ${message.error}`));
        else resolve(message);
      };
      const onExit = (code: number | null) => {
        cleanup();
        reject(new Error(`the load generator exited (code ${code}) during a run`));
      };
      const cleanup = () => {
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send(task);
    });

  return {
    run(task) {
      const next = queue.then(async () => {
        const before = process.cpuUsage();
        const result = await runOne(task);
        const used = process.cpuUsage(before);
        return { ...result, serverCpuMs: (used.user + used.system) / 1000 };
      });
      queue = next.catch(() => {});
      return next;
    },
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.disconnect();
      await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      if (!exited) child.kill('SIGKILL');
    },
  };
}
