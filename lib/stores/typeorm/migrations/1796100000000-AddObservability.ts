import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';
import { statsRowsOf, type StatsRow } from '../../attempt-stats';
import type { DeliveryStatus } from '../../../domain/types';
import { dateCodec } from '../typeorm.utils';

/** Attempts read per page while the existing log is summed into stats rows. */
const BACKFILL_PAGE = 5000;
/** Stats rows per INSERT (6 parameters each). */
const ROWS_PER_INSERT = 500;

/**
 * Observability (issue 15), on PostgreSQL, MySQL/MariaDB and SQLite:
 * - `webhook_events.traceparent`: the W3C trace context of the span that dispatched the event, so that attempts
 *   sent by any replica, however much later, link to it;
 * - `webhook_attempt_stats`: attempts counted per subscription (and `*` for all), 5-minute slice and duration
 *   class, with an index on the slice for the retention purge. Endpoint stats read these rows instead of the log.
 *   The attempts already logged are summed into it here, so history from before the upgrade shows in the stats
 *   (attempts logged by replicas still running the previous version while this runs are not counted);
 * - two indexes on `webhook_delivery_attempts`, (event_type, attempted_at) and (status, attempted_at), so that the
 *   admin log filtered by a rare event type or status reads only the matching rows.
 */
export class AddObservability1796100000000 implements MigrationInterface {
  name = 'AddObservability1796100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const driver = queryRunner.connection.driver;
    const type = (name: string | DateConstructor) => driver.normalizeType({ type: name as never });
    const exact = ['mysql', 'mariadb', 'aurora-mysql'].includes(queryRunner.connection.options.type) ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
    const integer = (name: string): TableColumnOptions => ({ name, type: type('integer'), isNullable: false });
    const primary = { isPrimary: true, primaryKeyConstraintName: 'PK_webhook_attempt_stats' };

    await queryRunner.addColumn('webhook_events', new TableColumn({ name: 'traceparent', type: type('varchar'), length: '255', isNullable: true }));
    await queryRunner.createTable(
      new Table({
        name: 'webhook_attempt_stats',
        columns: [
          { name: 'subscription_id', type: type('varchar'), length: '255', isNullable: false, ...exact, ...primary },
          { name: 'slice_start', type: type(Date), precision: 3, isNullable: false, ...primary },
          { ...integer('duration_class'), ...primary },
          integer('attempts'),
          integer('delivered'),
          integer('failed'),
        ],
        indices: [new TableIndex({ name: 'IDX_webhook_attempt_stats_slice', columnNames: ['slice_start'] })],
      }),
    );
    await queryRunner.createIndices('webhook_delivery_attempts', [
      new TableIndex({ name: 'IDX_webhook_attempts_type', columnNames: ['event_type', 'attempted_at'] }),
      new TableIndex({ name: 'IDX_webhook_attempts_status', columnNames: ['status', 'attempted_at'] }),
    ]);
    await backfill(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('webhook_delivery_attempts', 'IDX_webhook_attempts_status');
    await queryRunner.dropIndex('webhook_delivery_attempts', 'IDX_webhook_attempts_type');
    await queryRunner.dropTable('webhook_attempt_stats', true);
    await queryRunner.dropColumn('webhook_events', 'traceparent');
  }
}

/** Sums the attempts already logged into stats rows (the table is empty: plain INSERTs). */
async function backfill(queryRunner: QueryRunner): Promise<void> {
  const dates = dateCodec(queryRunner.connection.driver);
  const totals = new Map<string, StatsRow>();
  let after: string | null = null;
  for (;;) {
    const qb = queryRunner.manager
      .createQueryBuilder()
      .select(['a.attempt_id AS attempt_id', 'a.subscription_id AS subscription_id', 'a.status AS status', 'a.attempted_at AS attempted_at', 'a.duration_ms AS duration_ms'])
      .from('webhook_delivery_attempts', 'a')
      .orderBy('a.attempt_id', 'ASC')
      .limit(BACKFILL_PAGE);
    if (after !== null) qb.where('a.attempt_id > :after', { after });
    const page = await qb.getRawMany<{ attempt_id: string; subscription_id: string; status: DeliveryStatus; attempted_at: unknown; duration_ms: unknown }>();
    if (page.length === 0) break;
    const attempts = page.map((r) => ({
      attempt_id: r.attempt_id,
      subscription_id: r.subscription_id,
      event_id: '',
      event_type: '',
      status: r.status,
      status_code: null,
      attempt_number: 0,
      attempted_at: dates.read(r.attempted_at)!,
      next_retry_at: null,
      error_message: null,
      duration_ms: Number(r.duration_ms),
    }));
    for (const row of statsRowsOf(attempts)) {
      const key = `${row.subscription_id}\n${row.slice_start.getTime()}\n${row.duration_class}`;
      const total = totals.get(key);
      if (!total) totals.set(key, row);
      else {
        total.attempts += row.attempts;
        total.delivered += row.delivered;
        total.failed += row.failed;
      }
    }
    after = page[page.length - 1].attempt_id;
    if (page.length < BACKFILL_PAGE) break;
  }
  const rows = [...totals.values()];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const values = rows.slice(i, i + ROWS_PER_INSERT).map((r) => ({ ...r, slice_start: dates.write(r.slice_start) }));
    await queryRunner.manager.createQueryBuilder().insert().into('webhook_attempt_stats', ['subscription_id', 'slice_start', 'duration_class', 'attempts', 'delivered', 'failed']).values(values).execute();
  }
}
