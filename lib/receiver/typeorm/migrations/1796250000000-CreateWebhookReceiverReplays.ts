import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Creates `webhook_receiver_replays`, the receiver's replay table (`TypeOrmReplayStore`), on PostgreSQL,
 * MySQL/MariaDB and SQLite. A receiver's own migration, apart from the sender's `WEBHOOK_MIGRATIONS`: an app that
 * only receives runs this one alone. Types as in the sender's migrations (the driver's names for the entity's
 * portable types); ids get the `utf8mb4_bin` collation on MySQL/MariaDB so they compare exactly.
 */
export class CreateWebhookReceiverReplays1796250000000 implements MigrationInterface {
  name = 'CreateWebhookReceiverReplays1796250000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const driver = queryRunner.connection.driver;
    const type = (name: string | DateConstructor) => driver.normalizeType({ type: name as never });
    const exact = ['mysql', 'mariadb', 'aurora-mysql'].includes(queryRunner.connection.options.type) ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
    await queryRunner.createTable(
      new Table({
        name: 'webhook_receiver_replays',
        columns: [
          { name: 'id', type: type('varchar'), length: '255', isPrimary: true, primaryKeyConstraintName: 'PK_webhook_receiver_replays', isNullable: false, ...exact },
          { name: 'expires_at', type: type(Date), precision: 3, isNullable: false },
        ],
        indices: [new TableIndex({ name: 'IDX_webhook_receiver_replays_expires', columnNames: ['expires_at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webhook_receiver_replays', true);
  }
}
