import type { DataSource, EntityManager } from 'typeorm';
import { InvalidTransactionError } from '../../domain/webhook.error';

/**
 * The caller's `manager` as an EntityManager of a running transaction on the stores' DataSource, or an
 * {@link InvalidTransactionError} saying what to pass instead (thrown before anything is written).
 */
export function joinTransaction(manager: unknown, dataSource: DataSource): EntityManager {
  const m = manager as Partial<EntityManager> | null;
  if (m === null || typeof m !== 'object' || typeof m.query !== 'function' || typeof m.connection !== 'object') {
    throw new InvalidTransactionError(
      'manager must be the TypeORM EntityManager of a running transaction: the one dataSource.transaction() passes to its callback, or queryRunner.manager after queryRunner.startTransaction()',
    );
  }
  if (m.connection !== dataSource) {
    throw new InvalidTransactionError(
      `the manager belongs to another DataSource (${describe(m.connection as DataSource)}) than the webhook stores' (${describe(dataSource)}): start the transaction on the DataSource the webhook module uses, or set typeorm_data_source to the name of the manager's connection`,
    );
  }
  if (!m.queryRunner?.isTransactionActive) {
    throw new InvalidTransactionError(
      'the manager is not inside a transaction: call dispatch() inside dataSource.transaction(async (manager) => ...), or after queryRunner.startTransaction(); without a manager, dispatch() writes in a transaction of its own',
    );
  }
  return m as EntityManager;
}

/** `postgres database "app"`, for messages. */
function describe(dataSource: DataSource): string {
  const options = dataSource?.options as { type?: string; database?: unknown } | undefined;
  return `${options?.type ?? 'unknown'} database ${JSON.stringify(String(options?.database ?? ''))}`;
}
