// CPU profiles of one part of a bench run (node:inspector in this process), so a
// profile shows the app's share alone and not its baselines'. Read them with
// profile-summary.ts.
import fs from 'node:fs/promises';
import path from 'node:path';
import { Session } from 'node:inspector/promises';

let session: Session | null = null;

export const profiler = {
  async start(): Promise<void> {
    if (!session) {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      // 200 µs: fine enough for a delivery of a few ms
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
    }
    await session.post('Profiler.start');
  },
  /** Stops and writes the profile to `file` (a .cpuprofile). */
  async stop(file: string): Promise<void> {
    if (!session) throw new Error('profiler.stop without start');
    const { profile } = await session.post('Profiler.stop');
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, JSON.stringify(profile));
  },
};
