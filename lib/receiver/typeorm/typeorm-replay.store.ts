import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { isUniqueViolation } from '../../stores/typeorm/dialects/driver-errors';
import type { WebhookReplayStore } from '../webhook-replay.store';
import { WebhookReceiverReplayEntity } from './webhook-receiver-replay.entity';

/** Options of {@link TypeOrmReplayStore}. */
export interface TypeOrmReplayStoreOptions {
  /** Expired rows are deleted at most this often, by the `remember` call that comes due. Default 60 seconds. */
  purge_interval_seconds?: number;
  /** The current time (tests). Default `() => new Date()`. */
  now?: () => Date;
}

/**
 * A replay store in the app's own database (`webhook_receiver_replays`, PostgreSQL, MySQL/MariaDB or SQLite), so
 * that every replica of a receiver refuses a replay any of them accepted. Add `WEBHOOK_RECEIVER_ENTITIES` to the
 * DataSource's `entities` and `WEBHOOK_RECEIVER_MIGRATIONS` to its `migrations`. Uses the DataSource it is given
 * (it opens and closes nothing) and runs no timer: expired rows are purged now and then by `remember` itself.
 */
export class TypeOrmReplayStore implements WebhookReplayStore {
  private readonly logger = new Logger('WebhookReceiver');
  private readonly purgeEveryMs: number;
  private readonly now: () => Date;
  private nextPurgeAt = 0;
  private checked = false;

  constructor(
    private readonly dataSource: DataSource,
    options: TypeOrmReplayStoreOptions = {},
  ) {
    const every = options.purge_interval_seconds ?? 60;
    if (typeof every !== 'number' || !Number.isFinite(every) || every <= 0) throw new RangeError(`purge_interval_seconds must be a number > 0 (got ${String(every)})`);
    this.purgeEveryMs = every * 1000;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * True when `id` is new (or its earlier row has expired), false while a live row holds it. Atomic through the
   * primary key: of concurrent calls, one insert wins and the others hit the key.
   */
  async remember(id: string, expires_at: Date): Promise<boolean> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 255) throw new TypeError('replay id must be a string of 1-255 characters');
    this.checkEntity();
    const now = this.now();
    if (now.getTime() >= this.nextPurgeAt) await this.purgeExpired(now);
    // An expired row of the same id gives way first; the insert then decides.
    await this.dataSource.createQueryBuilder().delete().from(WebhookReceiverReplayEntity).where('id = :id AND expires_at <= :now', { id, now }).execute();
    try {
      await this.dataSource.createQueryBuilder().insert().into(WebhookReceiverReplayEntity).values({ id, expires_at }).execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /** Deletes the row of `id` (a remembered request whose handler failed, so that its retry is let in). */
  async forget(id: string): Promise<void> {
    this.checkEntity();
    await this.dataSource.createQueryBuilder().delete().from(WebhookReceiverReplayEntity).where('id = :id', { id }).execute();
  }

  /** Deletes every expired row; returns how many went. Failures are logged, not thrown (the next purge retries). */
  async purgeExpired(now: Date = this.now()): Promise<number> {
    this.nextPurgeAt = now.getTime() + this.purgeEveryMs;
    try {
      const result = await this.dataSource.createQueryBuilder().delete().from(WebhookReceiverReplayEntity).where('expires_at <= :now', { now }).execute();
      return result.affected ?? 0;
    } catch (err) {
      this.logger.warn(`could not purge expired rows of webhook_receiver_replays: ${(err as Error).message}`);
      return 0;
    }
  }

  private checkEntity(): void {
    if (this.checked) return;
    if (!this.dataSource.hasMetadata(WebhookReceiverReplayEntity)) {
      throw new Error(
        'TypeOrmReplayStore needs its table: add WEBHOOK_RECEIVER_ENTITIES to the DataSource\'s entities and WEBHOOK_RECEIVER_MIGRATIONS to its migrations (from nestjs-webhooks/typeorm)',
      );
    }
    this.checked = true;
  }
}
