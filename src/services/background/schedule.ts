// The periodic background work, as graphile-worker crontab items. Every replica
// runs the same crontab; graphile-worker adds each scheduled run once across
// them (its known_crontabs row per identifier is the lock), and the job key
// keeps at most one such job waiting. After downtime, `backfillPeriod` adds the
// run that was missed (once), so a restarted app reconciles and heals soon.
import { parseCronItems, type CronItem, type ParsedCronItem } from 'graphile-worker';

const hour = 3600_000;

export const backgroundCronItems: CronItem[] = [
  // claims with no status call for the claim timeout go back to the queue
  { task: 'sweep_stale_claims', identifier: 'sweep_stale_claims', match: '* * * * *', options: { maxAttempts: 1, jobKey: 'sweep_stale_claims' } },
  // failed webhook deliveries since the last look, asked again from GitHub
  {
    task: 'redeliver_failed_webhooks',
    identifier: 'redeliver_failed_webhooks',
    match: '*/5 * * * *',
    options: { maxAttempts: 3, jobKey: 'redeliver_failed_webhooks', backfillPeriod: hour },
  },
  // each product's PRs re-read from GitHub, one product per job, spread out
  { task: 'reconcile_products', identifier: 'reconcile_products', match: '7 * * * *', options: { maxAttempts: 3, jobKey: 'reconcile_products', backfillPeriod: 6 * hour } },
  // old change events, delivery ids, redelivery records and worker heartbeats
  { task: 'prune_retention', identifier: 'prune_retention', match: '23 * * * *', options: { maxAttempts: 3, jobKey: 'prune_retention' } },
];

export function backgroundSchedule(items: CronItem[] = backgroundCronItems): ParsedCronItem[] {
  return parseCronItems(items);
}
