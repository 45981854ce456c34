import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Customer portal: `webhook_portal_revocations`, one cut-off per tenant whose portal sessions were revoked. Types
 * as in the first migration: the driver's own names for the entity's portable types.
 */
export class AddPortalRevocations1796500000000 implements MigrationInterface {
  name = 'AddPortalRevocations1796500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const driver = queryRunner.connection.driver;
    const type = (name: string) => driver.normalizeType({ type: name as never });
    const exact = ['mysql', 'mariadb', 'aurora-mysql'].includes(queryRunner.connection.options.type) ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
    await queryRunner.createTable(
      new Table({
        name: 'webhook_portal_revocations',
        columns: [
          { name: 'tenant_id', type: type('varchar'), length: '255', isPrimary: true, primaryKeyConstraintName: 'PK_webhook_portal_revocations', isNullable: false, ...exact },
          { name: 'revoked_before', type: type('bigint'), isNullable: false },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webhook_portal_revocations', true);
  }
}
