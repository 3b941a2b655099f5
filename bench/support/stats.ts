// Latency percentiles and throughput from a load run's raw samples.

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : 0;
}

export interface RunSamples {
  elapsedMs: number;
  latenciesMs: number[];
  clientCpuShare: number;
  serverCpuMs: number;
}

/** Several runs of one side as one: time added up, latencies pooled, client CPU weighted by time. */
export function combineRuns(runs: readonly RunSamples[]): RunSamples {
  const elapsedMs = runs.reduce((sum, run) => sum + run.elapsedMs, 0);
  return {
    elapsedMs,
    latenciesMs: runs.flatMap((run) => run.latenciesMs),
    clientCpuShare: elapsedMs > 0 ? runs.reduce((sum, run) => sum + run.clientCpuShare * run.elapsedMs, 0) / elapsedMs : 0,
    serverCpuMs: runs.reduce((sum, run) => sum + run.serverCpuMs, 0),
  };
}
