import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';
import { DURATION_CLASS_BOUNDS_MS, STATS_SLICE_MS } from '../../../domain/stats';
import { ALL_SUBSCRIPTIONS } from '../../attempt-stats';

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

/**
 * Sums the attempts already logged into stats rows, in the database (one INSERT ... SELECT ... GROUP BY per key
 * kind), with the same 5-minute slices and duration classes the stores write.
 */
async function backfill(queryRunner: QueryRunner): Promise<void> {
  const connection = queryRunner.connection;
  const q = (name: string) => connection.driver.escape(name);
  const schema = (connection.options as { schema?: string }).schema;
  const table = (name: string) => (schema && connection.driver.options.type !== 'better-sqlite3' ? `${q(schema)}.${q(name)}` : q(name));
  const at = q('attempted_at');
  const cls = `CASE ${DURATION_CLASS_BOUNDS_MS.map((bound, i) => `WHEN ${q('duration_ms')} < ${bound} THEN ${i}`).join(' ')} ELSE ${DURATION_CLASS_BOUNDS_MS.length} END`;
  const status = q('status');
  for (const key of [q('subscription_id'), `'${ALL_SUBSCRIPTIONS}'`]) {
    await queryRunner.query(
      `INSERT INTO ${table('webhook_attempt_stats')} (${['subscription_id', 'slice_start', 'duration_class', 'attempts', 'delivered', 'failed'].map(q).join(', ')}) ` +
        `SELECT ${key}, ${sliceOf(connection.options.type, at)}, ${cls}, COUNT(*), SUM(CASE WHEN ${status} = 'delivered' THEN 1 ELSE 0 END), SUM(CASE WHEN ${status} = 'delivered' THEN 0 ELSE 1 END) ` +
        `FROM ${table('webhook_delivery_attempts')} WHERE ${status} IN ('delivered', 'failed', 'dead_letter') GROUP BY 1, 2, 3`,
    );
  }
}

/** SQL for the start of the 5-minute slice of a date column, as the database stores that column. */
function sliceOf(type: string, column: string): string {
  const seconds = STATS_SLICE_MS / 1000;
  switch (type) {
    case 'postgres':
    case 'aurora-postgres':
      return `(to_timestamp(floor(extract(epoch from ${column}) / ${seconds}) * ${seconds}) AT TIME ZONE 'UTC')`;
    case 'better-sqlite3':
    case 'sqlite':
      // the text TypeORM writes: 'YYYY-MM-DD HH:MM:SS.SSS' in UTC
      return `strftime('%Y-%m-%d %H:%M:%S.000', (CAST(strftime('%s', ${column}) AS INTEGER) / ${seconds}) * ${seconds}, 'unixepoch')`;
    default:
      return `TIMESTAMPADD(MINUTE, FLOOR(TIMESTAMPDIFF(MINUTE, '1970-01-01', ${column}) / ${seconds / 60}) * ${seconds / 60}, '1970-01-01')`;
  }
}
