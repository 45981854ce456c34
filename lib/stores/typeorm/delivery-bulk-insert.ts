import type { EntityManager } from 'typeorm';
import type { NewDelivery } from '../../domain/stores';
import type { DeliveryAttempt, StoredEvent } from '../../domain/types';
import { chunks, quotedTable, type SqlDialect } from './typeorm.utils';
import type { WebhookDeliveryAttemptEntity } from './webhook-delivery-attempt.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';

/** Rows per statement: SQLite sends one JSON text, MySQL a multi-row VALUES list. */
const ROWS_PER_STATEMENT: Record<Exclude<SqlDialect, 'postgres'>, number> = { sqlite: 5000, mysql: 1000 };

/** Longest error message kept (MySQL TEXT holds 64 KiB; the same bound on every backend). */
const MAX_ERROR_MESSAGE = 16_000;

/** An attempt as its row is written (every backend, every path). */
export function attemptToRow(a: DeliveryAttempt): WebhookDeliveryAttemptEntity {
  return {
    attempt_id: a.attempt_id,
    subscription_id: a.subscription_id,
    event_id: a.event_id,
    event_type: a.event_type,
    status: a.status,
    status_code: a.status_code ?? null,
    attempt_number: a.attempt_number,
    attempted_at: a.attempted_at,
    next_retry_at: a.next_retry_at ?? null,
    error_message: a.error_message == null ? null : a.error_message.slice(0, MAX_ERROR_MESSAGE),
    duration_ms: Math.round(a.duration_ms),
  };
}

/** One new pending delivery row: due at `at`. */
export interface NewDeliveryRow {
  delivery_id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  at: Date;
  locked_by: string | null;
  locked_until: Date | null;
}

/** The rows of one event's deliveries, all due when the event was accepted. */
export function deliveryRows(event: StoredEvent, deliveries: readonly NewDelivery[]): NewDeliveryRow[] {
  return deliveries.map((d) => ({
    delivery_id: d.delivery_id,
    subscription_id: d.subscription_id,
    event_id: event.event_id,
    event_type: event.event_type,
    at: event.created_at,
    locked_by: d.lease?.worker_id ?? null,
    locked_until: d.lease?.until ?? null,
  }));
}

/**
 * Inserts new pending deliveries with as few statements as the dialect allows: a fan-out to 10,000
 * subscriptions is two statements on SQLite (`json_each`) and ten multi-row INSERTs on MySQL/MariaDB. TypeORM's
 * `insert().values([...])` spends most of its time building and binding 12 parameters per row, which made such a
 * fan-out take seconds. PostgreSQL stores events and deliveries together in one statement (`postgres-batch.ts`).
 */
export async function insertNewDeliveries(manager: EntityManager, dialect: Exclude<SqlDialect, 'postgres'>, rows: readonly NewDeliveryRow[]): Promise<void> {
  if (rows.length === 0) return;
  const driver = manager.connection.driver;
  const meta = manager.connection.getMetadata(WebhookDeliveryEntity);
  const table = quotedTable(manager.connection, WebhookDeliveryEntity);
  const col = (name: keyof WebhookDeliveryEntity) => driver.escape(meta.findColumnWithPropertyName(name)!.databaseName);
  const dateColumn = meta.findColumnWithPropertyName('next_attempt_at')!;
  const at = (d: Date | null) => (d ? driver.preparePersistentValue(d, dateColumn) : null);
  const columns = ['delivery_id', 'subscription_id', 'event_id', 'event_type', 'status', 'attempts', 'next_attempt_at', 'created_at', 'updated_at', 'locked_by', 'locked_until'] as const;
  const into = `INSERT INTO ${table} (${columns.map(col).join(', ')})`;

  for (const part of chunks(rows, ROWS_PER_STATEMENT[dialect])) {
    if (dialect === 'sqlite') {
      await manager.query(
        `${into} SELECT json_extract(d.value, '$[0]'), json_extract(d.value, '$[1]'), json_extract(d.value, '$[2]'), json_extract(d.value, '$[3]'), 'pending', 0, ` +
          `json_extract(d.value, '$[4]'), json_extract(d.value, '$[4]'), json_extract(d.value, '$[4]'), json_extract(d.value, '$[5]'), json_extract(d.value, '$[6]') ` +
          `FROM json_each(?) AS d ORDER BY d.key`,
        [JSON.stringify(part.map((d) => [d.delivery_id, d.subscription_id, d.event_id, d.event_type, at(d.at), d.locked_by, at(d.locked_until)]))],
      );
    } else {
      const params: unknown[] = [];
      for (const d of part) {
        const t = at(d.at);
        params.push(d.delivery_id, d.subscription_id, d.event_id, d.event_type, t, t, t, d.locked_by, at(d.locked_until));
      }
      await manager.query(`${into} VALUES ${part.map(() => "(?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?)").join(', ')}`, params);
    }
  }
}
