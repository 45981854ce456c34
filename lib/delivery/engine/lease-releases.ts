import type { DeliveryQueue } from '../../domain/stores';
import type { EngineLogger } from './ports';

/**
 * Leases this process gives back early (deliveries it holds but will not send now), in the background: a failed
 * release is only logged, since the lease then expires. Shutdown waits for those not yet acknowledged.
 */
export class LeaseReleases {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly queue: Pick<DeliveryQueue, 'releaseLeases'>,
    private readonly workerId: string,
    private readonly logger: EngineLogger,
  ) {}

  release(deliveryIds: string[]): void {
    const p = this.queue
      .releaseLeases(this.workerId, deliveryIds)
      .catch((err) => this.logger.warn(`releasing ${deliveryIds.length} leases failed (they will expire): ${(err as Error).message}`))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Resolves once every release started so far has been answered. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
