// Fault injection: answer the next N matching calls with an error, late, or never.

export interface FaultSpec {
  /** Matches the call log's route name, e.g. `POST /repos/{owner}/{repo}/merges`. */
  route?: string;
  /** Or a method plus a path (without `/api/v3` and query), as a string or pattern. */
  method?: string;
  path?: string | RegExp;
  /** How many matching calls this fault takes (default 1; Infinity for all). */
  times?: number;
  /** Answer with this status instead of handling the call. */
  status?: number;
  headers?: Record<string, string>;
  /** The JSON body of that answer (default: GitHub's shape for the status). */
  body?: unknown;
  /** Wait this long before answering (with the fault's status, or normally when none). */
  delayMs?: number;
  /** Never answer: the client sees a timeout or aborts. */
  hang?: boolean;
  /**
   * Handle the call first (its effect on the repository happens), then answer with the
   * fault or hang: a response lost on the way back, as when a process dies mid-call.
   */
  afterEffect?: boolean;
}

export interface ActiveFault extends FaultSpec {
  remaining: number;
}

export class Faults {
  private readonly active: ActiveFault[] = [];

  inject(spec: FaultSpec): void {
    this.active.push({ ...spec, remaining: spec.times ?? 1 });
  }

  /** Removes every fault, or only those `which` picks (a test's own, when others run beside it). */
  clear(which?: (fault: ActiveFault) => boolean): void {
    if (!which) {
      this.active.length = 0;
      return;
    }
    for (let i = this.active.length - 1; i >= 0; i--) if (which(this.active[i]!)) this.active.splice(i, 1);
  }

  /** Faults not yet used up. */
  pending(): readonly ActiveFault[] {
    return this.active.filter((fault) => fault.remaining > 0);
  }

  /** Takes one use of the first fault matching this call, if any. */
  take(method: string, path: string, routeName: string | null): ActiveFault | undefined {
    const fault = this.active.find(
      (candidate) =>
        candidate.remaining > 0 &&
        (candidate.route === undefined || candidate.route === routeName) &&
        (candidate.method === undefined || candidate.method.toUpperCase() === method) &&
        (candidate.path === undefined ||
          (typeof candidate.path === 'string' ? candidate.path === path : candidate.path.test(path))),
    );
    if (fault) fault.remaining -= 1;
    return fault;
  }
}

/** GitHub's 403 secondary rate limit, with `retry-after`. */
export function secondaryRateLimit(retryAfterSeconds = 1): Pick<FaultSpec, 'status' | 'headers' | 'body'> {
  return {
    status: 403,
    headers: { 'retry-after': String(retryAfterSeconds), 'x-ratelimit-remaining': '4000' },
    body: {
      message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
    },
  };
}

/** GitHub's 403 when the hourly quota is spent, resetting `resetInSeconds` from now. */
export function primaryRateLimit(resetInSeconds = 1): Pick<FaultSpec, 'status' | 'headers' | 'body'> {
  return {
    status: 403,
    headers: {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-used': '5000',
      'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + resetInSeconds),
      'x-ratelimit-resource': 'core',
    },
    body: {
      message: 'API rate limit exceeded for installation ID 1.',
      documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit',
    },
  };
}
