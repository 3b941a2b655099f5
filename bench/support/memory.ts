// RSS of this process (the app's process) sampled while a load runs.

export interface RssSampler {
  /** stops sampling; the highest and the last RSS seen, in MB */
  stop(): { peakMb: number; lastMb: number; samples: number };
}

export const rssMb = () => process.memoryUsage.rss() / (1024 * 1024);

export function sampleRss(intervalMs = 50): RssSampler {
  let peak = rssMb();
  let last = peak;
  let samples = 1;
  const timer = setInterval(() => {
    last = rssMb();
    peak = Math.max(peak, last);
    samples++;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      last = rssMb();
      peak = Math.max(peak, last);
      return { peakMb: peak, lastMb: last, samples: samples + 1 };
    },
  };
}

/** rss / heap used / heap total / external, in MB, for the notes. */
export function memoryBreakdown(): string {
  // with node --expose-gc: collect first, so heap used is live data, not garbage
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const mb = (bytes: number) => (bytes / (1024 * 1024)).toFixed(0);
  return `rss ${mb(m.rss)} MB (V8 heap used ${mb(m.heapUsed)} of ${mb(m.heapTotal)} MB, external ${mb(m.external)} MB)`;
}
