// The PBI board: stories with their branch, PR and check, each task's jobs,
// and the PBI's fail-cascades as a timeline. The live parts are fragments
// (an element with an id) that the event stream re-renders with these same
// components, so each thing has one rendering.
import { renderToString } from 'preact-render-to-string';
import type { PbiView } from '../../services/pbis/pbi-view.ts';
import type { PbiBoardExtras } from '../../services/pbis/board-extras.ts';
import type { ProductView } from '../../services/products/products.ts';
import { CascadeTimeline } from './cascade-timeline.tsx';
import { Badge, CostTotal, CsrfField, FlashMessage, JobLink, Progress, TableWrap, type Flash } from './components.tsx';
import { codeTitle } from './format.ts';
import { JobCells, JobHeaderCells, jobColumns, type JobRowData } from './job-columns.tsx';
import { Layout, type Viewer } from './layout.tsx';

type Story = PbiView['stories'][number];
type Task = Story['tasks'][number];
type Job = Task['jobs'][number];
type Cascade = PbiView['cascades'][number];

export interface BoardData {
  view: PbiView;
  extras: PbiBoardExtras;
  product: ProductView;
}

export interface Fragment {
  id: string;
  html: string;
}

const storyFragmentId = (storyId: string) => `story-${storyId}`;

/** jobs of the task the view counts but does not list (it lists the newest ones) */
const olderJobs = (task: Task): number => ('jobs_total' in task && typeof task.jobs_total === 'number' ? task.jobs_total - task.jobs.length : 0);

function jobRow(data: BoardData, job: Job): JobRowData {
  return { ...job, usage: data.extras.jobUsage.get(job.id) ?? null };
}

function taskCounts(view: PbiView) {
  const tasks = view.stories.flatMap((s) => s.tasks);
  // a task is done when its newest job is done (the check run's rule)
  const done = tasks.filter((t) => t.jobs.at(-1)?.status === 'done').length;
  const jobs = tasks.flatMap((t) => t.jobs);
  const active = jobs.filter((j) => j.status === 'queued' || j.status === 'claimed' || j.status === 'running').length;
  return { total: tasks.length, done, jobs: jobs.length, active, failed: jobs.filter((j) => j.status === 'failed').length };
}

const openCascade = (view: PbiView): Cascade | undefined => view.cascades.find((c) => !c.reopened_at);

/**
 * The PBI's progress and cascade state, and the reopen action once a cascade is
 * done. Rendered for everybody's live stream with an empty CSRF field, which
 * the page's script fills with the viewer's own token (`csrf` is the viewer's
 * token when the page itself is rendered).
 */
export function PbiSummary({ data, csrf }: { data: BoardData; csrf: string }) {
  const counts = taskCounts(data.view);
  const open = openCascade(data.view);
  return (
    <div id="pbi-summary" class="summary-strip">
      <div>
        <span class="label">Tasks done</span>
        <Progress done={counts.done} total={counts.total} label="tasks done" />
      </div>
      <div>
        <span class="label">Jobs</span> {counts.jobs} · {counts.active} active · {counts.failed} failed
      </div>
      <div>
        <span class="label">Cost</span> <CostTotal usage={data.extras.usage} />
      </div>
      <div>
        <span class="label">Cascade</span>{' '}
        {open ? (
          <>
            <Badge value={open.status === 'running' ? 'running' : 'open'} label="cascade" />{' '}
            <span class="muted">{open.status === 'running' ? 'undoing GitHub work' : 'done; new work is refused until the PBI is reopened'}</span>
          </>
        ) : (
          <span class="muted">none open</span>
        )}
      </div>
      {open?.status === 'done' ? (
        <form method="post" action={`/console/pbis/${encodeURIComponent(data.view.id)}/reopen`} class="inline-form push-right">
          <CsrfField token={csrf} />
          <button type="submit">Reopen PBI</button>
        </form>
      ) : null}
    </div>
  );
}

function PullRequestCell({ story }: { story: Story }) {
  const pr = story.pull_request;
  if (!pr) return <span class="muted">no PR</span>;
  return (
    <>
      <a href={pr.url}>#{pr.number}</a> <Badge value={pr.state} label="pull request" />
      {pr.merge_method ? <span class="muted"> {pr.merge_method}</span> : null}
    </>
  );
}

function CheckCell({ data, story }: { data: BoardData; story: Story }) {
  const runs = data.extras.checks.get(story.id) ?? [];
  const head = story.pull_request?.head_sha;
  const run = runs.find((r) => r.head_sha === head) ?? runs[0];
  if (!run) return <span class="muted">no check</span>;
  return <Badge value={run.status === 'completed' ? (run.conclusion ?? 'completed') : run.status} label="Scrum4Me check" />;
}

