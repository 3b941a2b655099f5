// Renders GET /api/v1/admin/pbis/{id} for people.
import type { PbiView } from '../services/pbis/pbi-view.ts';

export function renderPbi(pbi: PbiView): string {
  const lines: string[] = [];
  lines.push(`PBI ${pbi.code ? `${pbi.code} ` : ''}${pbi.title}  (${pbi.id})`);
  for (const story of pbi.stories) {
    lines.push('');
    lines.push(`  Story ${story.code ? `${story.code} ` : ''}${story.title}`);
    lines.push(`    branch: ${story.branch}`);
    const pr = story.pull_request;
    lines.push(
      pr
        ? `    PR #${pr.number} ${pr.state}${pr.merge_method ? ` (${pr.merge_method})` : ''}  ${pr.url}`
        : '    PR: none',
    );
    for (const task of story.tasks) {
      lines.push(`    - ${task.title}  (${task.id})`);
      const older = task.jobs_total - task.jobs.length;
      if (older > 0) lines.push(`        (${older} older job${older === 1 ? '' : 's'} not shown)`);
      for (const job of task.jobs) {
        const verify = job.verify_result ? ` verify=${job.verify_result}` : '';
        lines.push(`        job ${job.id} ${job.status} by ${job.user}${verify}${job.error ? `  error: ${firstLine(job.error)}` : ''}`);
      }
    }
  }
  for (const cascade of pbi.cascades) {
    lines.push('');
    lines.push(`  Cascade ${cascade.id}: ${cascade.status}${cascade.reopened_at ? ' (reopened)' : ''}, failed job ${cascade.failed_job_id}`);
    lines.push(`    cancelled jobs: ${cascade.cancelled_job_ids.length > 0 ? cascade.cancelled_job_ids.join(', ') : 'none'}`);
    for (const step of cascade.steps) {
      const pr = step.pull_number ? ` PR #${step.pull_number}` : '';
      const revert = step.revert_pr_url ? ` → revert ${step.revert_pr_url}` : '';
      lines.push(`    ${step.state.padEnd(8)} ${step.action.padEnd(13)} ${step.branch}${pr}${revert}${step.warning ? `  ! ${step.warning}` : ''}`);
    }
  }
  return lines.join('\n');
}

const firstLine = (text: string) => text.split('\n', 1)[0];
