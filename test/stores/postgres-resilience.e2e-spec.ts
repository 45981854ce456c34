import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { TypeOrmDeliveryStore, WebhookDataSourceRef } from '../../lib/stores/typeorm';
import { createTestDataSource, describeIfDatabase } from '../support/databases';

interface PgClient {
  query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  listenerCount(event: string): number;
  release(err?: Error | boolean): void;
}

describeIfDatabase('postgres', 'PostgreSQL connection loss', () => {
  let ds: DataSource;

  beforeAll(async () => {
    ds = await createTestDataSource('postgres', { namespace: 'webhook_resilience' });
  });
  afterAll(async () => {
    await ds?.destroy();
  });

  it('a connection the server ends while it is checked out does not crash the process', async () => {
    const store = new TypeOrmDeliveryStore(WebhookDataSourceRef.of(ds));
    const pool = (ds.driver as unknown as { master: { connect(): Promise<PgClient> } }).master;
    const client = await pool.connect();
    // pg-pool drops its own listener on checkout: without the module's guard, nothing listens here...
    expect(client.listenerCount('error')).toBeGreaterThan(0);
    const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
    // ...and the FATAL message the server sends to an idle checked-out client is an uncaught 'error' event.
    await ds.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
    await new Promise((r) => setTimeout(r, 300));
    await expect(client.query('SELECT 1')).rejects.toThrow();
    client.release(true);
    // The pool recovers: the store works on a fresh connection.
    expect(await store.countDeadLetters()).toBe(0);
  });
});
