import type { DataSource } from 'typeorm';
import type { StatsRow } from '../../../attempt-stats';
import { WebhookAttemptStatsEntity } from '../../webhook-attempt-stats.entity';
import { dateParam, textFor, type SqlNames, type SqlStatement } from '../sql-statement';

const COUNTS = ['attempts', 'delivered', 'failed'] as const;

/**
 * Adds counts to the stats rows (`webhook_attempt_stats`), creating missing ones, in one statement. `rows` are
 * summed per key and sorted (`statsRowsOf`), so concurrent statements lock them in the same order.
 */
export function pgAddStats(ds: DataSource, rows: readonly StatsRow[]): SqlStatement {
  return { text: textFor(ds, 'pg.addStats', (names) => statsUpsertText(names, 1)), values: statsValues(ds, rows) };
}

/**
 * The stats upsert over six `unnest`ed arrays at placeholders `$<first>`..`$<first + 5>` (in the order of
 * {@link statsValues}): on its own, or as a CTE of the completion.
 */
export function statsUpsertText({ table, columns }: SqlNames, first: number): string {
  const st = columns(WebhookAttemptStatsEntity);
  const p = (i: number) => `$${first + i}`;
  return (
    `INSERT INTO ${table(WebhookAttemptStatsEntity)} AS s (${st('subscription_id')}, ${st('slice_start')}, ${st('duration_class')}, ${COUNTS.map(st).join(', ')}) ` +
    `SELECT * FROM unnest(${p(0)}::varchar[], ${p(1)}::timestamp(3)[], ${p(2)}::int[], ${p(3)}::int[], ${p(4)}::int[], ${p(5)}::int[]) ` +
    `ON CONFLICT (${st('subscription_id')}, ${st('slice_start')}, ${st('duration_class')}) DO UPDATE SET ` +
    COUNTS.map((c) => `${st(c)} = s.${st(c)} + EXCLUDED.${st(c)}`).join(', ')
  );
}

/** The six array values of {@link statsUpsertText}, in placeholder order. */
export function statsValues(ds: DataSource, rows: readonly StatsRow[]): unknown[] {
  const at = dateParam(ds);
  return [
    rows.map((r) => r.subscription_id),
    rows.map((r) => at(r.slice_start)),
    rows.map((r) => r.duration_class),
    rows.map((r) => r.attempts),
    rows.map((r) => r.delivered),
    rows.map((r) => r.failed),
  ];
}
