import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * ed25519 signatures: `signature_type` on `webhook_subscriptions`, `'hmac-sha256'` for every existing row (their
 * secrets are `whsec_` HMAC secrets). Its type as in the first migration: the driver's own name for varchar.
 */
export class AddSignatureType1796300000000 implements MigrationInterface {
  name = 'AddSignatureType1796300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const driver = queryRunner.connection.driver;
    const exact = ['mysql', 'mariadb', 'aurora-mysql'].includes(queryRunner.connection.options.type) ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
    // The default as the driver writes the entity's `default: 'hmac-sha256'`, so the schemas compare equal.
    const hmac = driver.normalizeDefault({ default: 'hmac-sha256' } as never);
    await queryRunner.addColumn(
      'webhook_subscriptions',
      new TableColumn({ name: 'signature_type', type: driver.normalizeType({ type: 'varchar' as never }), length: '16', isNullable: false, default: hmac, ...exact }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('webhook_subscriptions', 'signature_type');
  }
}
