import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Adds `webhook_subscription_changes`: one row per subscription written, so that every process follows the
 * changes instead of reloading every subscription (issue: a million subscriptions). Types as in the first
 * migration: the driver's own names for the entity's portable types, so `synchronize` finds nothing to change.
 */
export class AddSubscriptionChanges1795900000000 implements MigrationInterface {
  name = 'AddSubscriptionChanges1795900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const driver = queryRunner.connection.driver;
    const type = (name: string | DateConstructor) => driver.normalizeType({ type: name as never });
    const exact = ['mysql', 'mariadb', 'aurora-mysql'].includes(queryRunner.connection.options.type) ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
    await queryRunner.createTable(
      new Table({
        name: 'webhook_subscription_changes',
        columns: [
          { name: 'change_id', type: type('integer'), isPrimary: true, isGenerated: true, generationStrategy: 'increment', primaryKeyConstraintName: 'PK_webhook_subscription_changes' },
          { name: 'subscription_id', type: type('varchar'), length: '255', isNullable: false, ...exact },
          { name: 'changed_at', type: type(Date), precision: 3, isNullable: false },
        ],
        indices: [new TableIndex({ name: 'IDX_webhook_subscription_changes_changed', columnNames: ['changed_at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webhook_subscription_changes', true);
  }
}
