// The agent API (SPEC §4): claim, status and read a job.
import { z } from 'zod';
import { route, type Route } from '../http/router.ts';
import type { AppServices } from '../services/app-services.ts';
import { claimJob } from '../services/jobs/claim.ts';
import type { ClaimWaiter } from '../services/jobs/claim-waiter.ts';
import { getJob } from '../services/jobs/get-job.ts';
import { updateJobStatus } from '../services/jobs/update-status.ts';
import { issueGitToken } from '../services/github/git-token.ts';
import { storeIdeaResult } from '../services/ideas/idea-results.ts';
import { verifyJob } from '../services/verify/verify-job.ts';
import { caseInsensitiveEnum, branchName, idParams, jobKinds, text, tokenCount } from './schema-kit.ts';

export const claimBody = z.strictObject({
  wait_seconds: z.number().int().min(0).max(60).optional(),
  kinds: z.array(caseInsensitiveEnum(jobKinds)).min(1).max(3).optional(),
});

export const statusBody = z.strictObject({
  status: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(['running', 'done', 'failed'])),
  branch: branchName.optional(),
  summary: text().max(1000).optional(),
  error: text().max(2000).optional(),
  model_id: text().min(1).max(200).optional(),
  input_tokens: tokenCount.optional(),
  output_tokens: tokenCount.optional(),
  cache_read_tokens: tokenCount.optional(),
  cache_write_tokens: tokenCount.optional(),
});

export const verifyBody = z.strictObject({ branch: branchName.optional() });

const markdown = text().min(1).max(500_000);
export const ideaBody = z.union([z.strictObject({ grill_md: markdown }), z.strictObject({ plan_md: markdown })]);

export interface AgentJobDeps {
  waiter: ClaimWaiter;
}

export function agentJobRoutes(services: AppServices, deps: AgentJobDeps): Route[] {
  return [
    route({
      method: 'POST',
      path: '/api/v1/jobs/claim',
      access: 'agent',
      body: claimBody,
      handle: async ({ auth, body, signal }) => {
        const job = await claimJob(services.pool, deps.waiter, auth, {
          waitSeconds: body.wait_seconds ?? 25,
          kinds: body.kinds,
          signal,
          metrics: services.metrics,
        });
        return job ? { status: 200, body: { job } } : { status: 204 };
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/jobs/:id/status',
      access: 'agent',
      params: idParams,
      body: statusBody,
      handle: async ({ auth, params, body }) => ({
        status: 200,
        body: await updateJobStatus(services, auth, params.id, body),
      }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/jobs/:id/verify',
      access: 'agent',
      params: idParams,
      body: verifyBody,
      handle: async ({ auth, params, body }) => ({ status: 200, body: await verifyJob(services, auth, params.id, body.branch) }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/jobs/:id/git-token',
      access: 'agent',
      params: idParams,
      handle: async ({ auth, params }) => ({ status: 200, body: await issueGitToken(services, auth, params.id) }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/jobs/:id/idea',
      access: 'agent',
      params: idParams,
      body: ideaBody,
      handle: async ({ auth, params, body }) => ({ status: 200, body: await storeIdeaResult(services, auth, params.id, body) }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/jobs/:id',
      access: 'agent',
      params: idParams,
      handle: async ({ auth, params }) => ({ status: 200, body: await getJob(services.prisma, auth, params.id) }),
    }),
  ];
}
