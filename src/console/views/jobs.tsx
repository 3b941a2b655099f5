// Jobs: every user's jobs, filtered, newest first, a page at a time; and one job with its trace.
import type { ComponentChildren } from 'preact';
import { JobKind, JobStatus } from '../../generated/prisma/enums.ts';
import type { JobListItem } from '../../services/jobs/list-jobs.ts';
import type { OperatorJob } from '../../services/jobs/operator-job.ts';
import type { ProductView } from '../../services/products/products.ts';
import { Badge, FlashMessage, JobLink, LongText, TableWrap, Time, TokenUsage, type Flash } from './components.tsx';
import { codeTitle } from './format.ts';
import { JobCells, JobHeaderCells } from './job-columns.tsx';
import { Layout, type Viewer } from './layout.tsx';

export interface JobFilter {
  status?: string | undefined;
  user?: string | undefined;
  product_id?: string | undefined;
  kind?: string | undefined;
  /** jobs per page (kept across pages) */
  limit?: string | undefined;
}

function Select({ id, label, name, value, options }: { id: string; label: string; name: string; value: string | undefined; options: { value: string; label: string }[] }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} name={name}>
        <option value="">any</option>
        {options.map((option) => (
          <option value={option.value} selected={option.value === value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

const lowerOptions = (values: Record<string, string>) => Object.values(values).map((v) => ({ value: v.toLowerCase(), label: v.toLowerCase().replace(/_/g, ' ') }));

function WorkCell({ job }: { job: JobListItem }) {
  if (job.idea) return <>idea: {job.idea.title}</>;
  return (
    <>
      {job.pbi ? (
        <a href={`/console/pbis/${encodeURIComponent(job.pbi.id)}`}>{job.pbi.code ?? job.pbi.title}</a>
      ) : null}
      {job.story ? <> / {job.story.code ?? job.story.title}</> : null}
      {job.task ? <div>{job.task.title}</div> : null}
    </>
  );
}

export function JobsPage(props: { viewer: Viewer; jobs: JobListItem[]; nextCursor: string | null; filter: JobFilter; products: ProductView[]; users: string[]; isFirstPage: boolean; flash?: Flash }) {
  const { filter } = props;
  const query = new URLSearchParams(Object.entries(filter).filter((entry): entry is [string, string] => Boolean(entry[1])));
  const next = props.nextCursor ? `/console/jobs?${new URLSearchParams([...query, ['cursor', props.nextCursor]])}` : null;
  const first = `/console/jobs${query.size > 0 ? `?${query}` : ''}`;
  return (
    <Layout title="Jobs" viewer={props.viewer} active="jobs">
      <div class="page-head">
        <h1>Jobs</h1>
        <p class="muted">Every user's jobs, newest first.</p>
      </div>
      <FlashMessage flash={props.flash} />
      <form method="get" action="/console/jobs" class="filters" aria-label="Filter jobs">
        <Select id="filter-status" label="Status" name="status" value={filter.status} options={lowerOptions(JobStatus)} />
        <div class="field">
          <label for="filter-user">User</label>
          <input id="filter-user" name="user" value={filter.user ?? ''} list="filter-users" autocomplete="off" size={14} />
          <datalist id="filter-users">
            {props.users.map((user) => (
              <option value={user} />
            ))}
          </datalist>
        </div>
        <Select id="filter-product" label="Product" name="product_id" value={filter.product_id} options={props.products.map((p) => ({ value: p.id, label: p.name }))} />
        <Select id="filter-kind" label="Kind" name="kind" value={filter.kind} options={lowerOptions(JobKind)} />
        <button type="submit">Filter</button>
        {query.size > 0 ? <a href="/console/jobs">Clear</a> : null}
      </form>
      {props.jobs.length === 0 ? (
        <p class="muted">No job matches.</p>
      ) : (
        <TableWrap label="Jobs">
          <table class="jobs-table">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Created</th>
                <th scope="col">Kind</th>
                <th scope="col">Product</th>
                <th scope="col">Work</th>
                <JobHeaderCells />
              </tr>
            </thead>
            <tbody>
              {props.jobs.map((job) => (
                <tr>
                  <th scope="row">
                    <JobLink id={job.id} />
                  </th>
                  <td>
                    <Time at={job.created_at} />
                  </td>
                  <td>{job.kind.replace(/_/g, ' ')}</td>
                  <td>{job.product.name}</td>
                  <td>
                    <WorkCell job={job} />
                  </td>
                  <JobCells job={job} />
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <nav class="pager" aria-label="Pages">
        {props.isFirstPage ? null : <a href={first}>First page</a>}
        {next ? (
          <a href={next} rel="next">
            Older jobs
          </a>
        ) : (
          <span class="muted">No older jobs</span>
        )}
      </nav>
    </Layout>
  );
}

function Fact({ term, children }: { term: string; children: ComponentChildren }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export function JobPage({ viewer, job }: { viewer: Viewer; job: OperatorJob }) {
  return (
    <Layout title={`Job ${job.id}`} viewer={viewer} active="jobs">
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href="/console/jobs">Jobs</a> / <span aria-current="page">{job.id}</span>
      </nav>
      <div class="page-head">
        <h1>
          Job <span class="mono">{job.id}</span> <Badge value={job.status} label="job status" />
        </h1>
        <p>
          {job.kind.replace(/_/g, ' ')} for <strong>{job.user}</strong> in {job.product.name} (<code>{job.product.repo}</code>)
        </p>
      </div>
      <dl class="facts card">
        {job.pbi ? (
          <Fact term="PBI">
            <a href={`/console/pbis/${encodeURIComponent(job.pbi.id)}`}>{codeTitle(job.pbi)}</a>
          </Fact>
        ) : null}
        {job.story ? <Fact term="Story">{codeTitle(job.story)}</Fact> : null}
        {job.task ? <Fact term="Task">{job.task.title}</Fact> : null}
        {job.idea ? <Fact term="Idea">{job.idea.title}</Fact> : null}
        <Fact term="Branch">{job.branch ? <code>{job.branch}</code> : <span class="muted">–</span>}</Fact>
        <Fact term="Pull request">{job.pr_url ? <a href={job.pr_url}>{job.pr_url}</a> : <span class="muted">–</span>}</Fact>
        <Fact term="Verify">{job.verify_result ? <Badge value={job.verify_result} label="verify result" /> : <span class="muted">–</span>}</Fact>
        <Fact term="Priority">{job.priority}</Fact>
        <Fact term="Created">
          <Time at={job.created_at} />
        </Fact>
        <Fact term="Claimed">
          <Time at={job.claimed_at} />
        </Fact>
        <Fact term="Started">
          <Time at={job.started_at} />
        </Fact>
        <Fact term="Finished">
          <Time at={job.finished_at} />
        </Fact>
        <Fact term="Pushed">
          <Time at={job.pushed_at} />
        </Fact>
        <Fact term="Tokens">
          <TokenUsage usage={job.usage} />
        </Fact>
        <Fact term="Model">{job.usage.model_id ?? <span class="muted">–</span>}</Fact>
        {job.cascade_id ? <Fact term="Cascade">{job.cascade_id}</Fact> : null}
        <Fact term="Summary">
          <LongText text={job.summary} />
        </Fact>
        <Fact term="Error">
          <LongText text={job.error} className="error-text" />
        </Fact>
      </dl>
      <h2>Trace</h2>
      {job.trace.length === 0 ? (
        <p class="muted">Nothing traced yet.</p>
      ) : (
        <TableWrap label="Trace">
          <table>
            <thead>
              <tr>
                <th scope="col">At</th>
                <th scope="col">Level</th>
                <th scope="col" class="wide">
                  Message
                </th>
              </tr>
            </thead>
            <tbody>
              {job.trace.map((entry) => (
                <tr>
                  <td>
                    <Time at={entry.at} />
                  </td>
                  <td>
                    <Badge value={entry.level} label="trace level" />
                  </td>
                  <td class="wide">
                    <LongText text={entry.message} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </Layout>
  );
}
