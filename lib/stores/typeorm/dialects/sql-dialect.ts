import type { DataSource } from 'typeorm';
import { InvalidWebhookConfigError } from '../../../domain/webhook.error';

/** The SQL families the TypeORM stores support. */
export type SqlDialect = 'postgres' | 'mysql' | 'sqlite';

/** Which SQL family a DataSource speaks; throws for drivers the stores were not built for. */
export function dialectOf(dataSource: DataSource): SqlDialect {
  const type = dataSource.options.type as string;
  switch (type) {
    case 'postgres':
    case 'aurora-postgres':
      return 'postgres';
    case 'mysql':
    case 'mariadb':
    case 'aurora-mysql':
      return 'mysql';
    case 'better-sqlite3':
    case 'sqlite':
      return 'sqlite';
    default:
      throw new InvalidWebhookConfigError(
        'store_backend',
        `'typeorm' supports PostgreSQL, MySQL/MariaDB and SQLite (better-sqlite3), not the '${type}' driver: use one of those or store_backend 'memory'`,
      );
  }
}
