import type { DeliveryQueue } from '../../domain/stores';
import type { EngineLogger } from './ports';

/**
 * Leases this process gives back early (deliveries it holds but will not send now), in the background: a failed
 * release is only logged, since the lease then expires. Once a release is acknowledged, `returned` learns whose
 * deliveries are due in the store again (a claim should look for them, rather than the next poll). Shutdown waits
 * for those not yet acknowledged.
 */
export class LeaseReleases {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly queue: Pick<DeliveryQueue, 'releaseLeases'>,
    private readonly workerId: string,
    private readonly logger: EngineLogger,
    private readonly returned: (subscriptionIds: string[]) => void,
  ) {}

  /** Gives back `deliveryIds`, deliveries of `subscriptionIds`. */
  release(deliveryIds: string[], subscriptionIds: Iterable<string> = []): void {
    const p = this.queue
      .releaseLeases(this.workerId, deliveryIds)
      .then(
        () => this.returned([...new Set(subscriptionIds)]),
        (err) => this.logger.warn(`releasing ${deliveryIds.length} leases failed (they will expire): ${(err as Error).message}`),
      )
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Resolves once every release started so far has been answered. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
