import { Brackets, type EntityManager } from 'typeorm';
import type { NewDeliveryRow } from '../typeorm-rows';
import { chunks } from '../typeorm.utils';
import { WebhookLaneEntity } from '../webhook-lane.entity';

/** How many numbers one enqueue takes from a lane. */
export interface LaneDemand {
  subscription_id: string;
  lane_key: string;
  count: number;
}

/**
 * A dialect's statement taking numbers from lanes, in the enqueue's transaction: each lane's `last_seq` becomes
 * `max(last_seq, now_ms) + count` (a new lane's `now_ms + count`), and its row stays locked until the transaction
 * ends. Resolves with each lane's new `last_seq`, by {@link laneId}.
 */
export type TakeLaneNumbers = (demands: readonly LaneDemand[], nowMs: number) => Promise<Map<string, number>>;

/** Lanes per statement. */
const LANES_PER_STATEMENT = 500;

/**
 * Numbers the laned rows of an enqueue (`lane_seq`), in row order within each lane. Lanes are taken in one order
 * (by subscription, then key), so two enqueues sharing lanes never wait for each other in a cycle. Taking a
 * lane's numbers waits for any other transaction holding it: a lane is numbered in commit order. Starting from
 * the clock (never below `now_ms`), numbers keep increasing also after retention deleted an idle lane's row.
 */
export async function numberLanes(rows: NewDeliveryRow[], take: TakeLaneNumbers, nowMs: number): Promise<void> {
  const demands = new Map<string, LaneDemand>();
  for (const row of rows) {
    if (row.lane === null) continue;
    const id = laneId(row.subscription_id, row.lane);
    const demand = demands.get(id);
    if (demand) demand.count++;
    else demands.set(id, { subscription_id: row.subscription_id, lane_key: row.lane, count: 1 });
  }
  if (demands.size === 0) return;
  const sorted = [...demands.values()].sort((a, b) => compare(a.subscription_id, b.subscription_id) || compare(a.lane_key, b.lane_key));
  const next = new Map<string, number>();
  for (const part of chunks(sorted, LANES_PER_STATEMENT)) {
    const last = await take(part, nowMs);
    for (const d of part) {
      const id = laneId(d.subscription_id, d.lane_key);
      next.set(id, last.get(id)! - d.count + 1);
    }
  }
  for (const row of rows) {
    if (row.lane === null) continue;
    const id = laneId(row.subscription_id, row.lane);
    row.lane_seq = next.get(id)!;
    next.set(id, row.lane_seq + 1);
  }
}

/** The new `last_seq` of these lanes, read back in the transaction that took them (MySQL/MariaDB, SQLite). */
export async function readLaneNumbers(manager: EntityManager, demands: readonly LaneDemand[]): Promise<Map<string, number>> {
  const rows = await manager
    .getRepository(WebhookLaneEntity)
    .createQueryBuilder('l')
    .where(
      new Brackets((qb) => {
        demands.forEach((d, i) => qb.orWhere(`(l.subscription_id = :s${i} AND l.lane_key = :k${i})`, { [`s${i}`]: d.subscription_id, [`k${i}`]: d.lane_key }));
      }),
    )
    .getMany();
  return new Map(rows.map((r) => [laneId(r.subscription_id, r.lane_key), Number(r.last_seq)]));
}

/** One lane's key in the maps above. */
export function laneId(subscriptionId: string, laneKey: string): string {
  return `${subscriptionId}\n${laneKey}`;
}

/** Code-unit order (the same whatever the database's collation: it only has to be one order for every caller). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
