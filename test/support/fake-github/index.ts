// A GitHub REST API test double with real git underneath; see fake-github.ts for the controls.
export {
  FakeGitHub,
  startFakeGitHub,
  type CreateRepoOptions,
  type CreatedRepo,
  type MergePullOptions,
  type OpenPullOptions,
  type StartFakeGitHubOptions,
} from './fake-github.ts';
export { primaryRateLimit, secondaryRateLimit, type FaultSpec } from './faults.ts';
export type { CallRecord } from './server.ts';
export type { MergeOutcome } from './merge-pull.ts';
export type { CommitObject, GitSignature } from './git/objects.ts';
export type { FakeWebhookEvent, IssuedToken, MergeMethod } from './state.ts';
