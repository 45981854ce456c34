import { describeIfDatabase } from '../support/databases';
import { runStoreContract } from './store-contract';
import { typeOrmHarness } from './typeorm-harness';

describeIfDatabase('postgres', 'PostgreSQL stores', () => {
  runStoreContract('TypeORM on PostgreSQL', () => typeOrmHarness('postgres', { namespace: 'webhook_store_pg' }));
});
