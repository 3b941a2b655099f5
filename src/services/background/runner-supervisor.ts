// Keeps a graphile-worker runner going. graphile-worker shuts a worker pool down when
// it cannot write a job's outcome even after its retries (about four minutes of the
// database away: "queue is in an inconsistent state; aborting"), and its runner then
// ends; the app would go on answering HTTP with its background work stopped for good.
// The supervisor starts a new runner (a new pool, new ids) after a pause that grows
// while starting fails, and first tells its caller which runner ended, so that the
// jobs the old pool still holds can be let go of (liveness releases them once their
// heartbeat is stale: worker.ts).
import type { Logger } from '../../logger.ts';

export interface Supervisable {
  /** settles when the runner has ended, for whatever reason */
  promise: Promise<void>;
  stop(): Promise<void>;
}

export interface Supervisor {
  /** Stops the current runner; no runner is started after this. */
  stop(): Promise<void>;
}

export async function superviseRunner<R extends Supervisable>(options: {
  name: string;
  start: () => Promise<R>;
  /** called once for each runner that ended on its own, before a new one is started */
  ended: (runner: R, error: unknown) => void;
  log: Logger;
  /** the first pause before a new runner, doubled after each failed start up to maxRestartDelayMs */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
}): Promise<Supervisor> {
  const { name, log } = options;
  const firstDelay = options.restartDelayMs ?? 5_000;
  const maxDelay = options.maxRestartDelayMs ?? 60_000;
  let stopping = false;
  let current = await options.start();
  let currentEnded = false;
  let restarting: Promise<void> = Promise.resolve();
  let wake: () => void = () => {};

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const restart = async () => {
    for (let delay = firstDelay; ; delay = Math.min(delay * 2, maxDelay)) {
      await pause(delay);
      if (stopping) return;
      try {
        const runner = await options.start();
        current = runner;
        currentEnded = false;
        watch(runner);
        log.warn({ runner: name }, 'background runner started again');
        return;
      } catch (err) {
        log.error({ err, runner: name, retryInMs: Math.min(delay * 2, maxDelay) }, 'background runner could not start again; retrying');
      }
    }
  };

  const watch = (runner: R) => {
    void runner.promise
      .then(
        () => undefined,
        (error: unknown) => error,
      )
      .then((error) => {
        if (runner !== current) return;
        currentEnded = true;
        if (stopping) return;
        log.error({ err: error, runner: name }, 'background runner ended on its own; starting a new one');
        options.ended(runner, error);
        restarting = restart();
      });
  };
  watch(current);

  return {
    async stop() {
      stopping = true;
      wake();
      await restarting;
      if (!currentEnded) await current.stop();
    },
  };
}
