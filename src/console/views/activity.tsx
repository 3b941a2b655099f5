// Activity: the change stream, newest first; live ones are prepended as they arrive.
import { renderToString } from 'preact-render-to-string';
import type { RecentEvent } from '../../services/events/recent-events.ts';
import { Badge, JobLink, Time } from './components.tsx';
import { Layout, type Viewer } from './layout.tsx';

type Payload = Record<string, unknown>;
const str = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);

function Description({ type, payload }: { type: string; payload: Payload }) {
  if (type === 'claude_job_status') {
    const jobId = str(payload.job_id);
    return (
      <>
        {jobId ? <JobLink id={jobId} /> : 'a job'} is now <Badge value={str(payload.status)} label="job status" />
        {str(payload.verify_result) ? (
          <>
            {' '}
            · verify <Badge value={str(payload.verify_result)} label="verify result" />
          </>
        ) : null}
        {str(payload.pr_url) ? (
          <>
            {' '}
            · <a href={str(payload.pr_url)!}>pull request</a>
          </>
        ) : null}
        {str(payload.error) ? <span class="error-text"> · {str(payload.error)!.slice(0, 200)}</span> : null}
      </>
    );
  }
  if (type === 'cascade') {
    const pbiId = str(payload.pbi_id);
    return (
      <>
        fail-cascade <span class="mono">{str(payload.cascade_id)}</span> is <Badge value={str(payload.status)} label="cascade" />
        {pbiId ? (
          <>
            {' '}
            · <a href={`/console/pbis/${encodeURIComponent(pbiId)}`}>PBI board</a>
          </>
        ) : null}
      </>
    );
  }
  // an event type this console does not know yet: its fields, as sent
  return <code class="long-text">{JSON.stringify(payload).slice(0, 300)}</code>;
}

export function ActivityItem({ event }: { event: RecentEvent }) {
  const payload = (event.payload && typeof event.payload === 'object' ? event.payload : {}) as Payload;
  return (
    <li id={`event-${event.seq}`} class="activity-item">
      <Time at={event.at} /> <span class="event-type">{event.type.replace(/_/g, ' ')}</span> <Description type={event.type} payload={payload} />
    </li>
  );
}

export const renderActivityItem = (event: RecentEvent) => renderToString(<ActivityItem event={event} />);

export function ActivityPage({ viewer, events, liveAfter }: { viewer: Viewer; events: RecentEvent[]; liveAfter: string }) {
  return (
    <Layout title="Activity" viewer={viewer} active="activity" live={{ url: '/console/events?activity=1', after: liveAfter }}>
      <div class="page-head">
        <h1>Activity</h1>
        <p class="muted">Every change on the event stream, newest first. New ones appear here as they happen.</p>
      </div>
      <ol id="activity-list" class="activity" aria-label="Events, newest first">
        {events.map((event) => (
          <ActivityItem event={event} />
        ))}
      </ol>
      {events.length === 0 ? (
        <p class="muted" id="activity-empty">
          Nothing yet.
        </p>
      ) : null}
    </Layout>
  );
}
