import type { DataSource } from 'typeorm';
import type { WebhookLogger } from '../../../../domain/logger';
import type { SignalHandlers, SignalListener } from '../queue-dialect';

/** First wait before reconnecting a lost LISTEN connection, ms; doubled per failure up to {@link MAX_BACKOFF_MS}. */
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;


/** The part of node-postgres's `Client` used here. */
interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'notification', listener: (msg: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
}

/**
 * `LISTEN` on one dedicated PostgreSQL connection per process, opened with the same settings as the app's pool
 * (the driver TypeORM loaded, the pool's connection options) but outside the pool, so it never holds one of the
 * app's pooled connections. A lost connection (restart, failover, `pg_terminate_backend`, a network error) is
 * opened again with backoff, and `reconnected()` tells the owner to catch up on what it may have missed.
 */
export class PgListener implements SignalListener {
  private client: PgClient | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  private backoffMs = FIRST_BACKOFF_MS;
  private connecting: Promise<void> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    readonly channel: string,
    private readonly handlers: SignalHandlers,
    private readonly logger: WebhookLogger,
  ) {}

  /** Whether the LISTEN connection is open now. */
  get listening(): boolean {
    return this.client !== null;
  }

  /** Connects and listens; if that fails, keeps trying in the background (the poll covers the meantime). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect(false);
  }

  /** Closes the connection and cancels any reconnection. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    await this.connecting;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private connect(again: boolean): Promise<void> {
    this.connecting = this.open(again).finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async open(again: boolean): Promise<void> {
    const driver = this.dataSource.driver as unknown as { postgres: { Client: new (options: object) => PgClient }; master: { options?: Record<string, unknown> } };
    const options = driver.master.options ?? {};
    const appName = typeof options.application_name === 'string' ? `${options.application_name} ` : '';
    const client = new driver.postgres.Client({ ...options, application_name: `${appName}(webhooks listener)`.slice(0, 63), keepAlive: true });
    // Always listened to: an 'error' event without a listener would crash the process.
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      if (msg.channel === this.channel) this.handlers.notification(msg.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdentifier(this.channel)}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      if (!this.stopped) {
        this.logger.warn(`listening for webhook notifications failed (${(err as Error).message}); retrying in ${this.backoffMs} ms (the poll covers the meantime)`);
        this.scheduleReconnect();
      }
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.backoffMs = FIRST_BACKOFF_MS;
    if (again) this.handlers.reconnected();
  }

  private lost(client: PgClient, err?: Error): void {
    if (this.client !== client) return;
    this.client = null;
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    this.logger.warn(`the webhook notification connection was lost (${err?.message ?? 'closed'}); reconnecting`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.retry || this.stopped) return;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.retry = setTimeout(() => {
      this.retry = null;
      if (!this.stopped) void this.connect(true);
    }, wait);
  }
}

/** `name` as a quoted SQL identifier. */
function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
