// A PBI's fail-cascades as a timeline, newest first: the failed job and its
// error, the cancelled jobs, and each undo step (branch, action, state, pull
// request, revert PR link, warning). A live fragment of the board.
import type { PbiView } from '../../services/pbis/pbi-view.ts';
import type { BoardData } from './board.tsx';
import { Badge, JobLink, LongText, TableWrap, Time } from './components.tsx';

type Story = PbiView['stories'][number];
type Task = Story['tasks'][number];
type Job = Task['jobs'][number];
type Cascade = PbiView['cascades'][number];

/** Where each job of the PBI sits, for the cascade timeline. */
function jobIndex(view: PbiView) {
  const index = new Map<string, { job: Job; task: Task; story: Story }>();
  for (const story of view.stories) for (const task of story.tasks) for (const job of task.jobs) index.set(job.id, { job, task, story });
  return index;
}

function CascadeItem({ cascade, index }: { cascade: Cascade; index: ReturnType<typeof jobIndex> }) {
  const failed = index.get(cascade.failed_job_id);
  return (
    <li class={`cascade cascade-${cascade.status}`}>
      <h3>
        Cascade <span class="mono">{cascade.id}</span> <Badge value={cascade.status} label="cascade" />
        {cascade.reopened_at ? <Badge value="reopened" label="PBI" /> : null}
      </h3>
      <ol class="events">
        <li>
          <Time at={cascade.created_at} /> — <JobLink id={cascade.failed_job_id} /> failed
          {failed ? (
            <>
              {' '}
              ({failed.task.title}, agent {failed.job.user})
            </>
          ) : null}
          {failed?.job.error ? <pre class="error-text">{failed.job.error}</pre> : null}
        </li>
        <li>
          {cascade.cancelled_job_ids.length === 0 ? (
            'no sibling job was queued, claimed or running: nothing to cancel'
          ) : (
            <>
              cancelled {cascade.cancelled_job_ids.length} sibling job{cascade.cancelled_job_ids.length === 1 ? '' : 's'}:{' '}
              <span class="id-list">
                {cascade.cancelled_job_ids.map((id) => (
                  <>
                    <JobLink id={id} />{' '}
                  </>
                ))}
              </span>
            </>
          )}
        </li>
        {cascade.finished_at ? (
          <li>
            <Time at={cascade.finished_at} /> — every undo step finished
          </li>
        ) : null}
        {cascade.reopened_at ? (
          <li>
            <Time at={cascade.reopened_at} /> — PBI reopened
          </li>
        ) : null}
      </ol>
      {cascade.steps.length > 0 ? (
        <TableWrap label={`Undo steps of cascade ${cascade.id}`}>
          <table>
            <thead>
              <tr>
                <th scope="col">Branch</th>
                <th scope="col">Action</th>
                <th scope="col">State</th>
                <th scope="col">Pull request</th>
                <th scope="col">Revert PR</th>
                <th scope="col" class="wide">
                  Warning
                </th>
              </tr>
            </thead>
            <tbody>
              {cascade.steps.map((step) => (
                <tr>
                  <th scope="row">
                    <code>{step.branch}</code>
                  </th>
                  <td>{step.action.replace(/_/g, ' ')}</td>
                  <td>
                    <Badge value={step.state} label="step" />
                  </td>
                  <td>{step.pull_number ? `#${step.pull_number}` : <span class="muted">–</span>}</td>
                  <td>{step.revert_pr_url ? <a href={step.revert_pr_url}>#{step.revert_pull_number ?? 'revert'}</a> : <span class="muted">–</span>}</td>
                  <td class="wide">
                    <LongText text={step.warning} className="warning-text" />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : (
        <p class="muted">No branch to undo.</p>
      )}
    </li>
  );
}

export function CascadeTimeline({ data }: { data: BoardData }) {
  const index = jobIndex(data.view);
  const newestFirst = [...data.view.cascades].reverse();
  return (
    <section id="cascades" class="cascades" aria-labelledby="cascades-title">
      <h2 id="cascades-title">Fail-cascades</h2>
      {newestFirst.length === 0 ? (
        <p class="muted">None: no task job of this PBI has failed.</p>
      ) : (
        <ol class="timeline">
          {newestFirst.map((cascade) => (
            <CascadeItem cascade={cascade} index={index} />
          ))}
        </ol>
      )}
    </section>
  );
}

