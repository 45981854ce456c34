import type { Behaviour } from './receiver';

/** What a lane test puts in each event's payload. */
export interface LanePayload {
  key: string;
  n: number;
}

/** Settings of {@link LaneWatch.behaviour}. */
export interface LaneBehaviour {
  /** How long each request takes to answer, ms. */
  delayMs: number;
  /** How many tries of event `n` of a key answer 500 before one answers 200. */
  failFirst?: (n: number) => number;
}

/**
 * A receiver route for ordered delivery: per ordering key (the payload's `key`), the order in which events were
 * delivered (answered 2xx) and the most requests of one key that overlapped; and the most requests of any key
 * in flight at once (the endpoint's concurrency as the receiver saw it).
 */
export class LaneWatch {
  /** Per key: the payload `n` of each event answered 2xx, in the order they were answered. */
  readonly delivered = new Map<string, number[]>();
  /** Tries per event id. */
  readonly tries = new Map<string, number>();
  /** Most requests of one key in flight at once, over all keys. */
  maxPerKey = 0;
  /** Most requests in flight at once. */
  maxTotal = 0;
  private readonly inFlight = new Map<string, number>();
  private total = 0;

  behaviour({ delayMs, failFirst = () => 0 }: LaneBehaviour): Behaviour {
    return (_req, res, body) => {
      const event = JSON.parse(body) as { event_id: string; payload: LanePayload };
      const { key, n } = event.payload;
      const now = (this.inFlight.get(key) ?? 0) + 1;
      this.inFlight.set(key, now);
      this.maxPerKey = Math.max(this.maxPerKey, now);
      this.maxTotal = Math.max(this.maxTotal, ++this.total);
      setTimeout(() => {
        this.inFlight.set(key, this.inFlight.get(key)! - 1);
        this.total--;
        const tries = (this.tries.get(event.event_id) ?? 0) + 1;
        this.tries.set(event.event_id, tries);
        if (tries <= failFirst(n)) {
          res.writeHead(500).end('not yet');
          return;
        }
        let list = this.delivered.get(key);
        if (!list) this.delivered.set(key, (list = []));
        list.push(n);
        res.writeHead(200).end('ok');
      }, delayMs);
    };
  }

  /** Events answered 2xx, over all keys. */
  get deliveredCount(): number {
    let n = 0;
    for (const list of this.delivered.values()) n += list.length;
    return n;
  }
}
