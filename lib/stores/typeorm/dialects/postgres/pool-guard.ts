import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';

const guarded = new WeakSet<object>();

/**
 * node-postgres emits `error` on a pooled client whose connection the server ends (restart, failover,
 * pg_terminate_backend) while it is checked out: pg-pool removes its own listener on checkout, and TypeORM 1.x
 * leaves windows with none (before it attaches its listener, and after it releases a broken client), so the event
 * crashed the whole process during a database restart. A listener on every client of the pool turns that into a
 * log line: the query in progress fails, the pool drops the client, and the next operation connects again.
 */
export function guardPostgresPool(dataSource: DataSource): DataSource {
  const pool = (dataSource.driver as unknown as { master?: PgPoolLike }).master;
  if (dataSource.options.type !== 'postgres' || !pool || typeof pool.on !== 'function' || guarded.has(pool)) return dataSource;
  guarded.add(pool);
  const logger = new Logger('WebhookModule');
  const onError = (err: Error) => logger.warn(`a PostgreSQL connection failed (${err.message}); the pool drops it and the next query reconnects`);
  const guard = (client: PgClientLike) => {
    if (!guarded.has(client)) {
      guarded.add(client);
      client.on('error', onError);
    }
  };
  pool.on('connect', guard);
  for (const client of pool._clients ?? []) guard(client);
  return dataSource;
}

interface PgClientLike {
  on(event: 'error', listener: (err: Error) => void): unknown;
}

interface PgPoolLike {
  on(event: 'connect', listener: (client: PgClientLike) => void): unknown;
  _clients?: PgClientLike[];
}
