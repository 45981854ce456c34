import type { DataSource } from 'typeorm';
import { STATS_SLICE_MS, type AttemptStats, type AttemptStatsQuery } from '../../domain/stats';
import { ALL_SUBSCRIPTIONS, StatsAccumulator, StatsRange } from '../attempt-stats';
import type { TypeOrmStoreContext } from './store-context';
import { dateCodec } from './typeorm.utils';
import { WebhookAttemptStatsEntity } from './webhook-attempt-stats.entity';
import { WebhookDeliveryAttemptEntity } from './webhook-delivery-attempt.entity';

/** Purged per DELETE: one hour of slices. */
const PURGE_SLICES = 12;

/**
 * Endpoint stats from `webhook_attempt_stats` (counts per subscription, slice and duration class, written with the
 * attempts), so a query reads at most a few rows per slice of its range whatever the size of the attempt log. Only
 * the last success and the failures after it, within its slice, come from the log itself, through its indexes.
 */
export class TypeOrmAttemptStats {
  constructor(private readonly ctx: TypeOrmStoreContext) {}

  async stats(query: AttemptStatsQuery): Promise<AttemptStats> {
    const range = new StatsRange(query);
    const key = query.subscription_id ?? ALL_SUBSCRIPTIONS;
    return this.ctx.run(async (ds) => {
      const { read } = dateCodec(ds.driver);
      const inRange = () =>
        ds
          .getRepository(WebhookAttemptStatsEntity)
          .createQueryBuilder('s')
          .where('s.subscription_id = :key AND s.slice_start >= :start AND s.slice_start < :end', { key, start: new Date(range.start), end: new Date(range.end) });
      const [slices, classes, lastSlice] = await Promise.all([
        inRange().select('s.slice_start', 'slice').addSelect('SUM(s.attempts)', 'attempts').addSelect('SUM(s.failed)', 'failed').groupBy('s.slice_start').getRawMany<Row>(),
        inRange()
          .select('s.duration_class', 'cls')
          .addSelect('SUM(s.attempts)', 'attempts')
          .addSelect('SUM(s.delivered)', 'delivered')
          .addSelect('SUM(s.failed)', 'failed')
          .groupBy('s.duration_class')
          .getRawMany<Row>(),
        ds
          .getRepository(WebhookAttemptStatsEntity)
          .createQueryBuilder('s')
          .select('MAX(s.slice_start)', 'slice')
          .where('s.subscription_id = :key AND s.delivered > 0 AND s.slice_start < :end', { key, end: new Date(range.end) })
          .getRawOne<{ slice: unknown }>(),
      ]);
      const acc = new StatsAccumulator(range);
      for (const c of classes) acc.addClass(Number(c.cls), Number(c.attempts), Number(c.delivered), Number(c.failed));
      const failedBySlice = new Map<number, number>();
      for (const s of slices) {
        const at = read(s.slice)!.getTime();
        acc.addSlice(at, Number(s.attempts), Number(s.failed));
        failedBySlice.set(at, Number(s.failed));
      }
      const successSlice = read(lastSlice?.slice)?.getTime() ?? null;
      if (successSlice === null) return acc.result(null, acc.failedCount);
      // The last success, and the failures after it in its own slice, from the log (a slice's worth of rows).
      const lastSuccess = (await this.lastSuccessIn(ds, query.subscription_id, successSlice)) ?? new Date(successSlice);
      if (successSlice < range.start) return acc.result(lastSuccess, acc.failedCount);
      let consecutive = await this.failuresAfter(ds, query.subscription_id, lastSuccess, successSlice + STATS_SLICE_MS);
      for (const [slice, failed] of failedBySlice) if (slice > successSlice) consecutive += failed;
      return acc.result(lastSuccess, consecutive);
    });
  }

  /** Deletes the stats rows of slices that ended by `before`, an hour of slices per statement; returns how many. */
  async purge(ds: DataSource, before: Date): Promise<number> {
    const cut = new Date(Math.floor(before.getTime() / STATS_SLICE_MS) * STATS_SLICE_MS);
    const repo = ds.getRepository(WebhookAttemptStatsEntity);
    const { read } = dateCodec(ds.driver);
    let deleted = 0;
    for (;;) {
      const first = await repo.createQueryBuilder('s').select('MIN(s.slice_start)', 'slice').where('s.slice_start < :cut', { cut }).getRawOne<{ slice: unknown }>();
      const from = read(first?.slice);
      if (!from) return deleted;
      const to = new Date(Math.min(from.getTime() + PURGE_SLICES * STATS_SLICE_MS, cut.getTime()));
      const result = await ds.createQueryBuilder().delete().from(WebhookAttemptStatsEntity).where('slice_start >= :from AND slice_start < :to', { from, to }).execute();
      deleted += result.affected ?? 0;
    }
  }

  private async lastSuccessIn(ds: DataSource, subscriptionId: string | undefined, slice: number): Promise<Date | null> {
    const qb = this.attempts(ds, subscriptionId)
      .select('a.attempted_at', 'at')
      .andWhere('a.status = :delivered AND a.attempted_at >= :from AND a.attempted_at < :to', { delivered: 'delivered', from: new Date(slice), to: new Date(slice + STATS_SLICE_MS) })
      .orderBy('a.attempted_at', 'DESC')
      .limit(1);
    return dateCodec(ds.driver).read((await qb.getRawOne<{ at: unknown }>())?.at);
  }

  private async failuresAfter(ds: DataSource, subscriptionId: string | undefined, after: Date, until: number): Promise<number> {
    const row = await this.attempts(ds, subscriptionId)
      .select('COUNT(*)', 'n')
      .andWhere('a.status IN (:...failed) AND a.attempted_at > :after AND a.attempted_at < :until', { failed: ['failed', 'dead_letter'], after, until: new Date(until) })
      .getRawOne<{ n: unknown }>();
    return Number(row?.n ?? 0);
  }

  /** The log of one subscription (its index), or of all (the attempted_at index). */
  private attempts(ds: DataSource, subscriptionId: string | undefined) {
    const qb = ds.getRepository(WebhookDeliveryAttemptEntity).createQueryBuilder('a').where('1 = 1');
    if (subscriptionId !== undefined) qb.andWhere('a.subscription_id = :sub', { sub: subscriptionId });
    return qb;
  }
}

interface Row {
  slice?: unknown;
  cls?: unknown;
  attempts: unknown;
  delivered?: unknown;
  failed: unknown;
}