/** The live part of a story: its branch, PR, check, and every task's jobs. */
export function StoryLive({ data, story }: { data: BoardData; story: Story }) {
  const width = 2 + jobColumns.length;
  return (
    <div id={storyFragmentId(story.id)} class="story-live">
      <dl class="meta">
        <div>
          <dt>Branch</dt>
          <dd>
            <code>{story.branch}</code>
          </dd>
        </div>
        <div>
          <dt>Pull request</dt>
          <dd>
            <PullRequestCell story={story} />
          </dd>
        </div>
        <div>
          <dt>Check</dt>
          <dd>
            <CheckCell data={data} story={story} />
          </dd>
        </div>
      </dl>
      <TableWrap label={`Tasks and jobs of ${codeTitle(story)}`}>
        <table class="jobs-table">
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Job</th>
              <JobHeaderCells />
            </tr>
          </thead>
          {story.tasks.map((task) => (
            <tbody id={`task-${task.id}`}>
              {task.jobs.length === 0 ? (
                <tr>
                  <th scope="row">{task.title}</th>
                  <td colSpan={width - 1} class="muted">
                    not queued yet
                  </td>
                </tr>
              ) : (
                [...task.jobs].reverse().map((job, i) => (
                  <tr class={i === 0 ? undefined : 'older'}>
                    {i === 0 ? (
                      <th scope="rowgroup" rowSpan={task.jobs.length + (olderJobs(task) > 0 ? 1 : 0)}>
                        {task.title}
                      </th>
                    ) : null}
                    <td>
                      <JobLink id={job.id} />
                    </td>
                    <JobCells job={jobRow(data, job)} />
                  </tr>
                ))
              )}
              {olderJobs(task) > 0 ? (
                <tr class="older">
                  <td colSpan={width - 1}>
                    {olderJobs(task)} older job{olderJobs(task) === 1 ? '' : 's'} not shown:{' '}
                    <a href={`/console/jobs?${new URLSearchParams({ product_id: data.product.id })}`}>see the jobs list</a>
                  </td>
                </tr>
              ) : null}
            </tbody>
          ))}
        </table>
      </TableWrap>
    </div>
  );
}

function EnqueueForm({ viewer, pbiId, story }: { viewer: Viewer; pbiId: string; story: Story }) {
  if (story.tasks.length === 0) return null;
  const base = `enqueue-${story.id}`;
  return (
    <form method="post" action={`/console/pbis/${encodeURIComponent(pbiId)}/enqueue`} class="enqueue">
      <CsrfField token={viewer.csrf} />
      <label for={`${base}-task`}>Task</label>
      <select id={`${base}-task`} name="task_id">
        {story.tasks.map((task) => (
          <option value={task.id}>{task.title}</option>
        ))}
      </select>
      <label for={`${base}-user`}>for user</label>
      <input id={`${base}-user`} name="user" list="known-users" required autocomplete="off" size={14} />
      <button type="submit">Enqueue job</button>
    </form>
  );
}

/** Every live fragment of the board, rendered on its own (the event stream sends the ones that changed). */
export function boardFragments(data: BoardData): Fragment[] {
  return [
    { id: 'pbi-summary', html: renderToString(<PbiSummary data={data} csrf="" />) },
    { id: 'cascades', html: renderToString(<CascadeTimeline data={data} />) },
    ...data.view.stories.map((story) => ({ id: storyFragmentId(story.id), html: renderToString(<StoryLive data={data} story={story} />) })),
  ];
}

export interface BoardPageProps {
  viewer: Viewer;
  data: BoardData;
  users: string[];
  liveAfter: string;
  flash?: Flash;
}

export function BoardPage({ viewer, data, users, liveAfter, flash }: BoardPageProps) {
  const { view, product } = data;
  return (
    <Layout title={codeTitle(view)} viewer={viewer} active="products" live={{ url: `/console/events?board=${encodeURIComponent(view.id)}`, after: liveAfter }}>
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href="/console">Products</a> / <a href={`/console/products/${encodeURIComponent(product.id)}`}>{product.name}</a> /{' '}
        <span aria-current="page">{view.code ?? view.title}</span>
      </nav>
      <div class="page-head">
        <h1>{codeTitle(view)}</h1>
        <div class="actions">
          <form method="post" action={`/console/products/${encodeURIComponent(product.id)}/reconcile`} class="inline-form">
            <CsrfField token={viewer.csrf} />
            <input type="hidden" name="return_to" value={`/console/pbis/${view.id}`} />
            <button type="submit" class="button-quiet">
              Reconcile pull requests
            </button>
          </form>
        </div>
      </div>
      <FlashMessage flash={flash} />
      <PbiSummary data={data} csrf={viewer.csrf} />
      <datalist id="known-users">
        {users.map((user) => (
          <option value={user} />
        ))}
      </datalist>
      <h2>Stories</h2>
      {view.stories.map((story) => (
        <section class="story card" aria-labelledby={`story-title-${story.id}`}>
          <h3 id={`story-title-${story.id}`}>
            {story.code ? <span class="code">{story.code}</span> : null} {story.title}
          </h3>
          <StoryLive data={data} story={story} />
          <EnqueueForm viewer={viewer} pbiId={view.id} story={story} />
        </section>
      ))}
      <CascadeTimeline data={data} />
    </Layout>
  );
}
