import { Table, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

/**
 * Creates `webhook_subscriptions`, `webhook_events`, `webhook_deliveries` and `webhook_delivery_attempts` with
 * their indexes, on PostgreSQL, MySQL/MariaDB and SQLite: the column types are the driver's own names for the
 * portable types the entities declare, so `synchronize` afterwards finds nothing to change. On MySQL/MariaDB the
 * id and tenant columns get the `utf8mb4_bin` collation so ids compare exactly (the usual database default is
 * case-insensitive: `evt-A` would collide with `evt-a`); TypeORM does not compare collations, so this does not
 * show as a schema difference.
 */
export class CreateWebhookTables1795800000000 implements MigrationInterface {
  name = 'CreateWebhookTables1795800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const driver = queryRunner.connection.driver;
    const type = (name: string | DateConstructor) => driver.normalizeType({ type: name as never });
    const varchar = (name: string, length: number, nullable = false): TableColumnOptions => ({
      name,
      type: type('varchar'),
      length: String(length),
      isNullable: nullable,
    });
    // MySQL/MariaDB compare with the database collation, case-insensitive by default: ids must be exact.
    const exact = ['mysql', 'mariadb', 'aurora-mysql'].includes(queryRunner.connection.options.type) ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
    const id = (name: string, nullable = false): TableColumnOptions => ({ ...varchar(name, 255, nullable), ...exact });
    const primary = (name: string, constraint: string): TableColumnOptions => ({ ...id(name), isPrimary: true, primaryKeyConstraintName: constraint });
    const date = (name: string, nullable = false): TableColumnOptions => ({ name, type: type(Date), precision: 3, isNullable: nullable });
    const text = (name: string, nullable = false): TableColumnOptions => ({ name, type: type('text'), isNullable: nullable });
    const simpleJson = (name: string, nullable = false): TableColumnOptions => ({ name, type: type('simple-json'), isNullable: nullable });
    const integer = (name: string, nullable = false): TableColumnOptions => ({ name, type: type('integer'), isNullable: nullable });

    await queryRunner.createTable(
      new Table({
        name: 'webhook_subscriptions',
        columns: [
          primary('subscription_id', 'PK_webhook_subscriptions'),
          varchar('url', 2048),
          varchar('secret', 255),
          simpleJson('event_types', true),
          { name: 'active', type: type('boolean'), isNullable: false },
          text('description', true),
          id('tenant_id', true),
          date('created_at'),
          simpleJson('metadata'),
          varchar('previous_secret', 255, true),
          date('previous_secret_expires_at', true),
          varchar('disabled_reason', 1000, true),
        ],
        indices: [
          new TableIndex({ name: 'IDX_webhook_subscriptions_created', columnNames: ['created_at', 'subscription_id'] }),
          new TableIndex({ name: 'IDX_webhook_subscriptions_tenant', columnNames: ['tenant_id', 'created_at'] }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'webhook_events',
        columns: [
          primary('event_id', 'PK_webhook_events'),
          varchar('event_type', 200),
          // json: large on every driver (MariaDB LONGTEXT); holds {"text": body}
          { name: 'body', type: type('json'), isNullable: false },
          date('occurred_at'),
          varchar('source', 255, true),
          date('created_at'),
        ],
        indices: [new TableIndex({ name: 'IDX_webhook_events_created', columnNames: ['created_at', 'event_id'] })],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'webhook_deliveries',
        columns: [
          primary('delivery_id', 'PK_webhook_deliveries'),
          id('event_id'),
          id('subscription_id'),
          varchar('event_type', 200),
          varchar('status', 16),
          integer('attempts'),
          date('next_attempt_at'),
          date('locked_until', true),
          id('locked_by', true),
          id('last_attempt_id', true),
          date('created_at'),
          date('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'UQ_webhook_deliveries_event_subscription', columnNames: ['event_id', 'subscription_id'], isUnique: true }),
          new TableIndex({ name: 'IDX_webhook_deliveries_due', columnNames: ['status', 'next_attempt_at'] }),
          new TableIndex({ name: 'IDX_webhook_deliveries_lease', columnNames: ['status', 'locked_until'] }),
          new TableIndex({ name: 'IDX_webhook_deliveries_locked_by', columnNames: ['locked_by'] }),
          new TableIndex({ name: 'IDX_webhook_deliveries_subscription', columnNames: ['subscription_id', 'status'] }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'webhook_delivery_attempts',
        columns: [
          primary('attempt_id', 'PK_webhook_delivery_attempts'),
          id('subscription_id'),
          id('event_id'),
          varchar('event_type', 200),
          varchar('status', 16),
          integer('status_code', true),
          integer('attempt_number'),
          date('attempted_at'),
          date('next_retry_at', true),
          text('error_message', true),
          integer('duration_ms'),
        ],
        indices: [
          new TableIndex({ name: 'IDX_webhook_attempts_subscription', columnNames: ['subscription_id', 'attempted_at', 'attempt_number', 'attempt_id'] }),
          new TableIndex({ name: 'IDX_webhook_attempts_event', columnNames: ['event_id'] }),
          new TableIndex({ name: 'IDX_webhook_attempts_attempted', columnNames: ['attempted_at', 'attempt_number', 'attempt_id'] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['webhook_delivery_attempts', 'webhook_deliveries', 'webhook_events', 'webhook_subscriptions']) {
      await queryRunner.dropTable(table, true);
    }
  }
}
