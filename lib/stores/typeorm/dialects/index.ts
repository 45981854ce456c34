import type { DataSource } from 'typeorm';
import { dialectOf, type SqlDialect } from './sql-dialect';
import { MysqlQueueDialect } from './mysql.dialect';
import { PostgresQueueDialect } from './postgres.dialect';
import type { QueueDialect } from './queue-dialect';
import { SqliteQueueDialect } from './sqlite.dialect';

export type { ClaimRequest, LeaseChanges, QueryExecutor, QueueDialect, SignalHandlers, SignalListener } from './queue-dialect';
export { MysqlQueueDialect, PostgresQueueDialect, SqliteQueueDialect };

/** The dialect class of each SQL family. */
const DIALECTS: Record<SqlDialect, new (dataSource: DataSource) => QueueDialect> = {
  postgres: PostgresQueueDialect,
  mysql: MysqlQueueDialect,
  sqlite: SqliteQueueDialect,
};

const dialects = new WeakMap<DataSource, QueueDialect>();

/**
 * The dialect of a DataSource's database, one instance per DataSource (shared by the stores on it). Throws
 * for drivers the stores were not built for (see `dialectOf`).
 */
export function queueDialectOf(dataSource: DataSource): QueueDialect {
  let dialect = dialects.get(dataSource);
  if (!dialect) {
    dialect = new DIALECTS[dialectOf(dataSource)](dataSource);
    dialects.set(dataSource, dialect);
  }
  return dialect;
}
