// The supervisor of a graphile-worker runner (src/services/background/runner-supervisor.ts),
// on runners the test ends by hand: one that ends on its own is replaced, one that
// was stopped is not, and a start that fails is tried again.
import { describe, expect, it } from 'vitest';
import { superviseRunner } from '../../../src/services/background/runner-supervisor.ts';
import { createLogger } from '../../../src/logger.ts';

const log = createLogger('silent');

/** A runner whose end the test decides; `stop` ends it as graphile-worker's does. */
function fakeRunner(id: number) {
  let end: (error?: unknown) => void = () => {};
  const promise = new Promise<void>((resolve, reject) => {
    end = (error?: unknown) => (error === undefined ? resolve() : reject(error));
  });
  const runner = {
    id,
    promise,
    stopped: false,
    async stop() {
      runner.stopped = true;
      end();
      await promise;
    },
    end: (error?: unknown) => end(error),
  };
  return runner;
}
type FakeRunner = ReturnType<typeof fakeRunner>;

/** Starts fake runners on demand; `next()` resolves with the next one started. */
function starter(failFirst = 0) {
  const started: FakeRunner[] = [];
  let failures = failFirst;
  let attempts = 0;
  const waiting: ((runner: FakeRunner) => void)[] = [];
  return {
    started,
    attempts: () => attempts,
    async start() {
      attempts++;
      if (started.length > 0 && failures > 0) {
        failures--;
        throw new Error('database away');
      }
      const runner = fakeRunner(started.length + 1);
      started.push(runner);
      waiting.shift()?.(runner);
      return runner;
    },
    next: () => new Promise<FakeRunner>((resolve) => waiting.push(resolve)),
  };
}

describe('the runner supervisor', () => {
  it('starts a new runner when the current one ends on its own (with an error or not), and says which one ended', async () => {
    const runners = starter();
    const ended: { id: number; error: unknown }[] = [];
    const supervisor = await superviseRunner({ name: 'main', log, start: runners.start, ended: (runner, error) => ended.push({ id: runner.id, error }), restartDelayMs: 1 });
    const second = runners.next();
    runners.started[0]!.end(new Error('queue is in an inconsistent state'));
    expect((await second).id).toBe(2);
    const third = runners.next();
    runners.started[1]!.end();
    expect((await third).id).toBe(3);
    expect(ended.map((entry) => entry.id)).toEqual([1, 2]);
    expect(String(ended[0]!.error)).toContain('inconsistent state');
    expect(ended[1]!.error).toBeUndefined();

    await supervisor.stop();
    expect(runners.started[2]!.stopped).toBe(true);
    expect(runners.started).toHaveLength(3);
  });

  it('does not start a runner again after stop, and stop does not stop an ended runner twice', async () => {
    const runners = starter();
    const ended: number[] = [];
    const supervisor = await superviseRunner({ name: 'main', log, start: runners.start, ended: (runner) => ended.push(runner.id), restartDelayMs: 60_000 });
    runners.started[0]!.end(new Error('pool gave up'));
    await new Promise((resolve) => setImmediate(resolve));
    // the supervisor now waits a minute before the next start; stop cuts that short
    await supervisor.stop();
    expect(runners.started).toHaveLength(1);
    expect(runners.started[0]!.stopped).toBe(false);
    expect(ended).toEqual([1]);
  });

  it('tries again, with growing pauses, while starting a new runner fails', async () => {
    const runners = starter(3);
    const supervisor = await superviseRunner({ name: 'main', log, start: runners.start, ended: () => {}, restartDelayMs: 1, maxRestartDelayMs: 4 });
    const replacement = runners.next();
    runners.started[0]!.end(new Error('pool gave up'));
    expect((await replacement).id).toBe(2);
    expect(runners.attempts()).toBe(5); // the first start, three that failed, the one that worked
    await supervisor.stop();
    expect(runners.started[1]!.stopped).toBe(true);
  });

  it('a first start that fails is the caller’s error (nothing is started behind its back)', async () => {
    const start = async (): Promise<FakeRunner> => {
      throw new Error('no database');
    };
    await expect(superviseRunner({ name: 'main', log, start, ended: () => {} })).rejects.toThrow('no database');
  });
});
