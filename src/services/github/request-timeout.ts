// Every GitHub call gets a deadline. Without one a GitHub that never answers
// holds an agent's status call, or a cascade step's worker slot, forever.
import type { ProbotOctokit } from 'probot';

type OctokitClass = typeof ProbotOctokit;

/** Probot's Octokit class whose requests abort after `timeoutMs`, unless the caller passed its own signal. */
export function withRequestTimeout(Octokit: OctokitClass, timeoutMs: number): OctokitClass {
  return Octokit.plugin((octokit) => {
    octokit.hook.before('request', (options) => {
      // the deadline covers the call with its retries: a retry after a timeout fails at once
      options.request = { ...options.request, signal: options.request?.signal ?? AbortSignal.timeout(timeoutMs) };
    });
  }) as OctokitClass;
}
