// Claiming: one statement picks the user's best queued job and claims it.
// FOR UPDATE SKIP LOCKED lets concurrent claimers (on any replica) pass each
// other's candidate rows instead of waiting or double-claiming.
import type { PrismaClient } from '../../db/client.ts';
import type { JobKind } from '../../generated/prisma/client.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { publishJobStatus } from './job-events.ts';
import { jobViewInclude, presentClaimedJob } from './job-view.ts';
import type { ClaimWaiter } from './claim-waiter.ts';

export type ClaimedJob = ReturnType<typeof presentClaimedJob>;

const allKinds: JobKind[] = ['TASK_IMPLEMENTATION', 'IDEA_GRILL', 'IDEA_MAKE_PLAN'];

/** Claims the next job now, or returns null. */
export async function claimNextJob(prisma: PrismaClient, auth: AuthContext, kinds: JobKind[] = allKinds): Promise<ClaimedJob | null> {
  const claimedId = await prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<
      { id: string; task_id: string | null; user_id: string; product_id: string; status: string; branch: string | null; pushed_at: Date | null; pr_url: string | null; verify_result: string | null; summary: string | null; error: string | null }[]
    >`
      UPDATE jobs SET status = 'CLAIMED', claimed_by_token_id = ${auth.tokenId}, claimed_at = now(),
             heartbeat_at = now(), updated_at = now()
      WHERE id = (
        SELECT id FROM jobs
        WHERE user_id = ${auth.userId} AND status = 'QUEUED' AND kind::text = ANY(${kinds}::text[])
        ORDER BY priority DESC, created_at ASC
        LIMIT 1
        FOR UPDATE SKIP LOCKED
      )
      RETURNING id, task_id, user_id, product_id, status::text AS status, branch, pushed_at, pr_url,
                verify_result::text AS verify_result, summary, error`;
    const row = rows[0];
    if (!row) return null;
    await publishJobStatus(tx, row);
    return row.id;
  });
  if (!claimedId) return null;
  const job = await prisma.job.findUniqueOrThrow({ where: { id: claimedId }, include: jobViewInclude });
  return presentClaimedJob(job);
}

/**
 * Long-poll: claim now, or wait up to `waitSeconds` for a wake-up from
 * NOTIFY and try again. The waiter is armed before each attempt, so a job
 * queued between a failed attempt and the wait is not missed.
 */
export async function claimJob(
  prisma: PrismaClient,
  waiter: ClaimWaiter,
  auth: AuthContext,
  options: { waitSeconds: number; kinds?: JobKind[] | undefined; signal?: AbortSignal | undefined },
): Promise<ClaimedJob | null> {
  const deadline = Date.now() + options.waitSeconds * 1000;
  for (;;) {
    const wake = waiter.arm(auth.userId);
    try {
      const job = await claimNextJob(prisma, auth, options.kinds);
      if (job) return job;
      const remaining = deadline - Date.now();
      if (remaining <= 0 || waiter.stopped || options.signal?.aborted) return null;
      await wake.wait(remaining, options.signal);
    } finally {
      wake.disarm();
    }
    // a client that went away must not be handed a job it will never see
    if (waiter.stopped || options.signal?.aborted) return null;
    if (Date.now() >= deadline) {
      // one last attempt: the wake-up may have come at the deadline
      return claimNextJob(prisma, auth, options.kinds);
    }
  }
}
