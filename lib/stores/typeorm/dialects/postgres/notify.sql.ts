import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { quotedTable } from '../../typeorm.utils';
import { WebhookDeliveryEntity } from '../../webhook-delivery.entity';
import type { SqlStatement } from '../sql-statement';

const channels = new WeakMap<DataSource, string>();

/** `NOTIFY` of `signal` on the DataSource's {@link notificationChannel}, through `pg_notify`: sent when its transaction commits. */
export function pgNotify(ds: DataSource, signal: string): SqlStatement {
  let channel = channels.get(ds);
  if (channel === undefined) channels.set(ds, (channel = notificationChannel(ds)));
  return { text: 'SELECT pg_notify($1, $2)', values: [channel, signal] };
}

/**
 * The NOTIFY channel of a DataSource's webhook tables: `webhooks:` + the deliveries table's schema-qualified
 * name, so apps (or schemas) sharing a database do not wake each other; hashed when longer than PostgreSQL's
 * 63-byte limit for identifiers.
 */
export function notificationChannel(ds: DataSource): string {
  const channel = `webhooks:${quotedTable(ds, WebhookDeliveryEntity).replace(/"/g, '')}`;
  return Buffer.byteLength(channel) <= 63 ? channel : `webhooks:${createHash('sha256').update(channel).digest('hex').slice(0, 40)}`;
}
