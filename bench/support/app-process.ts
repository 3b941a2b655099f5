// The app in a process of its own (./app-process-child.ts runs startApp, as
// src/main.ts does, with `npm start`'s --max-semi-space-size=4), so that its RSS
// and CPU are the app's alone: the harness (seeding, baselines, verification)
// and the load generator live elsewhere. Asked over IPC for its memory, its CPU
// time, a sampled RSS peak, or a heap snapshot.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface AppProcessOptions {
  databaseUrl: string;
  adminToken: string;
  /** host:port of a stub GitHub (GHE_HOST over http) */
  githubHost?: string;
  /** Probot's Octokit without plugin-throttling's write pacing */
  unpaced?: boolean;
  claimTimeoutSeconds?: number;
  /** more node flags for the app's process (e.g. --heap-prof) */
  execArgv?: string[];
}

export interface AppProcess {
  url: string;
  pid: number;
  rssMb(): Promise<number>;
  /** rss / heap used / heap total / external, after a full GC */
  memory(): Promise<string>;
  /** user + system CPU of the app's process since it started, in ms */
  cpuMs(): Promise<number>;
  /** starts sampling RSS every 50 ms; stop returns the peak in MB */
  sampleRss(): Promise<{ stop(): Promise<number> }>;
  heapSnapshot(file: string): Promise<void>;
  stop(): Promise<void>;
}

type Question = { type: 'rss' | 'memory' | 'cpu' | 'sample-start' | 'sample-stop' | 'stop' } | { type: 'heap-snapshot'; file: string };
export type AppRequest = Question & { id: number };
export type AppAnswer = { id: number; value?: unknown; error?: string };

export async function startAppProcess(options: AppProcessOptions): Promise<AppProcess> {
  const self = fileURLToPath(import.meta.url);
  const typescript = self.endsWith('.ts');
  const childFile = fileURLToPath(new URL(`./app-process-child.${typescript ? 'ts' : 'js'}`, import.meta.url));
  const child: ChildProcess = fork(childFile, [], {
    execArgv: ['--max-semi-space-size=4', '--expose-gc', ...(typescript ? ['--import', 'tsx'] : []), ...(options.execArgv ?? [])],
    env: { ...process.env, SCRUM4ME_BENCH_APP: JSON.stringify(options) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the app process exited (code ${code}) before it listened`));
    child.once('exit', onExit);
    child.once('message', (message: { ready?: string; error?: string }) => {
      child.off('exit', onExit);
      if (message.ready) resolve(message.ready);
      else reject(new Error(`the app process failed to start: ${message.error}`));
    });
  });
  let next = 0;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  child.on('message', (answer: AppAnswer) => {
    const waiting = pending.get(answer.id);
    if (!waiting) return;
    pending.delete(answer.id);
    if (answer.error) waiting.reject(new Error(answer.error));
    else waiting.resolve(answer.value);
  });
  child.on('exit', (code) => {
    for (const waiting of pending.values()) waiting.reject(new Error(`the app process exited (code ${code})`));
    pending.clear();
  });
  const ask = <T>(request: Question): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ ...request, id });
    });
  return {
    url,
    pid: child.pid!,
    rssMb: () => ask<number>({ type: 'rss' }),
    memory: () => ask<string>({ type: 'memory' }),
    cpuMs: () => ask<number>({ type: 'cpu' }),
    async sampleRss() {
      await ask({ type: 'sample-start' });
      return { stop: () => ask<number>({ type: 'sample-stop' }) };
    },
    heapSnapshot: (file) => ask<void>({ type: 'heap-snapshot', file }),
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      await ask({ type: 'stop' }).catch(() => {});
      await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 15_000).unref())]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
