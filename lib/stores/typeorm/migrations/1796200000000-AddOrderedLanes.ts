import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Ordered delivery: `ordered` on `webhook_subscriptions` (false for existing ones), `lane_key` and `lane_seq` on
 * `webhook_deliveries` (NULL: unordered, as every existing delivery), an index of the laned deliveries (partial
 * where the database has partial indexes, so unordered deliveries cost it nothing), and `webhook_lanes`, one
 * sequence per lane. Types as in the first migration: the driver's own names for the entities' portable types.
 */
export class AddOrderedLanes1796200000000 implements MigrationInterface {
  name = 'AddOrderedLanes1796200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const driver = queryRunner.connection.driver;
    const type = (name: string) => driver.normalizeType({ type: name as never });
    const exact = ['mysql', 'mariadb', 'aurora-mysql'].includes(queryRunner.connection.options.type) ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
    // The default as the driver writes the entity's `default: false` (false, 0...), so the schemas compare equal.
    const no = driver.normalizeDefault({ default: false } as never);
    await queryRunner.addColumn('webhook_subscriptions', new TableColumn({ name: 'ordered', type: type('boolean'), isNullable: false, default: no }));
    await queryRunner.addColumns('webhook_deliveries', [
      new TableColumn({ name: 'lane_key', type: type('varchar'), length: '255', isNullable: true, ...exact }),
      new TableColumn({ name: 'lane_seq', type: type('bigint'), isNullable: true }),
    ]);
    await queryRunner.createIndex(
      'webhook_deliveries',
      new TableIndex({ name: 'IDX_webhook_deliveries_lane', columnNames: ['subscription_id', 'lane_key', 'lane_seq'], where: "lane_key IS NOT NULL AND status = 'pending'" }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'webhook_lanes',
        columns: [
          { name: 'subscription_id', type: type('varchar'), length: '255', isPrimary: true, primaryKeyConstraintName: 'PK_webhook_lanes', isNullable: false, ...exact },
          { name: 'lane_key', type: type('varchar'), length: '255', isPrimary: true, primaryKeyConstraintName: 'PK_webhook_lanes', isNullable: false, ...exact },
          { name: 'last_seq', type: type('bigint'), isNullable: false },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webhook_lanes', true);
    await queryRunner.dropIndex('webhook_deliveries', 'IDX_webhook_deliveries_lane');
    await queryRunner.dropColumn('webhook_deliveries', 'lane_seq');
    await queryRunner.dropColumn('webhook_deliveries', 'lane_key');
    await queryRunner.dropColumn('webhook_subscriptions', 'ordered');
  }
}
