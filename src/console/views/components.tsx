// Small pieces every console page uses: status badges that read as text,
// times, token counts, flash messages, tables that scroll in their own box.
import type { ComponentChildren } from 'preact';
import type { JobUsage, UsageTotals } from '../../services/jobs/job-usage.ts';
import { formatCount, formatTime, shortId } from './format.ts';

/** A coloured label whose text says the state (colour is never the only signal). */
export function Badge({ value, label }: { value: string | null | undefined; label?: string }) {
  const text = value ?? 'none';
  return (
    <span class={`badge badge-${text.replace(/[^a-z_]/g, '')}`} title={label ? `${label}: ${text.replace(/_/g, ' ')}` : undefined}>
      {text.replace(/_/g, ' ')}
    </span>
  );
}

export function Time({ at }: { at: string | Date | null | undefined }) {
  if (!at) return <span class="muted">–</span>;
  const iso = typeof at === 'string' ? at : at.toISOString();
  return <time datetime={iso}>{formatTime(iso)}</time>;
}

/** A job's link: the distinct end of its id to see, "job …" to hear, the whole id on hover. */
export function JobLink({ id }: { id: string }) {
  return (
    <a href={`/console/jobs/${encodeURIComponent(id)}`} class="mono" title={id}>
      <span class="visually-hidden">job </span>
      {shortId(id)}
    </a>
  );
}

export function TokenUsage({ usage }: { usage: JobUsage | null | undefined }) {
  if (!usage || (usage.input_tokens === null && usage.output_tokens === null && usage.cache_read_tokens === null && usage.cache_write_tokens === null)) {
    return <span class="muted">–</span>;
  }
  return (
    <span class="tokens" title={usage.model_id ? `model ${usage.model_id}` : undefined}>
      <span>in {formatCount(usage.input_tokens)}</span> <span>out {formatCount(usage.output_tokens)}</span>
      {(usage.cache_read_tokens ?? 0) + (usage.cache_write_tokens ?? 0) > 0 ? (
        <span class="muted">
          {' '}
          cache {formatCount(usage.cache_read_tokens)} read / {formatCount(usage.cache_write_tokens)} write
        </span>
      ) : null}
    </span>
  );
}

/** Dollars to read (4 decimals); the exact amount (9 decimals, as the API answers it) on hover. */
function Usd({ amount }: { amount: string }) {
  const value = Number(amount);
  const shown = value > 0 && value < 0.0001 ? '< $0.0001' : `$${value.toFixed(4)}`;
  return (
    <span class="cost" title={`$${amount}`}>
      {shown}
    </span>
  );
}

/** A job's cost: at the price in force when it was reported; "unpriced" when its model has none. */
export function JobCost({ usage }: { usage: JobUsage | null | undefined }) {
  if (!usage || (usage.cost_usd === null && usage.unpriced_jobs === 0)) return <span class="muted">–</span>;
  if (usage.cost_usd === null) return <span class="muted">unpriced{usage.model_id ? ` (${usage.model_id})` : ''}</span>;
  return <Usd amount={usage.cost_usd} />;
}

/** The cost of many jobs, and how many of them have no price. */
export function CostTotal({ usage }: { usage: UsageTotals | null | undefined }) {
  if (!usage) return <span class="muted">–</span>;
  return (
    <span class="tokens">
      <Usd amount={usage.cost_usd} />
      {usage.unpriced_jobs > 0 ? <span class="muted"> + {usage.unpriced_jobs} unpriced</span> : null}
    </span>
  );
}

export function LongText({ text, className }: { text: string | null | undefined; className?: string }) {
  if (!text) return <span class="muted">–</span>;
  return <span class={`long-text ${className ?? ''}`}>{text}</span>;
}

/** A wide table scrolls inside its own box; its header row stays in view. */
export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

export interface Flash {
  kind: 'notice' | 'error';
  text: string;
  /** field issues of a refused input, each naming its field */
  details?: { path: string; message: string }[];
}

export function FlashMessage({ flash }: { flash: Flash | undefined }) {
  if (!flash) return null;
  return (
    <div class={`flash flash-${flash.kind}`} role={flash.kind === 'error' ? 'alert' : 'status'}>
      <p>{flash.text}</p>
      {flash.details && flash.details.length > 0 ? (
        <ul>
          {flash.details.map((issue) => (
            <li>
              <code>{issue.path}</code>: {issue.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}

export function Progress({ done, total, label }: { done: number; total: number; label: string }) {
  return (
    <span class="progress">
      <progress max={Math.max(total, 1)} value={done} aria-label={label} />
      <span>
        {done}/{total}
      </span>
    </span>
  );
}
