import { Table, TableColumn, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

/**
 * Per-subscription delivery controls: `headers`, `filter` and the overrides `retry_max_attempts`,
 * `delivery_timeout_seconds`, `max_concurrent_per_endpoint`, `rate_limit_per_second` on `webhook_subscriptions`
 * (all nullable: existing subscriptions keep the module's behaviour), and `webhook_rate_limits`, one bucket per
 * rate-limited subscription. Column types are the driver's names for the entities' portable types, as in
 * `CreateWebhookTables1795800000000`, so the schema matches the entities on PostgreSQL, MySQL/MariaDB and SQLite.
 */
export class AddSubscriptionControls1796000000000 implements MigrationInterface {
  name = 'AddSubscriptionControls1796000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const driver = queryRunner.connection.driver;
    const type = (name: string) => driver.normalizeType({ type: name as never });
    const nullable = (name: string, typeName: string): TableColumnOptions => ({ name, type: type(typeName), isNullable: true });
    await queryRunner.addColumns('webhook_subscriptions', [
      new TableColumn(nullable('headers', 'simple-json')),
      new TableColumn(nullable('filter', 'simple-json')),
      new TableColumn(nullable('retry_max_attempts', 'integer')),
      new TableColumn(nullable('delivery_timeout_seconds', 'double precision')),
      new TableColumn(nullable('max_concurrent_per_endpoint', 'integer')),
      new TableColumn(nullable('rate_limit_per_second', 'integer')),
    ]);
    // MySQL/MariaDB: ids compare exactly, as in the other tables.
    const exact = ['mysql', 'mariadb', 'aurora-mysql'].includes(queryRunner.connection.options.type) ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
    await queryRunner.createTable(
      new Table({
        name: 'webhook_rate_limits',
        columns: [
          { name: 'subscription_id', type: type('varchar'), length: '255', isPrimary: true, primaryKeyConstraintName: 'PK_webhook_rate_limits', isNullable: false, ...exact },
          { name: 'tat_us', type: type('bigint'), isNullable: false },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webhook_rate_limits', true);
    for (const column of ['rate_limit_per_second', 'max_concurrent_per_endpoint', 'delivery_timeout_seconds', 'retry_max_attempts', 'filter', 'headers']) {
      await queryRunner.dropColumn('webhook_subscriptions', column);
    }
  }
}
