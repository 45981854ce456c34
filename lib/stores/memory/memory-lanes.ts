import type { DeliveryRecord } from '../../domain/types';
import type { MemoryDueIndex } from './memory-due-index';
import { SortedList } from './sorted-list';

interface LaneMember {
  seq: number;
  id: string;
}

interface Lane {
  /** Its pending deliveries, in enqueue order. */
  readonly members: SortedList<LaneMember>;
  /** The member leased now, if any (at most one: see `mayStart`). */
  holder: string | null;
}

/**
 * The memory queue's ordering lanes (see `DeliveryRecord.lane`): a laned delivery may start only when it is the
 * first pending delivery of its lane and no other one of the lane is leased. Only a lane's first member gets
 * an entry in the due index (each change that may give a lane a startable first member makes it due); the others
 * wait here, costing a claim nothing.
 */
export class MemoryLanes {
  private readonly lanes = new Map<string, Lane>();
  /** Every laned delivery's place (kept after it leaves its lane, for a redelivery to come back to it). */
  private readonly seqs = new Map<string, number>();
  private lastSeq = 0;

  constructor(
    private readonly deliveries: ReadonlyMap<string, DeliveryRecord>,
    private readonly due: MemoryDueIndex,
  ) {}

  /** A new (unleased) delivery joins the end of its lane, due if it is the first. */
  join(d: DeliveryRecord): void {
    this.seqs.set(d.delivery_id, ++this.lastSeq);
    const lane = this.laneOf(d);
    lane.members.insert({ seq: this.lastSeq, id: d.delivery_id });
    if (lane.members.length === 1) this.makeDue(d.delivery_id);
  }

  /**
   * A redelivered delivery (pending again, its lease revoked) comes back to its place in its lane, before the
   * later ones not sent yet.
   */
  rejoin(d: DeliveryRecord): void {
    const lane = this.laneOf(d);
    this.release(lane, d.delivery_id);
    const member = { seq: this.seqs.get(d.delivery_id)!, id: d.delivery_id };
    lane.members.remove(member);
    lane.members.insert(member);
    this.makeDue(first(lane));
  }

  /** Whether it is `d`'s turn: the first of its lane, while no other member is leased. */
  mayStart(d: DeliveryRecord): boolean {
    const lane = this.lanes.get(laneKey(d));
    return !!lane && lane.holder === null && first(lane) === d.delivery_id;
  }

  /** `d` was leased (after `mayStart`). */
  hold(d: DeliveryRecord): void {
    this.lanes.get(laneKey(d))!.holder = d.delivery_id;
  }

  /**
   * `d`'s lease ended (its attempt was recorded, or the lease was released or expired); `done` when its turn ended
   * for good (delivered, dead-lettered, cancelled): it leaves the lane. The lane's first member is due then.
   */
  leaseEnded(d: DeliveryRecord, done: boolean): void {
    const key = laneKey(d);
    const lane = this.lanes.get(key);
    if (!lane) return;
    this.release(lane, d.delivery_id);
    if (done) lane.members.remove({ seq: this.seqs.get(d.delivery_id)!, id: d.delivery_id });
    if (lane.members.length > 0) this.makeDue(first(lane));
    else this.lanes.delete(key);
  }

  /** Forgets a purged delivery. */
  forget(deliveryId: string): void {
    this.seqs.delete(deliveryId);
  }

  /** A due entry for a pending, unleased delivery (a claim re-checks it anyway). */
  private makeDue(id: string): void {
    const d = this.deliveries.get(id);
    if (d && d.status === 'pending' && d.locked_by === null) this.due.pushDue(d.subscription_id, d.next_attempt_at.getTime(), id);
  }

  private laneOf(d: DeliveryRecord): Lane {
    const key = laneKey(d);
    let lane = this.lanes.get(key);
    if (!lane) this.lanes.set(key, (lane = { members: new SortedList<LaneMember>((a, b) => a.seq - b.seq), holder: null }));
    return lane;
  }

  private release(lane: Lane, deliveryId: string): void {
    if (lane.holder === deliveryId) lane.holder = null;
  }
}

function laneKey(d: DeliveryRecord): string {
  return `${d.subscription_id}\n${d.lane}`;
}

function first(lane: Lane): string {
  return lane.members.from().next().value!.id;
}
