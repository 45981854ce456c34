import { runStoreContract } from './store-contract';
import { typeOrmHarness } from './typeorm-harness';

runStoreContract('TypeORM on SQLite (better-sqlite3)', () => typeOrmHarness('sqlite', { namespace: 'webhook_store_sqlite' }));
