// The MCP tools, named as the original system named them. Each is the agent
// API route of the same purpose in another wrapping: the same zod body schema
// (plus job_id, the path parameter there) and the same service call, so the
// answer is the same JSON as over HTTP.
import { z } from 'zod';
import type { AppServices } from '../../services/app-services.ts';
import type { AuthContext } from '../../services/auth/tokens.ts';
import { issueGitToken } from '../../services/github/git-token.ts';
import { storeIdeaResult } from '../../services/ideas/idea-results.ts';
import { claimJob } from '../../services/jobs/claim.ts';
import { getJob } from '../../services/jobs/get-job.ts';
import { updateJobStatus } from '../../services/jobs/update-status.ts';
import { verifyJob } from '../../services/verify/verify-job.ts';
import { claimBody, ideaBody, statusBody, verifyBody, type AgentJobDeps } from '../agent-jobs.ts';
import { idParams } from '../schema-kit.ts';
import { toolDescriptions, toolTitles, type ToolName } from './tool-descriptions.ts';

/** The claim's long-poll when wait_seconds is left out (SPEC §4, as POST /api/v1/jobs/claim). */
export const defaultWaitSeconds = 25;

export interface ToolContext {
  auth: AuthContext;
  /** aborted when the client goes away */
  signal: AbortSignal;
}

/** A tool's answer: the JSON the HTTP route answers with, and optionally a sentence for the model instead of it. */
export interface ToolAnswer {
  json: Record<string, unknown>;
  text?: string;
}

export interface AgentTool<S extends z.ZodType = z.ZodType> {
  name: ToolName;
  title: string;
  description: string;
  input: S;
  run(ctx: ToolContext, input: z.output<S>): Promise<ToolAnswer>;
}

function tool<S extends z.ZodType>(t: AgentTool<S>): AgentTool {
  return t as unknown as AgentTool;
}

const jobId = { job_id: idParams.shape.id };
/** An HTTP body schema with the path's job id in front, field for field the same. */
const withJobId = <S extends z.ZodObject>(body: S) => z.strictObject({ ...jobId, ...(body.shape as S['shape']) });
const [grillBody, planBody] = ideaBody.options;

export function agentTools(services: AppServices, deps: AgentJobDeps): AgentTool[] {
  const describe = (name: ToolName) => ({ name, title: toolTitles[name], description: toolDescriptions(name, services.config) });
  return [
    tool({
      ...describe('wait_for_job'),
      input: claimBody,
      run: async ({ auth, signal }, input) => {
        const waitSeconds = input.wait_seconds ?? defaultWaitSeconds;
        const job = await claimJob(services.pool, deps.waiter, auth, { waitSeconds, kinds: input.kinds, signal, metrics: services.metrics });
        if (job) return { json: { job } };
        return {
          json: { job: null },
          text: `no job available: nothing was queued for you within ${waitSeconds} s. Call wait_for_job again to keep waiting.`,
        };
      },
    }),
    tool({
      ...describe('update_job_status'),
      input: withJobId(statusBody),
      run: async ({ auth }, { job_id, ...body }) => ({ json: { ...(await updateJobStatus(services, auth, job_id, body)) } }),
    }),
    tool({
      ...describe('verify_task_against_plan'),
      input: withJobId(verifyBody),
      run: async ({ auth }, { job_id, branch }) => ({ json: await verifyJob(services, auth, job_id, branch) }),
    }),
    tool({
      ...describe('get_git_token'),
      input: z.strictObject(jobId),
      run: async ({ auth }, { job_id }) => ({ json: await issueGitToken(services, auth, job_id) }),
    }),
    tool({
      ...describe('update_idea_grill_md'),
      input: withJobId(grillBody),
      run: async ({ auth }, { job_id, grill_md }) => ({ json: await storeIdeaResult(services, auth, job_id, { grill_md }) }),
    }),
    tool({
      ...describe('update_idea_plan_md'),
      input: withJobId(planBody),
      run: async ({ auth }, { job_id, plan_md }) => ({ json: await storeIdeaResult(services, auth, job_id, { plan_md }) }),
    }),
    tool({
      ...describe('get_job'),
      input: z.strictObject(jobId),
      run: async ({ auth }, { job_id }) => ({ json: await getJob(services.prisma, auth, job_id) }),
    }),
  ];
}
