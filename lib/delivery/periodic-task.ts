import { Logger } from '@nestjs/common';
import type { SchedulerRegistry } from '@nestjs/schedule';

/**
 * A named interval registered in `SchedulerRegistry` whose ticks never overlap (a tick still running when the
 * next is due is skipped) and never throw (a failure is logged and the next tick runs). `stop()` removes it and
 * waits for a running tick.
 */
export class PeriodicTask {
  private running: Promise<void> | null = null;
  private registered = false;

  constructor(
    private readonly registry: SchedulerRegistry,
    readonly name: string,
    private readonly intervalMs: number,
    private readonly tick: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.registered) return;
    const handle = setInterval(() => void this.runOnce(), this.intervalMs);
    this.registry.addInterval(this.name, handle);
    this.registered = true;
  }

  /** Runs a tick now unless one is running (then waits for that one). */
  runOnce(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.tick()
      .then(() => undefined)
      .catch((err) => this.logger.error(`${this.name} tick failed (the next one will run): ${(err as Error)?.message ?? err}`))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.registered && this.registry.doesExist('interval', this.name)) this.registry.deleteInterval(this.name);
    this.registered = false;
    await this.running;
  }
}
