import { describeIfDatabase } from '../support/databases';
import { runStoreContract } from './store-contract';
import { typeOrmHarness } from './typeorm-harness';

describeIfDatabase('mariadb', 'MariaDB stores', () => {
  runStoreContract('TypeORM on MariaDB', () =>
    typeOrmHarness('mariadb', {
      namespace: 'webhook_store_mariadb',
      // tables made by synchronize take the database collation: a case-sensitive one keeps ids exact
      // (the migration sets utf8mb4_bin on the id columns itself; see migrations.spec.ts)
      mariadbCollation: 'utf8mb4_bin',
    }),
  );
});
